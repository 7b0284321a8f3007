// An http config's proxy_url and tls_config (CA, client certificate, server name,
// insecure_skip_verify) as an undici dispatcher, for requests made with fetch: alerts posted to
// Alertmanagers, oauth2 token requests, the Alertmanager's receivers (files read when the
// dispatcher is made, as Prometheus reads them when it builds its client).
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import type { HttpClientConfig } from '../config/index.js';
import { undici } from './undici.js';

/** TLS settings with the PEM contents already read. */
export interface PemTls {
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  insecureSkipVerify?: boolean;
}

/** A dispatcher for these TLS settings and proxy, or undefined when plain connections will do. */
export function makeDispatcher(tls: PemTls | undefined, proxyUrl: string | undefined): Dispatcher | undefined {
  const connect = tls === undefined ? undefined : { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.serverName, rejectUnauthorized: tls.insecureSkipVerify !== true };
  if (proxyUrl !== undefined) {
    try {
      return new (undici().ProxyAgent)(connect === undefined ? proxyUrl : { uri: proxyUrl, requestTls: connect });
    } catch (e) {
      throw new Error(`invalid proxy_url ${JSON.stringify(proxyUrl)}: ${(e as Error).message}`);
    }
  }
  return connect === undefined ? undefined : new (undici().Agent)({ connect });
}

/** The dispatcher for a prometheus.yml http config, or undefined when plain connections will do. */
export function httpDispatcher(h: Pick<HttpClientConfig, 'tls' | 'proxyUrl'>): Dispatcher | undefined {
  const t = h.tls;
  const pem: PemTls = {
    ca: t.ca ?? (t.caFile !== undefined ? readFileSync(t.caFile, 'utf8') : undefined),
    cert: t.cert ?? (t.certFile !== undefined ? readFileSync(t.certFile, 'utf8') : undefined),
    key: t.key ?? (t.keyFile !== undefined ? readFileSync(t.keyFile, 'utf8') : undefined),
    serverName: t.serverName,
    insecureSkipVerify: t.insecureSkipVerify,
  };
  const custom = pem.ca !== undefined || pem.cert !== undefined || pem.key !== undefined || pem.serverName !== undefined || pem.insecureSkipVerify === true;
  return makeDispatcher(custom ? pem : undefined, h.proxyUrl);
}
