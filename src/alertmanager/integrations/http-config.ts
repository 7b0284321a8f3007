// A receiver's http_config: the parts Promethium applies (authorization, basic auth, redirects).
// Proxies, TLS settings and OAuth2 are refused when the configuration is loaded, not ignored.
import { readFile } from 'node:fs/promises';

export interface HttpClientOptions {
  authorization?: { type: string; credentials?: string; credentialsFile?: string };
  basicAuth?: { username: string; password?: string; passwordFile?: string };
  followRedirects: boolean;
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
