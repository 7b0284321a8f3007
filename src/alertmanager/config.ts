// alertmanager.yml: Alertmanager's keys, defaults and validation, read strictly with file:line:col
// errors, built into what the core runs (routing tree, inhibition, receivers). E-mail, webhook,
// Slack, Telegram, Opsgenie, VictorOps, PagerDuty, Pushover, Mattermost, Rocket.Chat, WeChat and SNS
// receivers are implemented; other integrations are refused with a clear message.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { YamlFile, ConfigError } from '../config/yaml-reader.js';
import type { Node } from '../config/yaml-reader.js';
import { expandGlob } from '../util/glob.js';
import type { CoreConfig } from './core.js';
import type { InhibitRule } from './inhibit.js';
import type { Integration } from './notify.js';
import type { RouteNode } from './route.js';
import type { SilenceMatcher } from './silences.js';
import { routeTimeMuted } from './time-intervals.js';
import { readTimeIntervals } from './config/time-intervals.js';
import { EXCLUSIVE_GLOBALS, GLOBAL_KEYS } from './config/globals.js';
import { checkUrlSettings, labelMap, scalarString } from './config/fields.js';
import type { GlobalSettings, ReceiverConfigReader, ReceiverContext } from './config/receiver-context.js';
import { emailConfigReader } from './integrations/email.js';
import { webhookConfigReader } from './integrations/webhook.js';
import { SLACK_APP_URL, slackConfigReader } from './integrations/slack.js';
import { TELEGRAM_API_URL, telegramConfigReader } from './integrations/telegram.js';
import { OPSGENIE_API_URL, VICTOROPS_API_URL, opsgenieConfigReader, victoropsConfigReader } from './integrations/oncall.js';
import { PAGERDUTY_URL, pagerdutyConfigReader, pushoverConfigReader } from './integrations/paging.js';
import { ROCKETCHAT_API_URL, mattermostConfigReader, rocketchatConfigReader } from './integrations/chat.js';
import { WECHAT_API_URL, wechatConfigReader } from './integrations/wechat.js';
import { snsConfigReader } from './integrations/sns.js';
import { matcherPredicate, parseMatcher, parseMatchers, formatMatcher, MatcherError } from './matchers.js';
import { makeRenderer } from './templates.js';
import { TemplateError } from '../template/errors.js';
import { LEGACY_LABEL_NAME } from '../model/labels.js';

export { ConfigError };

/** Each receiver kind and its reader (in integrations/<name>.ts, beside its sender), in the order a receiver's integrations are made. */
const RECEIVER_READERS: readonly ReceiverConfigReader[] = [
  emailConfigReader, webhookConfigReader, slackConfigReader, telegramConfigReader, opsgenieConfigReader, victoropsConfigReader,
  pagerdutyConfigReader, pushoverConfigReader, mattermostConfigReader, rocketchatConfigReader, wechatConfigReader, snsConfigReader,
];
const INTEGRATIONS = RECEIVER_READERS.map((r) => r.key);
const UNSUPPORTED_INTEGRATIONS = ['discord_configs', 'incidentio_configs', 'jira_configs', 'msteams_configs', 'msteamsv2_configs', 'webex_configs'];

interface Defaults {
  receiver: string;
  groupBy: string[] | 'all';
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export interface AlertmanagerConfigFile {
  core: CoreConfig;
  receivers: string[];
  templates: string[];
}

/** match, match_re and matchers of a route or an inhibit rule side, as matchers. */
function readMatchers(y: YamlFile, match: Node | undefined, matchRe: Node | undefined, matchers: Node | undefined, what: string): SilenceMatcher[] {
  const out: SilenceMatcher[] = [];
  for (const n of [match, matchRe]) {
    for (const e of n?.kind === 'map' ? n.entries! : []) if (!LEGACY_LABEL_NAME.test(e.key)) y.fail(e.keyNode, `invalid label name ${JSON.stringify(e.key)}`);
  }
  for (const [k, v] of Object.entries(labelMap(y, match, `${what}match`))) out.push({ name: k, value: v, isRegex: false, isEqual: true });
  for (const [k, v] of Object.entries(labelMap(y, matchRe, `${what}match_re`))) {
    try {
      out.push(parseMatcher(`${k}=~${JSON.stringify(v)}`));
    } catch (e) {
      y.fail(matchRe, (e as Error).message);
    }
  }
  for (const item of y.seq(matchers, `${what}matchers`)) {
    try {
      // Each entry is a matcher list as Alertmanager reads it (`a=b, c=~"d"` or `{a=b}`).
      out.push(...parseMatchers(scalarString(y, item, 'matcher')));
    } catch (e) {
      if (e instanceof MatcherError) y.fail(item, e.message);
      throw e;
    }
  }
  return out;
}

export function parseAlertmanagerConfig(text: string, file: string): AlertmanagerConfigFile {
  const y: YamlFile = new YamlFile(file, text);
  if (y.root.kind === 'null') y.fail(undefined, 'no route provided');
  const dir = dirname(file);
  const top = y.map(y.root, 'config.plain', ['global', 'route', 'inhibit_rules', 'receivers', 'templates', 'time_intervals', 'mute_time_intervals']);
  const gm = y.map(top.get('global') ?? { kind: 'null', line: 0, col: 0 }, 'config.GlobalConfig', GLOBAL_KEYS);
  checkUrlSettings(y, top.get('global'), top.get('receivers'));
  const globalStr = (k: string): string => scalarString(y, gm.get(k), k);
  for (const [a, b, msg] of EXCLUSIVE_GLOBALS) {
    if (globalStr(a) !== '' && globalStr(b) !== '') y.fail(gm.get(b), msg);
  }
  const smarthost = globalStr('smtp_smarthost');
  const checkSmarthost = (host: string, n: Node | undefined): void => {
    if (host !== '' && !/^(\[[^\]]+\]|[^:]*):\d+$/.test(host)) y.fail(n, `address ${host}: missing port in address`);
  };
  checkSmarthost(smarthost, gm.get('smtp_smarthost'));
  const global: GlobalSettings = {
    resolveTimeoutMs: y.duration(gm.get('resolve_timeout'), 'resolve_timeout', 5 * 60_000),
    smtpFrom: globalStr('smtp_from'),
    smtpHello: globalStr('smtp_hello') || 'localhost',
    smtpSmarthost: smarthost,
    smtpAuthUsername: globalStr('smtp_auth_username'),
    smtpAuthPassword: globalStr('smtp_auth_password'),
    smtpAuthPasswordFile: globalStr('smtp_auth_password_file'),
    smtpRequireTls: y.bool(gm.get('smtp_require_tls'), 'smtp_require_tls', true),
    slackApiUrl: globalStr('slack_api_url'),
    slackApiUrlFile: globalStr('slack_api_url_file'),
    slackAppToken: globalStr('slack_app_token'),
    slackAppTokenFile: globalStr('slack_app_token_file'),
    slackAppUrl: globalStr('slack_app_url') || SLACK_APP_URL,
    telegramApiUrl: globalStr('telegram_api_url') || TELEGRAM_API_URL,
    telegramBotToken: globalStr('telegram_bot_token'),
    telegramBotTokenFile: globalStr('telegram_bot_token_file'),
    opsgenieApiKey: globalStr('opsgenie_api_key'),
    opsgenieApiKeyFile: globalStr('opsgenie_api_key_file'),
    opsgenieApiUrl: globalStr('opsgenie_api_url') || OPSGENIE_API_URL,
    victoropsApiKey: globalStr('victorops_api_key'),
    victoropsApiKeyFile: globalStr('victorops_api_key_file'),
    victoropsApiUrl: globalStr('victorops_api_url') || VICTOROPS_API_URL,
    pagerdutyUrl: globalStr('pagerduty_url') || PAGERDUTY_URL,
    mattermostWebhookUrl: globalStr('mattermost_webhook_url'),
    mattermostWebhookUrlFile: globalStr('mattermost_webhook_url_file'),
    rocketchatApiUrl: globalStr('rocketchat_api_url') || ROCKETCHAT_API_URL,
    rocketchatToken: globalStr('rocketchat_token'),
    rocketchatTokenFile: globalStr('rocketchat_token_file'),
    rocketchatTokenId: globalStr('rocketchat_token_id'),
    rocketchatTokenIdFile: globalStr('rocketchat_token_id_file'),
    wechatApiUrl: globalStr('wechat_api_url') || WECHAT_API_URL,
    wechatApiSecret: globalStr('wechat_api_secret'),
    wechatApiSecretFile: globalStr('wechat_api_secret_file'),
    wechatApiCorpId: globalStr('wechat_api_corp_id'),
  };
  // A webhook URL and an app token exclude each other, except for the old workaround of pointing
  // the URL at chat.postMessage.
  if ((global.slackAppToken !== '' || global.slackAppTokenFile !== '') && (global.slackApiUrlFile !== '' || (global.slackApiUrl !== '' && global.slackApiUrl !== SLACK_APP_URL))) {
    y.fail(gm.get('slack_app_token') ?? gm.get('slack_app_token_file'), 'at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured');
  }

  const intervals = readTimeIntervals(y, top);

  // Templates: the default ones plus the configured globs (relative to the config file).
  const templates = y.strings(top.get('templates'), 'templates').flatMap((g) => {
    // Go's filepath.Glob refuses a character class that is never closed.
    if (/\[[^\]]*$/.test(g.replace(/\\./g, ''))) y.fail(top.get('templates'), 'syntax error in pattern');
    return expandGlob(isAbsolute(g) ? g : join(dir, g), dir);
  });
  // Parsed now, as Alertmanager does: a broken template file fails the load (and a reload keeps
  // the running configuration), with the file's name and line in the error.
  let renderTemplate: ReturnType<typeof makeRenderer>;
  try {
    renderTemplate = makeRenderer(templates);
  } catch (e) {
    if (e instanceof TemplateError) throw new ConfigError(e.message);
    throw e;
  }

  // Receivers: each `<name>_configs` list read by its integration's reader.
  const ctx: ReceiverContext = { y, global, globalSection: gm, renderTemplate, checkSmarthost };
  const receivers = new Map<string, Integration[]>();
  for (const r of y.seq(top.get('receivers'), 'receivers')) {
    for (const e of r.kind === 'map' ? r.entries! : []) {
      if (UNSUPPORTED_INTEGRATIONS.includes(e.key)) y.fail(e.keyNode, `${e.key}: this integration is not supported by Promethium's Alertmanager (supported: ${INTEGRATIONS.join(', ')})`);
    }
    const m = y.map(r, 'config.Receiver', ['name', 'labels', ...INTEGRATIONS]);
    const name = scalarString(y, m.get('name'), 'name');
    if (name === '') y.fail(r, 'missing name in receiver');
    if (receivers.has(name)) y.fail(r, `notification config name ${JSON.stringify(name)} is not unique`);
    const integrations: Integration[] = [];
    for (const reader of RECEIVER_READERS) {
      y.seq(m.get(reader.key), reader.key).forEach((c, i) => {
        if (reader.missing !== undefined && c.kind === 'null') y.fail(c, reader.missing);
        const cm = y.map(c, reader.typeName, reader.fields);
        integrations.push(reader.read(ctx, c, cm, (k, dflt = '') => (cm.has(k) ? scalarString(y, cm.get(k), k) : dflt), i));
      });
    }
    receivers.set(name, integrations);
  }

  // The routing tree.
  const routeNode = top.get('route');
  if (!routeNode || routeNode.kind === 'null') y.fail(undefined, 'no route provided');
  const used = new Set<string>();
  const usedIntervals: [string, Node][] = [];
  const build = (n: Node, parent: Defaults | undefined, parentKey: string, root: boolean): RouteNode => {
    const m = y.map(n, 'config.Route', ['receiver', 'group_by', 'continue', 'matchers', 'match', 'match_re', 'group_wait', 'group_interval', 'repeat_interval', 'mute_time_intervals', 'active_time_intervals', 'routes']);
    const matchers = readMatchers(y, m.get('match'), m.get('match_re'), m.get('matchers'), '');
    if (root) {
      if (matchers.length > 0) y.fail(n, 'root route must not have any matchers');
      if (m.has('continue')) y.fail(n, 'cannot have continue in root route');
      if (scalarString(y, m.get('receiver'), 'receiver') === '') y.fail(n, 'root route must specify a default receiver');
      if (m.has('mute_time_intervals') || m.has('active_time_intervals')) y.fail(n, 'root route must not have any mute or active time intervals');
    }
    let groupBy: string[] | 'all' | undefined;
    if (m.has('group_by')) {
      const list = y.strings(m.get('group_by'), 'group_by');
      if (list.includes('...')) {
        if (list.length > 1) y.fail(m.get('group_by'), 'cannot have wildcard group_by (`...`) and other labels at the same time');
        groupBy = 'all';
      } else {
        const bad = list.find((l) => !LEGACY_LABEL_NAME.test(l));
        if (bad !== undefined) y.fail(m.get('group_by'), `invalid label name ${JSON.stringify(bad)} in group_by list`);
        if (new Set(list).size !== list.length) y.fail(m.get('group_by'), `duplicated label ${JSON.stringify(list.find((x, i) => list.indexOf(x) !== i))} in group_by`);
        groupBy = list;
      }
    }
    const d: Defaults = {
      receiver: scalarString(y, m.get('receiver'), 'receiver') || parent!.receiver,
      groupBy: groupBy ?? parent?.groupBy ?? [],
      groupWaitMs: y.duration(m.get('group_wait'), 'group_wait', parent?.groupWaitMs ?? 30_000),
      groupIntervalMs: y.duration(m.get('group_interval'), 'group_interval', parent?.groupIntervalMs ?? 5 * 60_000),
      repeatIntervalMs: y.duration(m.get('repeat_interval'), 'repeat_interval', parent?.repeatIntervalMs ?? 4 * 3600_000),
    };
    if (d.groupIntervalMs === 0) y.fail(m.get('group_interval'), 'group_interval cannot be zero');
    if (d.repeatIntervalMs === 0) y.fail(m.get('repeat_interval'), 'repeat_interval cannot be zero');
    used.add(d.receiver);
    const mute = y.strings(m.get('mute_time_intervals'), 'mute_time_intervals');
    const active = y.strings(m.get('active_time_intervals'), 'active_time_intervals');
    for (const x of [...mute, ...active]) usedIntervals.push([x, n]);
    const key = root ? '{}' : `${parentKey}/{${matchers.map(formatMatcher).join(',')}}`;
    const node: RouteNode = {
      key,
      receiver: d.receiver,
      groupBy: d.groupBy,
      groupWaitMs: d.groupWaitMs,
      groupIntervalMs: d.groupIntervalMs,
      repeatIntervalMs: d.repeatIntervalMs,
      matches: matcherPredicate(matchers),
      continue: y.bool(m.get('continue'), 'continue', false),
      routes: [],
      muteTimeIntervals: mute,
      activeTimeIntervals: active,
    };
    node.routes = y.seq(m.get('routes'), 'routes').map((c) => build(c, d, key, false));
    return node;
  };
  const route = build(routeNode, undefined, '', true);
  for (const r of used) if (!receivers.has(r)) y.fail(routeNode, `undefined receiver ${JSON.stringify(r)} used in route`);
  for (const [x, n] of usedIntervals) if (!intervals.has(x)) y.fail(n, `undefined time interval ${JSON.stringify(x)} used in route`);

  const inhibitRules: InhibitRule[] = y.seq(top.get('inhibit_rules'), 'inhibit_rules').map((r) => {
    const m = y.map(r, 'config.InhibitRule', ['source_match', 'source_match_re', 'source_matchers', 'target_match', 'target_match_re', 'target_matchers', 'equal']);
    return {
      sourceMatches: matcherPredicate(readMatchers(y, m.get('source_match'), m.get('source_match_re'), m.get('source_matchers'), 'source_')),
      targetMatches: matcherPredicate(readMatchers(y, m.get('target_match'), m.get('target_match_re'), m.get('target_matchers'), 'target_')),
      equal: y.strings(m.get('equal'), 'equal').map((l) => (LEGACY_LABEL_NAME.test(l) ? l : y.fail(m.get('equal'), `${JSON.stringify(l)} is not a valid label name`))),
    };
  });

  return {
    core: {
      route,
      inhibitRules,
      receivers,
      resolveTimeoutMs: global.resolveTimeoutMs,
      timeMuted: (mute, active, now) => routeTimeMuted(intervals, mute, active, now),
      original: text,
    },
    receivers: [...receivers.keys()],
    templates,
  };
}

export function loadAlertmanagerConfig(file: string): AlertmanagerConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: ${(e as Error).message}`);
  }
  return parseAlertmanagerConfig(text, file);
}
