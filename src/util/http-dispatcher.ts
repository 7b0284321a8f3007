// An http config's proxy_url and tls_config (CA, client certificate, server name,
// insecure_skip_verify) as an undici dispatcher, for requests made with fetch: alerts posted to
// Alertmanagers, oauth2 token requests (files read when the dispatcher is made, as Prometheus reads
// them when it builds its client).
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import type { HttpClientConfig } from '../config/index.js';
import { undici } from './undici.js';

/** The dispatcher for an http config, or undefined when plain connections will do. */
export function httpDispatcher(h: Pick<HttpClientConfig, 'tls' | 'proxyUrl'>): Dispatcher | undefined {
  const t = h.tls;
  const ca = t.ca ?? (t.caFile !== undefined ? readFileSync(t.caFile, 'utf8') : undefined);
  const cert = t.cert ?? (t.certFile !== undefined ? readFileSync(t.certFile, 'utf8') : undefined);
  const key = t.key ?? (t.keyFile !== undefined ? readFileSync(t.keyFile, 'utf8') : undefined);
  const custom = ca !== undefined || cert !== undefined || key !== undefined || t.serverName !== undefined || t.insecureSkipVerify;
  const tlsOptions = custom ? { ca, cert, key, servername: t.serverName, rejectUnauthorized: !t.insecureSkipVerify } : undefined;
  if (h.proxyUrl !== undefined) return new (undici().ProxyAgent)(tlsOptions === undefined ? h.proxyUrl : { uri: h.proxyUrl, requestTls: tlsOptions });
  return tlsOptions === undefined ? undefined : new (undici().Agent)({ connect: tlsOptions });
}
