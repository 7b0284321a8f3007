// Small helpers the discovery mechanisms share.
import type { Labels } from '../model/labels.js';
import { readSecret } from '../common/http-config/client-options.js';
import type { TargetGroup } from './target-group.js';

/** strutil.SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes `_`. */
export function sanitizeLabelName(s: string): string {
  return s.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** host:port as Go's net.JoinHostPort writes it (IPv6 in brackets). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Every item of a paged list: `page(token)` returns a page's items and the next page's token (none on the last page). */
export async function allPages<T, K = string>(page: (token: K | undefined) => Promise<{ items: T[] | undefined; next?: K | null | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let token: K | undefined;
  do {
    const p = await page(token);
    out.push(...(p.items ?? []));
    token = p.next === null || p.next === '' ? undefined : p.next;
  } while (token !== undefined);
  return out;
}

/** The value at a dotted path of a parsed document (`Endpoint.Address`). */
export function valueAt(o: unknown, path: string): unknown {
  let v = o;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** An API timestamp as Go's time.RFC3339 writes it (to the second, UTC `Z`); text that is not a time is kept. */
export function rfc3339(s: string): string {
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A secret setting given inline or as a file (`''` for neither); the file is read now, trimmed. */
export function secretSetting(inline: string, file: string): string {
  return readSecret(file || undefined, inline || undefined) ?? '';
}

/** A group of one target from its labels (`__address__` becomes the target, the rest its labels). */
export function targetGroupOf(labels: Labels, source: string): TargetGroup {
  const { __address__: address = '', ...rest } = labels;
  return { targets: [address], labels: rest, source };
}
