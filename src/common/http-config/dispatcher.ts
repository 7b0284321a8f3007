// An http config's proxy_url and tls_config (CA, client certificate, server name,
// insecure_skip_verify) as an undici dispatcher, for requests made with fetch: alerts posted to
// Alertmanagers, oauth2 token requests, the Alertmanager's receivers (files read when the
// dispatcher is made, as Prometheus reads them when it builds its client).
import { readFileSync } from 'node:fs';
import type { SecureVersion } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { HttpClientConfig, ProxyConfig } from './types.js';
import { undici } from '../../util/undici.js';
import type { ProxySettings } from './proxy.js';

/** TLS settings with the PEM contents already read. */
export interface PemTls {
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  insecureSkipVerify?: boolean;
  /** tls_config min_version / max_version (TLS10 ... TLS13). */
  minVersion?: string;
  maxVersion?: string;
}

const TLS_VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** Node's name for a tls_config min_version / max_version. */
export function tlsVersion(v: string | undefined): SecureVersion | undefined {
  return v === undefined ? undefined : TLS_VERSIONS[v];
}

/** How requests are proxied: a proxy URL, or the full settings (no_proxy, the environment, CONNECT headers). */
export type ProxyChoice = string | (ProxySettings & { connectHeaders?: Record<string, string> }) | undefined;

/** A dispatcher for these TLS settings and proxy, or undefined when plain connections will do. */
export function makeDispatcher(tls: PemTls | undefined, proxy: ProxyChoice): Dispatcher | undefined {
  const connect = tls === undefined ? undefined : { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.serverName, rejectUnauthorized: tls.insecureSkipVerify !== true, minVersion: tlsVersion(tls.minVersion), maxVersion: tlsVersion(tls.maxVersion) };
  const p = typeof proxy === 'string' ? { proxyUrl: proxy } : proxy;
  const headers = p?.connectHeaders;
  const tlsOpts = connect === undefined ? {} : { connect, requestTls: connect };
  if (p?.proxyFromEnvironment === true) {
    // undici reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY itself.
    return new (undici().EnvHttpProxyAgent)({ ...tlsOpts, ...(headers ? { headers } : {}) });
  }
  if (p?.proxyUrl !== undefined) {
    try {
      if (p.noProxy !== undefined) return new (undici().EnvHttpProxyAgent)({ httpProxy: p.proxyUrl, httpsProxy: p.proxyUrl, noProxy: p.noProxy, ...tlsOpts, ...(headers ? { headers } : {}) });
      return new (undici().ProxyAgent)({ uri: p.proxyUrl, ...(connect ? { requestTls: connect } : {}), ...(headers ? { headers } : {}) });
    } catch (e) {
      throw new Error(`invalid proxy_url ${JSON.stringify(p.proxyUrl)}: ${(e as Error).message}`);
    }
  }
  return connect === undefined ? undefined : new (undici().Agent)({ connect });
}

/** The dispatcher for a prometheus.yml http config, or undefined when plain connections will do. */
export function httpDispatcher(h: Pick<HttpClientConfig, 'tls'> & Partial<ProxyConfig>): Dispatcher | undefined {
  const t = h.tls;
  const pem: PemTls = {
    ca: t.ca ?? (t.caFile !== undefined ? readFileSync(t.caFile, 'utf8') : undefined),
    cert: t.cert ?? (t.certFile !== undefined ? readFileSync(t.certFile, 'utf8') : undefined),
    key: t.key ?? (t.keyFile !== undefined ? readFileSync(t.keyFile, 'utf8') : undefined),
    serverName: t.serverName,
    insecureSkipVerify: t.insecureSkipVerify,
    ...(t.minVersion !== undefined ? { minVersion: t.minVersion } : {}),
    ...(t.maxVersion !== undefined ? { maxVersion: t.maxVersion } : {}),
  };
  const custom = pem.ca !== undefined || pem.cert !== undefined || pem.key !== undefined || pem.serverName !== undefined || pem.insecureSkipVerify === true || pem.minVersion !== undefined || pem.maxVersion !== undefined;
  return makeDispatcher(custom ? pem : undefined, proxyChoice(h));
}

/** A config's proxy settings as a dispatcher takes them (CONNECT header values joined as Go sends them). */
export function proxyChoice(p: Partial<ProxyConfig>): ProxyChoice {
  const connectHeaders = joinHeaderValues(p.proxyConnectHeader);
  return {
    ...(p.proxyUrl !== undefined ? { proxyUrl: p.proxyUrl } : {}),
    ...(p.noProxy !== undefined ? { noProxy: p.noProxy } : {}),
    proxyFromEnvironment: p.proxyFromEnvironment === true,
    ...(connectHeaders !== undefined ? { connectHeaders } : {}),
  };
}

/** proxy_connect_header's values per header, joined; undefined when there are none. */
export function joinHeaderValues(h: Record<string, string[]> | undefined): Record<string, string> | undefined {
  const entries = Object.entries(h ?? {});
  return entries.length === 0 ? undefined : Object.fromEntries(entries.map(([k, v]) => [k, v.join(', ')]));
}
