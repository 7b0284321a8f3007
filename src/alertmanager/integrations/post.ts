// The HTTP side shared by the integrations: a POST with the receiver's http_config, transport errors
// as retryable NotifyErrors (secrets kept out of the message), and secrets read inline or from files.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { NotifyError } from '../notify.js';
import { httpFetch, httpHeaders, type HttpClientOptions } from '../../common/http-config/fetch.js';

/** A secret inline or in a file read at send time (so rotated files are picked up). */
export interface Secret {
  value?: string;
  file?: string;
}

export async function readSecret(s: Secret): Promise<string> {
  return s.value ?? (await readFile(s.file!, 'utf8')).trim();
}

/** Alertmanager's identity of a notification group towards a service: SHA-256 of the group key. */
export function groupHash(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex');
}

export function truncate(s: string, n: number): string {
  const chars = [...s];
  return chars.length > n ? chars.slice(0, n - 1).join('') + '…' : s;
}

export interface PostOptions {
  /** The URL as it may appear in errors (without secrets). */
  shownUrl?: string;
  headers?: Record<string, string>;
  http: HttpClientOptions;
  timeoutMs: number;
  /** Form-encoded instead of JSON. */
  form?: boolean;
}

export async function post(url: string, body: unknown, o: PostOptions): Promise<{ status: number; text: string }> {
  const contentType = o.form ? 'application/x-www-form-urlencoded' : 'application/json';
  const payload = o.form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body);
  let res: Response;
  try {
    res = await httpFetch(url, { method: 'POST', headers: { 'Content-Type': contentType, 'User-Agent': 'Alertmanager/Promethium', ...(await httpHeaders(o.http)), ...o.headers }, body: payload, signal: AbortSignal.timeout(o.timeoutMs) }, o.http);
  } catch (e) {
    throw new NotifyError(`Post "${o.shownUrl ?? url}": ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, true);
  }
  return { status: res.status, text: await res.text().catch(() => '') };
}

/** Fails on a non-2xx answer: server errors and 429 are retried, other client errors are not. */
export function checkStatus(res: { status: number; text: string }): void {
  if (res.status < 200 || res.status >= 300) throw new NotifyError(`unexpected status code ${res.status}: ${res.text.slice(0, 200)}`, res.status >= 500 || res.status === 429);
}
