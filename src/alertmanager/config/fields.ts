// Shared readers of alertmanager.yml values: strings, label maps (null-prototype: keys are user
// input), URL settings with Alertmanager 0.25's checks, and a receiver's tls_config/http_config.
import type { Node, YamlFile } from '../../config/yaml-reader.js';
import { ALERTMANAGER_HTTP_FIELDS, hasTlsConfig, readHttpClientConfig, readTlsConfig as readSharedTlsConfig } from '../../common/http-config/reader.js';
import type { FileKind } from '../../common/http-config/reader.js';
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

/** alertmanager.yml's rules for the shared http config reader (file names as written). */
const ALERTMANAGER_FILE: FileKind = { kind: 'alertmanager.yml', path: (p) => p };

/** A tls_config (SMTP's too): CA, client certificate and key (files read now), server name, skipping verification. */
export function readTlsConfig(y: YamlFile, n: Node | undefined): PemTls | undefined {
  if (n === undefined || n.kind === 'null') return undefined;
  return readSharedTlsConfig(y, n, ALERTMANAGER_FILE);
}

/** A receiver's http_config: authorization, basic_auth, follow_redirects, proxy settings and tls_config are applied; oauth2 is refused. */
/** What every HTTP notifier reads alike: send_resolved (whose default differs per notifier), http_config and the 30 s send timeout. */
export function notifierCommon(y: YamlFile, m: Map<string, Node>, sendResolvedDefault: boolean): { sendResolved: boolean; http: HttpClientOptions; timeoutMs: number } {
  return { sendResolved: y.bool(m.get('send_resolved'), 'send_resolved', sendResolvedDefault), http: readHttpConfig(y, m.get('http_config')), timeoutMs: 30_000 };
}

export function readHttpConfig(y: YamlFile, n: Node | undefined): HttpClientOptions {
  if (n === undefined || n.kind === 'null') return DEFAULT_HTTP;
  const m = y.map(n, 'config.HTTPClientConfig', ALERTMANAGER_HTTP_FIELDS);
  const c = readHttpClientConfig(y, m, n, ALERTMANAGER_FILE);
  const out: HttpClientOptions = { followRedirects: c.followRedirects };
  if (hasTlsConfig(m)) out.tls = c.tls;
  if (c.proxyUrl !== undefined) out.proxyUrl = c.proxyUrl;
  if (c.noProxy !== undefined) out.noProxy = c.noProxy;
  out.proxyFromEnvironment = c.proxyFromEnvironment;
  out.proxyConnectHeader = c.proxyConnectHeader;
  if (c.authorization !== undefined) out.authorization = c.authorization;
  if (c.basicAuth !== undefined) out.basicAuth = { username: c.basicAuth.username, password: c.basicAuth.password, passwordFile: c.basicAuth.passwordFile };
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
