// A receiver's http_config: the parts Promethium applies (authorization, basic auth, redirects, an
// HTTP proxy). TLS settings and OAuth2 are refused when the configuration is loaded, not ignored.
import { readFile } from 'node:fs/promises';
import { ProxyAgent, fetch as undiciFetch } from 'undici';

export interface HttpClientOptions {
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  followRedirects: boolean;
  /** Requests go through this HTTP proxy (CONNECT tunnels), as Go's http.Transport does. */
  proxyUrl?: string;
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

const proxies = new Map<string, ProxyAgent>();

/**
 * fetch with the client settings: through the configured proxy when there is one (the agent is made
 * on first use, so a bad proxy URL fails the notification with a clear error rather than the load).
 */
export async function httpFetch(url: string, init: RequestInit, o: HttpClientOptions): Promise<Response> {
  const request = { ...init, redirect: o.followRedirects ? 'follow' : 'manual' } as RequestInit;
  if (o.proxyUrl === undefined) return fetch(url, request);
  let agent = proxies.get(o.proxyUrl);
  if (agent === undefined) {
    try {
      agent = new ProxyAgent(o.proxyUrl);
    } catch (e) {
      throw new Error(`invalid proxy_url ${JSON.stringify(o.proxyUrl)}: ${(e as Error).message}`);
    }
    proxies.set(o.proxyUrl, agent);
  }
  // undici's own fetch takes a dispatcher; its Response is the same web Response shape.
  return (await undiciFetch(url, { ...(request as Parameters<typeof undiciFetch>[1]), dispatcher: agent })) as unknown as Response;
}
