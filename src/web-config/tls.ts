// TLS for the servers from a web config, re-read without a restart as exporter-toolkit does: it
// reads the web config and the certificate files again on every new TLS handshake, so a rotated
// certificate or a new client CA takes effect for the next connection. Here each new connection
// stats the files (cheap) and rebuilds the secure context only when one of them changed.
import { readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { readWebConfig, WebConfigError, type TlsServerConfig, type WebConfig } from './config.js';
import type { Logger } from '../util/logger.js';

/** What a connection is served with: secure-context options and the client-certificate policy. */
export interface LoadedTls {
  config: TlsServerConfig;
  options: tls.SecureContextOptions;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/** OpenSSL's TLS 1.3 suites, kept whatever `cipher_suites` says (Go does not restrict TLS 1.3 either). */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

function readPem(file: string, key: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new WebConfigError(`failed to read ${key} (${file}): ${(e as Error).message}`);
  }
}

/** Reads the certificate files and checks them (the key must match the certificate). */
export function loadTls(c: TlsServerConfig): LoadedTls {
  const cert = c.certFile !== undefined ? readPem(c.certFile, 'cert_file') : c.cert!;
  const key = c.keyFile !== undefined ? readPem(c.keyFile, 'key_file') : c.key!;
  const ca = c.clientCaFile !== undefined ? readPem(c.clientCaFile, 'client_ca_file') : c.clientCa;
  const options: tls.SecureContextOptions = {
    cert,
    key,
    minVersion: c.minVersion,
    maxVersion: c.maxVersion,
    honorCipherOrder: c.preferServerCipherSuites,
    ...(ca !== undefined ? { ca } : {}),
    ...(c.ciphers.length > 0 ? { ciphers: `${c.ciphers.join(':')}:${TLS13_SUITES}` } : {}),
    ...(c.curves.length > 0 ? { ecdhCurve: c.curves.join(':') } : {}),
  };
  try {
    tls.createSecureContext(options);
  } catch (e) {
    throw new WebConfigError(`failed to load X509KeyPair (cert ${c.certFile ?? 'inline'}, key ${c.keyFile ?? 'inline'}): ${(e as Error).message}`);
  }
  return {
    config: c,
    options,
    requestCert: c.clientAuth !== 'NoClientCert',
    // Only this policy is enforced by OpenSSL itself; the others are checked after the handshake.
    rejectUnauthorized: c.clientAuth === 'RequireAndVerifyClientCert',
  };
}

function statKey(file: string | undefined): string {
  if (file === undefined) return '-';
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return 'missing';
  }
}

/** The web config's TLS part, reloaded when the config file or a file it names changes. */
export class TlsSource {
  private stamp: string;
  private current: LoadedTls | Error;

  constructor(
    private readonly file: string,
    initial: WebConfig,
  ) {
    if (initial.tls === undefined) throw new WebConfigError(`${file}: no tls_server_config`);
    this.current = loadTls(initial.tls);
    this.stamp = this.stampOf(initial.tls);
  }

  private stampOf(c: TlsServerConfig | undefined): string {
    return [statKey(this.file), statKey(c?.certFile), statKey(c?.keyFile), statKey(c?.clientCaFile)].join('|');
  }

  /** The TLS settings for a new connection, or why there are none (the handshake is refused). */
  get(): LoadedTls | Error {
    const cfg = this.current instanceof Error ? undefined : this.current.config;
    const stamp = this.stampOf(cfg);
    if (stamp === this.stamp && !(this.current instanceof Error)) return this.current;
    // Something changed (or the last read failed): read everything again.
    try {
      const next = readWebConfig(this.file);
      if (next.tls === undefined) throw new WebConfigError(`${this.file}: TLS config is not present any more (the server was started with TLS)`);
      this.current = loadTls(next.tls);
      this.stamp = this.stampOf(next.tls);
    } catch (e) {
      this.current = e as Error;
      this.stamp = stamp;
    }
    return this.current;
  }
}

/** The Subject Alternative Names of a peer certificate as plain values (DNS names, IPs, e-mails, URIs). */
function sanValues(cert: tls.PeerCertificate): string[] {
  const text = cert.subjectaltname ?? '';
  if (text === '') return [];
  return text.split(', ').map((part) => part.slice(part.indexOf(':') + 1));
}

/** Why a finished handshake's client certificate is not acceptable under the policy, if it is not. */
export function clientCertProblem(socket: tls.TLSSocket, t: LoadedTls): string | undefined {
  const policy = t.config.clientAuth;
  if (policy === 'NoClientCert' || policy === 'RequestClientCert') return undefined;
  const peer = socket.getPeerCertificate();
  const given = peer !== null && Object.keys(peer).length > 0;
  if (!given) return policy === 'VerifyClientCertIfGiven' ? undefined : 'client did not present a certificate';
  if ((policy === 'VerifyClientCertIfGiven' || policy === 'RequireAndVerifyClientCert') && !socket.authorized) {
    return `client certificate not verified: ${String(socket.authorizationError)}`;
  }
  const allowed = t.config.clientAllowedSans;
  if (allowed !== undefined && !sanValues(peer).some((v) => allowed.includes(v))) {
    return `could not find allowed SANs in client cert, found: ${JSON.stringify(sanValues(peer))}`;
  }
  return undefined;
}

/**
 * Makes a TLS server (https or http2) take its settings from the source on every new connection
 * and enforce the client-certificate policies OpenSSL does not (RequireAnyClientCert,
 * VerifyClientCertIfGiven, client_allowed_sans).
 */
export function attachTlsSource(server: tls.Server, source: TlsSource, logger: Logger): void {
  let applied: LoadedTls | undefined;
  // The settings each connection was accepted with, until its handshake ends (or it closes), so a
  // file changed in between does not judge it by other rules. Keyed by the peer's address and
  // port, which the raw socket and its TLS wrapper share.
  const pending = new Map<string, LoadedTls>();
  const peer = (s: Socket): string => `${s.remoteAddress ?? ''}|${s.remotePort ?? ''}`;
  // The server's own `connection` listener wraps the socket in TLS with the server's current
  // context and client-certificate settings: this one runs first and brings them up to date.
  server.prependListener('connection', (socket: Socket) => {
    const t = source.get();
    if (t instanceof Error) {
      logger.error('TLS handshake refused: the web config cannot be used', { err: t });
      socket.destroy();
      return;
    }
    if (t !== applied) {
      server.setSecureContext(t.options);
      // Read by the server when it wraps the next connection.
      const s = server as tls.Server & { requestCert: boolean; rejectUnauthorized: boolean };
      s.requestCert = t.requestCert;
      s.rejectUnauthorized = t.rejectUnauthorized;
      applied = t;
    }
    const key = peer(socket);
    pending.set(key, t);
    socket.once('close', () => pending.delete(key));
  });
  server.prependListener('secureConnection', (socket: tls.TLSSocket) => {
    const key = peer(socket);
    const t = pending.get(key) ?? applied;
    pending.delete(key);
    if (t === undefined) return;
    const problem = clientCertProblem(socket, t);
    if (problem !== undefined) {
      logger.debug('TLS connection refused', { remote: socket.remoteAddress ?? '', reason: problem });
      socket.destroy();
    }
  });
}
