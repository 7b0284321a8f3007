// The web configuration file of `--web.config.file`, in the format and with the semantics of
// Prometheus's exporter-toolkit (shared by Prometheus, the Alertmanager and node_exporter), so a
// file written for them works here: `tls_server_config`, `http_server_config`, `basic_auth_users`
// and `rate_limit`. Relative file names are read from the file's own directory; unknown keys and
// unknown values are errors that say where.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { YamlFile, type Node } from '../config/yaml-reader.js';

export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface TlsServerConfig {
  /** PEM text inline (`cert`, `key`, `client_ca`) or a file (`*_file`, absolute after loading). */
  cert?: string;
  key?: string;
  certFile?: string;
  keyFile?: string;
  clientCa?: string;
  clientCaFile?: string;
  clientAuth: ClientAuthType;
  /** OpenSSL names of the TLS 1.2 suites (Go's cipher_suites do not touch TLS 1.3's). */
  ciphers: string[];
  /** OpenSSL names of the key-exchange groups, in preference order. */
  curves: string[];
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  preferServerCipherSuites: boolean;
  clientAllowedSans?: string[];
}

export interface WebConfig {
  file: string;
  /** Undefined when the file configures no TLS: the server speaks plain HTTP. */
  tls: TlsServerConfig | undefined;
  http2: boolean;
  /** Security headers set on every response. */
  headers: [string, string][];
  /** User name to bcrypt hash; empty: no authentication. */
  users: Map<string, string>;
  rateLimit?: { burst: number; intervalMs: number };
}

export class WebConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebConfigError';
  }
}

// Go's crypto/tls suite names (tls.CipherSuites(), insecure ones left out as exporter-toolkit
// does) and the OpenSSL names Node uses for them. TLS 1.3 suites are accepted and, as in Go,
// not restricted: `null`.
const CIPHERS = new Map<string, string | null>([
  ['TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA'],
  ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256'],
  ['TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  ['TLS_AES_128_GCM_SHA256', null],
  ['TLS_AES_256_GCM_SHA384', null],
  ['TLS_CHACHA20_POLY1305_SHA256', null],
]);

const CURVES = new Map([
  ['CurveP256', 'P-256'],
  ['CurveP384', 'P-384'],
  ['CurveP521', 'P-521'],
  ['X25519', 'X25519'],
]);

const VERSIONS = new Map<string, TlsVersion>([
  ['TLS10', 'TLSv1'],
  ['TLS11', 'TLSv1.1'],
  ['TLS12', 'TLSv1.2'],
  ['TLS13', 'TLSv1.3'],
]);

const CLIENT_AUTH = new Map<string, ClientAuthType>([
  ['', 'NoClientCert'],
  ['NoClientCert', 'NoClientCert'],
  ['RequestClientCert', 'RequestClientCert'],
  ['RequireAnyClientCert', 'RequireAnyClientCert'],
  // exporter-toolkit keeps this older spelling working.
  ['RequireClientCert', 'RequireAnyClientCert'],
  ['VerifyClientCertIfGiven', 'VerifyClientCertIfGiven'],
  ['RequireAndVerifyClientCert', 'RequireAndVerifyClientCert'],
]);

/** The headers a web config may set, and their allowed values where the value is an enumeration. */
const SETTABLE_HEADERS = new Map<string, string[] | null>([
  ['Strict-Transport-Security', null],
  ['X-Content-Type-Options', ['nosniff']],
  ['X-Frame-Options', ['deny', 'sameorigin']],
  ['X-XSS-Protection', null],
  ['Content-Security-Policy', null],
]);

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'] as const;
const TLS_KEYS = ['cert', 'key', 'client_ca', 'cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'cipher_suites', 'curve_preferences', 'min_version', 'max_version', 'prefer_server_cipher_suites', 'client_allowed_sans'] as const;

function inDir(dir: string, file: string): string | undefined {
  if (file === '') return undefined;
  return isAbsolute(file) ? file : join(dir, file);
}

function parseTls(y: YamlFile, n: Node | undefined, dir: string): TlsServerConfig | undefined {
  if (n === undefined) return undefined;
  const m = y.map(n, 'tls_server_config', TLS_KEYS);
  const str = (k: (typeof TLS_KEYS)[number]): string => y.str(m.get(k), k);
  const named = <T>(k: (typeof TLS_KEYS)[number], table: Map<string, T>, what: string): T[] =>
    y.seq(m.get(k), k).map((item) => {
      const s = y.str(item, k);
      const v = table.get(s);
      if (v === undefined) y.fail(item, `unknown ${what}: ${s}`);
      return v;
    });
  const version = (k: 'min_version' | 'max_version', dflt: TlsVersion): TlsVersion => {
    const node = m.get(k);
    if (node === undefined || node.kind === 'null') return dflt;
    const v = VERSIONS.get(y.str(node, k));
    if (v === undefined) y.fail(node, `unknown TLS version: ${y.str(node, k)}`);
    return v;
  };
  const authText = str('client_auth_type');
  const clientAuth = CLIENT_AUTH.get(authText);
  const sansNode = m.get('client_allowed_sans');
  const cfg: TlsServerConfig = {
    cert: str('cert') || undefined,
    key: str('key') || undefined,
    clientCa: str('client_ca') || undefined,
    certFile: inDir(dir, str('cert_file')),
    keyFile: inDir(dir, str('key_file')),
    clientCaFile: inDir(dir, str('client_ca_file')),
    clientAuth: clientAuth ?? 'NoClientCert',
    ciphers: named('cipher_suites', CIPHERS, 'cipher').filter((c): c is string => c !== null),
    curves: named('curve_preferences', CURVES, 'curve'),
    minVersion: version('min_version', 'TLSv1.2'),
    maxVersion: version('max_version', 'TLSv1.3'),
    preferServerCipherSuites: y.bool(m.get('prefer_server_cipher_suites'), 'prefer_server_cipher_suites', true),
    clientAllowedSans: sansNode === undefined || sansNode.kind === 'null' ? undefined : y.strings(sansNode, 'client_allowed_sans'),
  };
  // As exporter-toolkit: any of these set means TLS is wanted; then it must be complete.
  const enabled = cfg.cert !== undefined || cfg.key !== undefined || cfg.certFile !== undefined || cfg.keyFile !== undefined || cfg.clientCa !== undefined || cfg.clientCaFile !== undefined || authText !== '';
  if (!enabled) return undefined;
  if (cfg.certFile === undefined && cfg.cert === undefined) y.fail(n, 'tls_server_config: missing one of cert or cert_file');
  if (cfg.keyFile === undefined && cfg.key === undefined) y.fail(n, 'tls_server_config: missing one of key or key_file');
  if (clientAuth === undefined) y.fail(m.get('client_auth_type'), `invalid ClientAuth: ${authText} (one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)`);
  if ((cfg.clientCa !== undefined || cfg.clientCaFile !== undefined) && clientAuth === 'NoClientCert') {
    y.fail(n, "tls_server_config: client CA's have been configured without a Client Auth Policy (client_auth_type)");
  }
  if (cfg.clientAllowedSans !== undefined && clientAuth !== 'RequireAnyClientCert' && clientAuth !== 'RequireAndVerifyClientCert') {
    y.fail(sansNode, 'client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert');
  }
  if (VERSION_ORDER.indexOf(cfg.minVersion) > VERSION_ORDER.indexOf(cfg.maxVersion)) y.fail(m.get('min_version'), 'tls_server_config: min_version is above max_version');
  return cfg;
}

const VERSION_ORDER: TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Whether the text is a bcrypt hash Go's bcrypt.Cost accepts: `$2<minor>$<cost 04..31>$<53 characters>`. */
export function isBcryptHash(text: string): boolean {
  const m = /^\$2[a-z]?\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(text);
  return m !== null && Number(m[1]) >= 4 && Number(m[1]) <= 31;
}

function parseUsers(y: YamlFile, n: Node | undefined): Map<string, string> {
  const users = new Map<string, string>();
  if (n === undefined || n.kind === 'null') return users;
  if (n.kind !== 'map') y.fail(n, 'basic_auth_users must be a mapping of user names to bcrypt hashes');
  for (const e of n.entries!) {
    if (users.has(e.key)) y.fail(e.keyNode, `basic_auth_users: user ${JSON.stringify(e.key)} is listed twice`);
    const hash = y.str(e.value, `basic_auth_users.${e.key}`);
    if (!isBcryptHash(hash)) {
      y.fail(e.value, `basic_auth_users: the password of user ${JSON.stringify(e.key)} is not a bcrypt hash (make one with \`htpasswd -nBC 10 ""\` or a bcrypt library)`);
    }
    users.set(e.key, hash);
  }
  return users;
}

/** Parses and validates a web config's text; `file` names it in errors and anchors relative paths. */
export function parseWebConfig(text: string, file: string): WebConfig {
  let y: YamlFile;
  try {
    y = new YamlFile(file, text);
  } catch (e) {
    throw new WebConfigError((e as Error).message);
  }
  try {
    const top = y.map(y.root, 'web config', TOP_KEYS);
    const httpNode = top.get('http_server_config');
    const httpMap = httpNode === undefined ? new Map<string, Node>() : y.map(httpNode, 'http_server_config', ['http2', 'headers']);
    const headers: [string, string][] = [];
    const headersNode = httpMap.get('headers');
    if (headersNode !== undefined && headersNode.kind !== 'null') {
      if (headersNode.kind !== 'map') y.fail(headersNode, 'headers must be a mapping');
      for (const e of headersNode.entries!) {
        const allowed = SETTABLE_HEADERS.get(e.key);
        if (allowed === undefined) y.fail(e.keyNode, `HTTP header ${JSON.stringify(e.key)} can not be configured (allowed: ${[...SETTABLE_HEADERS.keys()].join(', ')})`);
        const v = y.str(e.value, e.key);
        if (allowed !== null && !allowed.includes(v)) y.fail(e.value, `invalid value for ${e.key}. Expected one of: ${JSON.stringify(allowed)}, but got: ${JSON.stringify(v)}`);
        headers.push([e.key, v]);
      }
    }
    const rateNode = top.get('rate_limit');
    let rateLimit: WebConfig['rateLimit'];
    if (rateNode !== undefined && rateNode.kind !== 'null') {
      const r = y.map(rateNode, 'rate_limit', ['burst', 'interval']);
      const intervalMs = y.duration(r.get('interval'), 'interval', 0);
      if (intervalMs > 0) rateLimit = { burst: y.int(r.get('burst'), 'burst', 0), intervalMs };
    }
    return {
      file,
      tls: parseTls(y, top.get('tls_server_config'), dirname(file)),
      http2: y.bool(httpMap.get('http2'), 'http2', true),
      headers,
      users: parseUsers(y, top.get('basic_auth_users')),
      rateLimit,
    };
  } catch (e) {
    throw new WebConfigError((e as Error).message);
  }
}

/** Reads and validates the file (not the certificates it names: see tls.ts). */
export function readWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new WebConfigError(`cannot read web config ${file}: ${(e as Error).message}`);
  }
  return parseWebConfig(text, file);
}
