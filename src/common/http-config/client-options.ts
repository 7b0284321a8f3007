// A config's HTTP client settings (auth, TLS, headers, redirects) as the scrape HTTP client takes
// them, with secrets read from their files. Scrapes, HTTP service discovery and the notifier use it.
import { readFileSync } from 'node:fs';
import type { HttpClientConfig } from './types.js';
import { buildInfo } from '../../version.js';
import { OAuth2TokenSource } from './oauth2.js';
import { joinHeaderValues } from './dispatcher.js';

export interface TlsOptions {
  /** PEM contents given inline (tls_config ca/cert/key); the files are read otherwise. */
  ca?: string;
  cert?: string;
  key?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipVerify?: boolean;
  /** TLS10 ... TLS13. */
  minVersion?: string;
  maxVersion?: string;
}

/** What an HTTP client config gives a request: headers, credentials, TLS, redirects, proxy. */
export interface ClientRequestOptions {
  headers?: Record<string, string>;
  basicAuth?: { username: string; password: string };
  /** `Authorization: <type> <credentials>` (bearer tokens). */
  authorization?: { type: string; credentials: string };
  tls?: TlsOptions;
  followRedirects?: boolean;
  /** Bytes; 0 = unlimited (Prometheus's body_size_limit). */
  bodySizeLimit?: number;
  /**
   * proxy_url: http targets are asked through the proxy with the absolute URL, https targets through
   * a CONNECT tunnel (Go's http.Transport does the same); credentials in the URL are sent to the proxy.
   */
  proxyUrl?: string;
  /** no_proxy: hosts that bypass proxy_url. */
  noProxy?: string;
  /** proxy_from_environment: HTTP_PROXY / HTTPS_PROXY / NO_PROXY instead of proxy_url. */
  proxyFromEnvironment?: boolean;
  /** proxy_connect_header: sent with the CONNECT request of https targets. */
  proxyConnectHeader?: Record<string, string>;
  userAgent?: string;
  /** oauth2: the Authorization header comes from this token source. */
  oauth2?: { authorization(): Promise<string> };
}

/** A secret given inline or in a file (read now, trimmed). */
export function readSecret(file: string | undefined, inline: string | undefined): string | undefined {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  return readFileSync(file, 'utf8').trim();
}

/** The User-Agent of Promethium's outgoing requests. */
export function userAgent(): string {
  return `Prometheus/${buildInfo().version} (Promethium)`;
}

/** HTTP client settings of a job as the scrape client takes them (secrets read from files). */
export function httpOptions(h: HttpClientConfig, bodySizeLimit: number): ClientRequestOptions {
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(h.httpHeaders)) {
    const values = [...v.values, ...v.secrets, ...v.files.map((f) => readFileSync(f, 'utf8').trim())];
    if (values.length > 0) headers[name] = values.join(', ');
  }
  const out: ClientRequestOptions = {
    headers,
    followRedirects: h.followRedirects,
    bodySizeLimit,
    userAgent: userAgent(),
    tls: {
      ...(h.tls.ca !== undefined ? { ca: h.tls.ca } : {}),
      ...(h.tls.cert !== undefined ? { cert: h.tls.cert } : {}),
      ...(h.tls.key !== undefined ? { key: h.tls.key } : {}),
      caFile: h.tls.caFile,
      certFile: h.tls.certFile,
      keyFile: h.tls.keyFile,
      serverName: h.tls.serverName,
      insecureSkipVerify: h.tls.insecureSkipVerify,
      ...(h.tls.minVersion !== undefined ? { minVersion: h.tls.minVersion } : {}),
      ...(h.tls.maxVersion !== undefined ? { maxVersion: h.tls.maxVersion } : {}),
    },
  };
  // An empty username is "not given": basic_auth may name only username_file.
  if (h.basicAuth) out.basicAuth = { username: readSecret(h.basicAuth.usernameFile, h.basicAuth.username || undefined) ?? '', password: readSecret(h.basicAuth.passwordFile, h.basicAuth.password) ?? '' };
  if (h.proxyUrl !== undefined) out.proxyUrl = h.proxyUrl;
  if (h.noProxy !== undefined) out.noProxy = h.noProxy;
  if (h.proxyFromEnvironment) out.proxyFromEnvironment = true;
  const connectHeaders = joinHeaderValues(h.proxyConnectHeader);
  if (connectHeaders !== undefined) out.proxyConnectHeader = connectHeaders;
  if (h.oauth2 !== undefined) out.oauth2 = new OAuth2TokenSource(h.oauth2);
  if (h.authorization) out.authorization = { type: h.authorization.type, credentials: readSecret(h.authorization.credentialsFile, h.authorization.credentials) ?? '' };
  return out;
}

/** The configured headers, User-Agent and Authorization (basic, authorization, or an oauth2 token fetched now). */
export async function requestHeaders(o: ReturnType<typeof httpOptions>): Promise<Record<string, string>> {
  const h: Record<string, string> = { 'User-Agent': o.userAgent ?? userAgent(), ...o.headers };
  const auth = authorizationHeader(o) ?? (o.oauth2 !== undefined ? await o.oauth2.authorization() : undefined);
  if (auth !== undefined) h.Authorization = auth;
  return h;
}

/** The Authorization header of basic_auth or authorization settings, if any (oauth2 tokens are fetched per request). */
export function authorizationHeader(o: Pick<ClientRequestOptions, 'basicAuth' | 'authorization'>): string | undefined {
  if (o.basicAuth !== undefined) return 'Basic ' + Buffer.from(`${o.basicAuth.username}:${o.basicAuth.password}`).toString('base64');
  if (o.authorization !== undefined) return `${o.authorization.type} ${o.authorization.credentials}`;
  return undefined;
}
