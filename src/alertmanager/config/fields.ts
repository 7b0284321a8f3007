// Shared readers of alertmanager.yml values: strings, label maps (null-prototype: keys are user
// input), URL settings with Alertmanager 0.25's checks, and a receiver's tls_config/http_config.
import { readFileSync } from 'node:fs';
import type { Node, YamlFile } from '../../config/yaml-reader.js';
import { readProxyConfig } from '../../common/http-config/proxy-config.js';
import { tlsVersion } from '../../common/http-config/dispatcher.js';
import type { PemTls } from '../../common/http-config/dispatcher.js';
import type { Labels } from '../../model/labels.js';
import { DEFAULT_HTTP, type HttpClientOptions } from '../../common/http-config/fetch.js';
import { alertmanagerUrlProblem } from './go-url.js';

export function scalarString(y: YamlFile, n: Node | undefined, what: string): string {
  if (!n || n.kind === 'null') return '';
  if (n.kind !== 'scalar') y.fail(n, `${what} must be a string`);
  return String(n.value);
}

/**
 * A URL setting (a present key is checked even when empty, as Alertmanager parses it); '' when
 * absent. `secret` settings also take the `<secret>` placeholder.
 */
export function urlSetting(y: YamlFile, n: Node | undefined, what: string, secret = false): string {
  if (n === undefined) return '';
  const v = scalarString(y, n, what);
  const problem = alertmanagerUrlProblem(v, secret);
  if (problem !== undefined) y.fail(n, problem);
  return v;
}

export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function labelMap(y: YamlFile, n: Node | undefined, what: string): Labels {
  const out: Labels = Object.create(null) as Labels;
  if (!n || n.kind === 'null') return out;
  if (n.kind !== 'map') y.fail(n, `${what} must be a mapping`);
  for (const e of n.entries!) {
    if (e.value.kind === 'null') y.fail(e.keyNode, `${what}: the value of ${JSON.stringify(e.key)} is empty (key ${e.key})`);
    out[e.key] = scalarString(y, e.value, `${what}.${e.key}`);
  }
  return out;
}

/** tls_config for SMTP: CA, client certificate and key (files read now), server name, skipping verification. */
export function readTlsConfig(y: YamlFile, n: Node | undefined): PemTls | undefined {
  if (n === undefined || n.kind === 'null') return undefined;
  const m = y.map(n, 'config.TLSConfig', ['ca', 'ca_file', 'cert', 'cert_file', 'key', 'key_file', 'server_name', 'insecure_skip_verify', 'min_version', 'max_version']);
  const file = (inline: string, path: string): string | undefined => {
    const text = scalarString(y, m.get(inline), inline);
    const f = scalarString(y, m.get(path), path);
    if (text !== '' && f !== '') y.fail(n, `at most one of ${inline} and ${path} must be configured`);
    if (f === '') return text || undefined;
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      return y.fail(m.get(path), `unable to read ${path} ${f}: ${(e as Error).message}`);
    }
  };
  const versions: Partial<Pick<PemTls, 'minVersion' | 'maxVersion'>> = {};
  for (const [k, field] of [['min_version', 'minVersion'], ['max_version', 'maxVersion']] as const) {
    const v = scalarString(y, m.get(k), k);
    if (v === '') continue;
    if (tlsVersion(v) === undefined) y.fail(m.get(k), `unknown TLS version: ${v}`);
    versions[field] = v;
  }
  return { ca: file('ca', 'ca_file'), cert: file('cert', 'cert_file'), key: file('key', 'key_file'), serverName: scalarString(y, m.get('server_name'), 'server_name') || undefined, insecureSkipVerify: y.bool(m.get('insecure_skip_verify'), 'insecure_skip_verify', false), ...versions };
}

/** A receiver's http_config: authorization, basic_auth, follow_redirects, proxy_url and tls_config are applied; the rest is refused. */
export function readHttpConfig(y: YamlFile, n: Node | undefined): HttpClientOptions {
  if (n === undefined || n.kind === 'null') return DEFAULT_HTTP;
  const m = y.map(n, 'config.HTTPClientConfig', ['authorization', 'basic_auth', 'bearer_token', 'bearer_token_file', 'follow_redirects', 'enable_http2', 'proxy_url', 'tls_config', 'oauth2', 'no_proxy', 'proxy_from_environment', 'proxy_connect_header']);
  if (m.has('oauth2')) y.fail(m.get('oauth2'), "http_config.oauth2 is not supported by Promethium's Alertmanager (supported: authorization, basic_auth, follow_redirects, proxy settings, tls_config)");
  const out: HttpClientOptions = { followRedirects: y.bool(m.get('follow_redirects'), 'follow_redirects', true) };
  const tls = readTlsConfig(y, m.get('tls_config'));
  if (tls !== undefined) out.tls = tls;
  Object.assign(out, readProxyConfig(y, m));
  const bearer = scalarString(y, m.get('bearer_token'), 'bearer_token');
  const bearerFile = scalarString(y, m.get('bearer_token_file'), 'bearer_token_file');
  if (m.has('authorization')) {
    const am = y.map(m.get('authorization')!, 'config.Authorization', ['type', 'credentials', 'credentials_file']);
    const credentials = scalarString(y, am.get('credentials'), 'credentials');
    const credentialsFile = scalarString(y, am.get('credentials_file'), 'credentials_file');
    if (credentials !== '' && credentialsFile !== '') y.fail(m.get('authorization'), 'at most one of authorization credentials & credentials_file must be configured');
    const type = scalarString(y, am.get('type'), 'type');
    if (type.toLowerCase() === 'basic') y.fail(am.get('type'), 'authorization type cannot be set to "basic", use "basic_auth" instead');
    out.authorization = { type: type || 'Bearer', credentials: credentials || undefined, credentialsFile: credentialsFile || undefined };
  } else if (bearer !== '' || bearerFile !== '') {
    out.authorization = { type: 'Bearer', credentials: bearer || undefined, credentialsFile: bearerFile || undefined };
  }
  if (m.has('basic_auth')) {
    if (out.authorization !== undefined) y.fail(m.get('basic_auth'), 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured');
    const bm = y.map(m.get('basic_auth')!, 'config.BasicAuth', ['username', 'password', 'password_file', 'username_file']);
    const password = scalarString(y, bm.get('password'), 'password');
    const passwordFile = scalarString(y, bm.get('password_file'), 'password_file');
    if (password !== '' && passwordFile !== '') y.fail(m.get('basic_auth'), 'at most one of basic_auth password & password_file must be configured');
    out.basicAuth = { username: scalarString(y, bm.get('username'), 'username'), password: password || undefined, passwordFile: passwordFile || undefined };
  }
  return out;
}


/** URL settings of the global section; `true` marks secret URLs. */
const GLOBAL_URLS: [string, boolean][] = [
  ['slack_api_url', true], ['mattermost_webhook_url', true], ['slack_app_url', false], ['telegram_api_url', false], ['opsgenie_api_url', false], ['victorops_api_url', false],
  ['pagerduty_url', false], ['rocketchat_api_url', false], ['wechat_api_url', false], ['webex_api_url', false], ['jira_api_url', false],
];

/** URL settings of each integration (pushover's `url` and sns's `api_url` are plain strings upstream). */
const RECEIVER_URLS = new Map<string, [string, boolean][]>([
  ['webhook_configs', [['url', true]]],
  ['slack_configs', [['api_url', true], ['app_url', false]]],
  ['mattermost_configs', [['webhook_url', true]]],
  ['opsgenie_configs', [['api_url', false]]],
  ['victorops_configs', [['api_url', false]]],
  ['pagerduty_configs', [['url', false]]],
  ['telegram_configs', [['api_url', false]]],
  ['wechat_configs', [['api_url', false]]],
  ['rocketchat_configs', [['api_url', false]]],
]);

function checkUrls(y: YamlFile, n: Node | undefined, keys: [string, boolean][]): void {
  if (n === undefined || n.kind !== 'map') return;
  for (const [key, secret] of keys) {
    const v = n.entries!.find((e) => e.key === key)?.value;
    if (v !== undefined && v.kind !== 'null') urlSetting(y, v, key, secret);
  }
}

/**
 * Every URL setting of the file (global and in receivers) checked as Alertmanager 0.25 parses
 * them (a set but empty URL is refused too), before the sections are read.
 */
export function checkUrlSettings(y: YamlFile, global: Node | undefined, receivers: Node | undefined): void {
  checkUrls(y, global, GLOBAL_URLS);
  if (receivers === undefined || receivers.kind !== 'seq') return;
  for (const r of receivers.items ?? []) {
    if (r.kind !== 'map') continue;
    for (const e of r.entries!) {
      const keys = RECEIVER_URLS.get(e.key);
      if (keys === undefined || e.value.kind !== 'seq') continue;
      for (const c of e.value.items ?? []) checkUrls(y, c, keys);
    }
  }
}
