// The one reader of an HTTP client config (prometheus/common's HTTPClientConfig) for prometheus.yml
// and alertmanager.yml alike: tls_config, basic_auth, authorization, bearer_token(_file), oauth2,
// the proxy settings, follow_redirects, enable_http2 and http_headers.
//
// The two files were checked by versions of Prometheus and Alertmanager that do not agree on every
// check and message, and each file kind keeps exactly the errors it had: where they differ, the
// `FileKind` rules below say which applies (one reader, two sets of rules, no second copy).
import { readFileSync } from 'node:fs';
import { tlsVersion } from './dispatcher.js';
import { readProxyConfig } from './proxy-config.js';
import type { HttpClientConfig, OAuth2Config, TlsConfig } from './types.js';
import type { ConfigNode as Node, ConfigReader as YamlFile } from './yaml.js';

/** Where an http config is read from, and so which of the two sets of checks and messages apply. */
export interface FileKind {
  kind: 'prometheus.yml' | 'alertmanager.yml';
  /** A file name as written (relative ones against the config's directory for prometheus.yml). */
  path(p: string | undefined): string | undefined;
}

/** The HTTP client keys a prometheus.yml section takes inline beside its own. */
export const HTTP_FIELDS = ['basic_auth', 'authorization', 'oauth2', 'bearer_token', 'bearer_token_file', 'tls_config', 'proxy_url', 'no_proxy', 'proxy_from_environment', 'proxy_connect_header', 'follow_redirects', 'enable_http2', 'http_headers'];

/** The keys of an alertmanager.yml http_config (Alertmanager 0.25 has no http_headers). */
export const ALERTMANAGER_HTTP_FIELDS = ['authorization', 'basic_auth', 'bearer_token', 'bearer_token_file', 'follow_redirects', 'enable_http2', 'proxy_url', 'tls_config', 'oauth2', 'no_proxy', 'proxy_from_environment', 'proxy_connect_header'];

const TLS_KEYS: Record<FileKind['kind'], string[]> = {
  'prometheus.yml': ['ca', 'ca_file', 'ca_ref', 'cert', 'cert_file', 'cert_ref', 'key', 'key_file', 'key_ref', 'server_name', 'insecure_skip_verify', 'min_version', 'max_version'],
  'alertmanager.yml': ['ca', 'ca_file', 'cert', 'cert_file', 'key', 'key_file', 'server_name', 'insecure_skip_verify', 'min_version', 'max_version'],
};

const BASIC_AUTH_KEYS: Record<FileKind['kind'], string[]> = {
  'prometheus.yml': ['username', 'username_file', 'username_ref', 'password', 'password_file', 'password_ref'],
  'alertmanager.yml': ['username', 'password', 'password_file', 'username_file'],
};

const AUTHORIZATION_KEYS: Record<FileKind['kind'], string[]> = {
  'prometheus.yml': ['type', 'credentials', 'credentials_file', 'credentials_ref'],
  'alertmanager.yml': ['type', 'credentials', 'credentials_file'],
};

const NULL_NODE: Node = { kind: 'null', line: 0, col: 0 };

/**
 * A tls_config. prometheus.yml keeps the file names (read when the client is made, so rotated
 * certificates are picked up); alertmanager.yml reads the files now, as Alertmanager 0.25 does, and
 * gives their PEM contents in ca/cert/key.
 */
export function readTlsConfig(y: YamlFile, n: Node | undefined, f: FileKind): TlsConfig {
  const m = y.map(n ?? NULL_NODE, 'config.TLSConfig', TLS_KEYS[f.kind]);
  const versions: Pick<TlsConfig, 'minVersion' | 'maxVersion'> = {};
  for (const [k, field] of [['min_version', 'minVersion'], ['max_version', 'maxVersion']] as const) {
    const v = y.str(m.get(k), k);
    if (v === '') continue;
    if (tlsVersion(v) === undefined) y.fail(m.get(k), `unknown TLS version: ${v}`);
    versions[field] = v;
  }
  const serverName = y.str(m.get('server_name'), 'server_name') || undefined;
  const insecureSkipVerify = y.bool(m.get('insecure_skip_verify'), 'insecure_skip_verify', false);
  if (f.kind === 'prometheus.yml') {
    const inline = (k: string): string | undefined => y.str(m.get(k), k) || undefined;
    const file = (k: string): string | undefined => f.path(y.str(m.get(k), k) || undefined);
    return { ca: inline('ca'), caFile: file('ca_file'), cert: inline('cert'), certFile: file('cert_file'), key: inline('key'), keyFile: file('key_file'), serverName, insecureSkipVerify, minVersion: versions.minVersion, maxVersion: versions.maxVersion };
  }
  const pem = (inline: string, path: string): string | undefined => {
    const text = y.str(m.get(inline), inline);
    const file = y.str(m.get(path), path);
    if (text !== '' && file !== '') y.fail(n, `at most one of ${inline} and ${path} must be configured`);
    if (file === '') return text || undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      return y.fail(m.get(path), `unable to read ${path} ${file}: ${(e as Error).message}`);
    }
  };
  return { ca: pem('ca', 'ca_file'), cert: pem('cert', 'cert_file'), key: pem('key', 'key_file'), serverName, insecureSkipVerify, ...versions };
}

/** Whether a tls_config was given at all (an alertmanager.yml client without one uses plain connections). */
export function hasTlsConfig(m: Map<string, Node>): boolean {
  const n = m.get('tls_config');
  return n !== undefined && n.kind !== 'null';
}

/**
 * An HTTP client config from the keys of `m` (a prometheus.yml section's own map, or an
 * alertmanager.yml http_config's); `where` is the section, for errors about key combinations.
 */
export function readHttpClientConfig(y: YamlFile, m: Map<string, Node>, where: Node, f: FileKind): HttpClientConfig {
  const am = f.kind === 'alertmanager.yml';
  if (am && m.has('oauth2')) y.fail(m.get('oauth2'), "http_config.oauth2 is not supported by Promethium's Alertmanager (supported: authorization, basic_auth, follow_redirects, proxy settings, tls_config)");
  const tls = readTlsConfig(y, m.get('tls_config'), f);
  const ba = m.get('basic_auth');
  const baMap = ba ? y.map(ba, 'config.BasicAuth', BASIC_AUTH_KEYS[f.kind]) : undefined;
  const au = m.get('authorization');
  const auMap = au ? y.map(au, 'config.Authorization', AUTHORIZATION_KEYS[f.kind]) : undefined;
  const bearer = y.str(m.get('bearer_token'), 'bearer_token');
  const bearerFile = y.str(m.get('bearer_token_file'), 'bearer_token_file');
  const oauth2 = m.get('oauth2');
  if (am) checkAlertmanagerAuth(y, m, auMap, baMap, bearer !== '' || bearerFile !== '');
  else checkPrometheusAuth(y, where, auMap !== undefined, baMap !== undefined, oauth2 !== undefined, bearer, bearerFile);
  let authorization: HttpClientConfig['authorization'];
  if (auMap) {
    const type = y.str(auMap.get('type'), 'type', 'Bearer');
    // Alertmanager also takes an empty type as Bearer.
    authorization = { type: am ? type || 'Bearer' : type, credentials: y.str(auMap.get('credentials'), 'credentials') || undefined, credentialsFile: f.path(y.str(auMap.get('credentials_file'), 'credentials_file') || undefined) };
  } else if (am && (bearer !== '' || bearerFile !== '')) authorization = { type: 'Bearer', credentials: bearer || undefined, credentialsFile: bearerFile || undefined };
  else if (bearer) authorization = { type: 'Bearer', credentials: bearer };
  else if (bearerFile) authorization = { type: 'Bearer', credentialsFile: f.path(bearerFile) };
  const httpHeaders = readHttpHeaders(y, m.get('http_headers'), f);
  const proxy = readProxyConfig(y, m);
  return {
    basicAuth: baMap ? { username: y.str(baMap.get('username'), 'username'), usernameFile: f.path(y.str(baMap.get('username_file'), 'username_file') || undefined), password: y.str(baMap.get('password'), 'password') || undefined, passwordFile: f.path(y.str(baMap.get('password_file'), 'password_file') || undefined) } : undefined,
    authorization,
    oauth2: oauth2 ? readOAuth2Config(y, oauth2, f) : undefined,
    tls,
    ...proxy,
    followRedirects: y.bool(m.get('follow_redirects'), 'follow_redirects', true),
    enableHttp2: y.bool(m.get('enable_http2'), 'enable_http2', true),
    httpHeaders,
  };
}

/** Prometheus's checks of the authentication settings, against the whole section. */
function checkPrometheusAuth(y: YamlFile, where: Node, authorization: boolean, basicAuth: boolean, oauth2: boolean, bearer: string, bearerFile: string): void {
  if (bearer && bearerFile) y.fail(where, 'at most one of bearer_token & bearer_token_file must be configured');
  if ((bearer || bearerFile) && (basicAuth || oauth2)) y.fail(where, 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured');
  if ((authorization && (basicAuth || oauth2)) || (basicAuth && oauth2)) y.fail(where, 'at most one of basic_auth, oauth2 & authorization must be configured');
  if (authorization && (bearer || bearerFile)) y.fail(where, 'authorization is not compatible with bearer_token & bearer_token_file');
}

/** Alertmanager's checks of the authentication settings, each at the setting it is about. */
function checkAlertmanagerAuth(y: YamlFile, m: Map<string, Node>, auMap: Map<string, Node> | undefined, baMap: Map<string, Node> | undefined, bearer: boolean): void {
  if (auMap) {
    if (y.str(auMap.get('credentials'), 'credentials') !== '' && y.str(auMap.get('credentials_file'), 'credentials_file') !== '') y.fail(m.get('authorization'), 'at most one of authorization credentials & credentials_file must be configured');
    if (y.str(auMap.get('type'), 'type').toLowerCase() === 'basic') y.fail(auMap.get('type'), 'authorization type cannot be set to "basic", use "basic_auth" instead');
  }
  if (baMap) {
    if (auMap !== undefined || bearer) y.fail(m.get('basic_auth'), 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured');
    if (y.str(baMap.get('password'), 'password') !== '' && y.str(baMap.get('password_file'), 'password_file') !== '') y.fail(m.get('basic_auth'), 'at most one of basic_auth password & password_file must be configured');
  }
}

/** http_headers: per header, values, secrets and files (read when requests are made). */
function readHttpHeaders(y: YamlFile, n: Node | undefined, f: FileKind): HttpClientConfig['httpHeaders'] {
  const out: HttpClientConfig['httpHeaders'] = {};
  if (!n || n.kind !== 'map') return out;
  for (const e of n.entries!) {
    const hm = y.map(e.value, 'config.Header', ['values', 'secrets', 'files']);
    out[e.key] = { values: y.strings(hm.get('values'), 'values'), secrets: y.strings(hm.get('secrets'), 'secrets'), files: y.strings(hm.get('files'), 'files').map((p) => f.path(p)!) };
  }
  return out;
}

/** oauth2 (prometheus.yml only: alertmanager.yml refuses it above). */
function readOAuth2Config(y: YamlFile, n: Node, f: FileKind): OAuth2Config {
  const m = y.map(n, 'config.OAuth2', ['client_id', 'client_id_file', 'client_secret', 'client_secret_file', 'client_secret_ref', 'scopes', 'token_url', 'endpoint_params', 'tls_config', 'proxy_url', 'no_proxy', 'proxy_from_environment', 'proxy_connect_header']);
  const clientId = y.str(m.get('client_id'), 'client_id');
  const secret = y.str(m.get('client_secret'), 'client_secret');
  const secretFile = y.str(m.get('client_secret_file'), 'client_secret_file');
  if (secret && secretFile) y.fail(n, 'at most one of oauth2 client_secret & client_secret_file must be configured');
  const tokenUrl = y.str(m.get('token_url'), 'token_url');
  if (tokenUrl === '') y.fail(n, 'oauth2 token_url must be configured');
  const params: Record<string, string> = {};
  const pn = m.get('endpoint_params');
  if (pn && pn.kind === 'map') for (const e of pn.entries!) params[e.key] = y.str(e.value, `endpoint_params.${e.key}`);
  return {
    clientId,
    clientSecret: secret || undefined,
    clientSecretFile: f.path(secretFile || undefined),
    scopes: y.strings(m.get('scopes'), 'scopes'),
    tokenUrl,
    endpointParams: params,
    // The token endpoint's own TLS, read with a client's rules.
    tls: readTlsConfig(y, m.get('tls_config'), f),
    ...readProxyConfig(y, m),
  };
}
