// An Alertmanager receiver's http_config as its sender uses it: the parts Promethium applies
// (authorization, basic auth, redirects, an HTTP proxy, TLS). OAuth2 is refused when the
// configuration is loaded, not ignored.
import { readFile } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { undici } from '../../util/undici.js';
import { makeDispatcher, proxyChoice, type PemTls } from './dispatcher.js';
import type { ProxyConfig } from './types.js';

export interface HttpClientOptions extends Partial<ProxyConfig> {
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  followRedirects: boolean;
  /** tls_config: CA, client certificate and key (PEM, read when the configuration was loaded), server name, verification. */
  tls?: PemTls;
}

export const DEFAULT_HTTP: HttpClientOptions = { followRedirects: true };

/** Authorization headers for a request (files are read at send time, so rotated secrets are picked up). */
export async function httpHeaders(o: HttpClientOptions): Promise<Record<string, string>> {
  if (o.authorization !== undefined) {
    const cred = o.authorization.credentials ?? (o.authorization.credentialsFile !== undefined ? (await readFile(o.authorization.credentialsFile, 'utf8')).trim() : '');
    return { Authorization: `${o.authorization.type} ${cred}` };
  }
  if (o.basicAuth !== undefined) {
    const pw = o.basicAuth.password ?? (o.basicAuth.passwordFile !== undefined ? (await readFile(o.basicAuth.passwordFile, 'utf8')).trim() : '');
    return { Authorization: 'Basic ' + Buffer.from(`${o.basicAuth.username}:${pw}`).toString('base64') };
  }
  return {};
}

/** One dispatcher per client settings object (the configuration keeps them for its lifetime). */
const dispatchers = new WeakMap<HttpClientOptions, Dispatcher>();

function dispatcherFor(o: HttpClientOptions): Dispatcher {
  let d = dispatchers.get(o);
  if (d === undefined) {
    // Called only when there is a proxy or TLS settings.
    d = makeDispatcher(o.tls, proxyChoice(o))!;
    dispatchers.set(o, d);
  }
  return d;
}

/**
 * fetch with the client settings: through the configured proxy and with the TLS settings when there
 * are some (the dispatcher is made on first use, so a bad proxy URL fails the notification with a
 * clear error rather than the load).
 */
export async function httpFetch(url: string, init: RequestInit, o: HttpClientOptions): Promise<Response> {
  const request = { ...init, redirect: o.followRedirects ? 'follow' : 'manual' } as RequestInit;
  if (o.proxyUrl === undefined && o.proxyFromEnvironment !== true && o.tls === undefined) return fetch(url, request);
  // undici's own fetch takes a dispatcher; its Response is the same web Response shape.
  return (await undici().fetch(url, { ...(request as Parameters<ReturnType<typeof undici>["fetch"]>[1]), dispatcher: dispatcherFor(o) })) as unknown as Response;
}
