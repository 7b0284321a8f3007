// An Alertmanager's tls_config as an undici dispatcher: the CA, client certificate, server name and
// insecure_skip_verify apply to the connections alerts are posted on (files read when the
// configuration is applied, as Prometheus reads them when it builds its HTTP client).
import { readFileSync } from 'node:fs';
import type { Agent } from 'undici';
import { undici } from '../util/undici.js';
import type { TlsConfig } from '../config/index.js';

/** The dispatcher for a TLS config, or undefined when nothing in it differs from the defaults. */
export function tlsDispatcher(tls: TlsConfig): Agent | undefined {
  const ca = tls.ca ?? (tls.caFile !== undefined ? readFileSync(tls.caFile, 'utf8') : undefined);
  const cert = tls.cert ?? (tls.certFile !== undefined ? readFileSync(tls.certFile, 'utf8') : undefined);
  const key = tls.key ?? (tls.keyFile !== undefined ? readFileSync(tls.keyFile, 'utf8') : undefined);
  if (ca === undefined && cert === undefined && key === undefined && tls.serverName === undefined && !tls.insecureSkipVerify) return undefined;
  return new (undici().Agent)({ connect: { ca, cert, key, servername: tls.serverName, rejectUnauthorized: !tls.insecureSkipVerify } });
}
