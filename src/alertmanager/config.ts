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
import { LABEL_NAME, checkUrlSettings, labelMap, readHttpConfig, readTlsConfig, scalarString } from './config/fields.js';
import { emailIntegration } from './integrations/email.js';
import { webhookIntegration } from './integrations/webhook.js';
import { SLACK_APP_URL, slackIntegration } from './integrations/slack.js';
import { TELEGRAM_API_URL, telegramIntegration } from './integrations/telegram.js';
import { OPSGENIE_API_URL, VICTOROPS_API_URL, opsgenieIntegration, victoropsIntegration, type Secret } from './integrations/oncall.js';
import { PAGERDUTY_DEFAULT_DETAILS, PAGERDUTY_URL, PUSHOVER_URL, pagerdutyIntegration, pushoverIntegration } from './integrations/paging.js';
import { ROCKETCHAT_API_URL, mattermostIntegration, rocketchatIntegration } from './integrations/chat.js';
import { WECHAT_API_URL, wechatIntegration } from './integrations/wechat.js';
import { regionFrom, snsIntegration } from './integrations/sns.js';
import { matcherPredicate, parseMatcher, parseMatchers, formatMatcher, MatcherError } from './matchers.js';
import { makeRenderer } from './templates.js';
import { TemplateError } from '../template/errors.js';

export { ConfigError };

const INTEGRATIONS = ['email_configs', 'webhook_configs', 'slack_configs', 'telegram_configs', 'opsgenie_configs', 'victorops_configs', 'pagerduty_configs', 'pushover_configs', 'mattermost_configs', 'rocketchat_configs', 'wechat_configs', 'sns_configs'];
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
    for (const e of n?.kind === 'map' ? n.entries! : []) if (!LABEL_NAME.test(e.key)) y.fail(e.keyNode, `invalid label name ${JSON.stringify(e.key)}`);
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


/** An unsigned setting (Go uint64): a negative value is refused as yaml refuses it upstream. */
function nonNegative(y: YamlFile, n: Node | undefined, what: string): number {
  const v = y.int(n, what, 0);
  if (v < 0) y.fail(n, `cannot unmarshal !!int \`${v}\` into uint64 (${what})`);
  return v;
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
  const global = {
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

  // Receivers.
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
    /** Each entry of one `<kind>_configs` list, its keys checked, with a reader of its string fields. */
    const eachConfig = (key: string, typeName: string, fields: readonly string[], missing: string | undefined, read: (c: Node, cm: Map<string, Node>, str: (k: string, dflt?: string) => string, i: number) => void): void => {
      y.seq(m.get(key), key).forEach((c, i) => {
        if (missing !== undefined && c.kind === 'null') y.fail(c, missing);
        const cm = y.map(c, typeName, fields);
        read(c, cm, (k, dflt = '') => (cm.has(k) ? scalarString(y, cm.get(k), k) : dflt), i);
      });
    };
    eachConfig('email_configs', 'config.EmailConfig', ['to', 'from', 'smarthost', 'hello', 'auth_username', 'auth_password', 'auth_password_file', 'auth_secret', 'auth_secret_file', 'auth_identity', 'require_tls', 'tls_config', 'headers', 'html', 'text', 'send_resolved', 'threading'], 'missing email config', (ec, em, _str, i) => {
      const to = scalarString(y, em.get('to'), 'to');
      if (to === '') y.fail(ec, 'missing to address in email config');
      const from = scalarString(y, em.get('from'), 'from') || global.smtpFrom;
      const host = scalarString(y, em.get('smarthost'), 'smarthost') || global.smtpSmarthost;
      checkSmarthost(host, em.get('smarthost'));
      if (host === '') y.fail(ec, 'no global SMTP smarthost set');
      if (from === '') y.fail(ec, 'no global SMTP from set');
      const headers: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [k, v] of Object.entries(labelMap(y, em.get('headers'), 'headers'))) {
        // Go's canonical MIME header key; two spellings of one header are refused.
        const canonical = k.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('-');
        if (Object.hasOwn(headers, canonical)) y.fail(em.get('headers'), `duplicate header ${JSON.stringify(canonical)} in email config`);
        headers[canonical] = v;
      }
      headers['Subject'] ??= '{{ template "email.default.subject" . }}';
      headers['To'] ??= to;
      headers['From'] ??= from;
      // Receiver credentials override the global ones field by field; files are read when sending.
      const ownPassword = scalarString(y, em.get('auth_password'), 'auth_password');
      const ownFile = scalarString(y, em.get('auth_password_file'), 'auth_password_file');
      if (ownPassword !== '' && ownFile !== '') y.fail(ec, 'at most one of auth_password & auth_password_file must be configured');
      const passwordFile = ownPassword !== '' ? '' : ownFile || (global.smtpAuthPassword !== '' ? '' : global.smtpAuthPasswordFile);
      const password = ownPassword || (ownFile !== '' ? '' : global.smtpAuthPassword);
      integrations.push(
        emailIntegration(
          {
            to,
            from,
            smarthost: host,
            hello: scalarString(y, em.get('hello'), 'hello') || global.smtpHello,
            authUsername: scalarString(y, em.get('auth_username'), 'auth_username') || global.smtpAuthUsername || undefined,
            authPassword: password || undefined,
            authPasswordFile: passwordFile || undefined,
            requireTls: y.bool(em.get('require_tls'), 'require_tls', global.smtpRequireTls),
            headers,
            html: em.has('html') ? scalarString(y, em.get('html'), 'html') : '{{ template "email.default.html" . }}',
            // Alertmanager sends only the HTML part unless `text` is configured.
            text: em.has('text') ? scalarString(y, em.get('text'), 'text') : '',
            sendResolved: y.bool(em.get('send_resolved'), 'send_resolved', false),
            tls: readTlsConfig(y, em.get('tls_config') ?? gm.get('smtp_tls_config')),
            timeoutMs: 30_000,
          },
          i,
          renderTemplate,
        ),
      );
    });
    eachConfig('webhook_configs', 'config.WebhookConfig', ['url', 'url_file', 'send_resolved', 'max_alerts', 'http_config', 'timeout'], 'missing webhook config', (wc, wm, _str, i) => {
      let url = scalarString(y, wm.get('url'), 'url');
      const urlFile = scalarString(y, wm.get('url_file'), 'url_file');
      if (url !== '' && urlFile !== '') y.fail(wc, 'at most one of url & url_file must be configured');
      if (url === '' && urlFile === '') y.fail(wc, 'one of url or url_file must be configured');
      if (urlFile !== '') url = readFileSync(urlFile, 'utf8').trim();
      integrations.push(webhookIntegration({ url, sendResolved: y.bool(wm.get('send_resolved'), 'send_resolved', true), maxAlerts: nonNegative(y, wm.get('max_alerts'), 'max_alerts'), timeoutMs: y.duration(wm.get('timeout'), 'timeout', 10_000), http: readHttpConfig(y, wm.get('http_config')) }, i));
    });
    eachConfig('slack_configs', 'config.SlackConfig', [
        'send_resolved', 'http_config', 'api_url', 'api_url_file', 'app_token', 'app_token_file', 'app_url', 'channel', 'username', 'color', 'title', 'title_link', 'pretext', 'text', 'fields',
        'short_fields', 'footer', 'fallback', 'callback_id', 'icon_emoji', 'icon_url', 'image_url', 'thumb_url', 'link_names', 'mrkdwn_in', 'actions', 'update_message', 'timeout',
      ], 'missing slack config', (sc, sm, str, i) => {
      if (str('api_url') !== '' && str('api_url_file') !== '') y.fail(sc, 'at most one of api_url & api_url_file must be configured');
      if (str('app_token') !== '' && str('app_token_file') !== '') y.fail(sc, 'at most one of app_token & app_token_file must be configured');
      const http = readHttpConfig(y, sm.get('http_config'));
      // Where it posts: an inline webhook URL wins; else an app token (inline, then global) posts to
      // the app URL; else the global webhook URL.
      let url: string | undefined;
      let urlFile: string | undefined;
      let token: string | undefined;
      let tokenFile: string | undefined;
      if (str('api_url') !== '' || str('api_url_file') !== '') {
        url = str('api_url') || undefined;
        urlFile = str('api_url_file') || undefined;
      } else if (str('app_token') !== '' || str('app_token_file') !== '' || global.slackAppToken !== '' || global.slackAppTokenFile !== '') {
        token = str('app_token') || (str('app_token_file') !== '' ? undefined : global.slackAppToken || undefined);
        tokenFile = token !== undefined ? undefined : str('app_token_file') || global.slackAppTokenFile || undefined;
        url = str('app_url') || global.slackAppUrl;
      } else if (global.slackApiUrl !== '' || global.slackApiUrlFile !== '') {
        url = global.slackApiUrl || undefined;
        urlFile = global.slackApiUrl !== '' ? undefined : global.slackApiUrlFile;
      } else {
        y.fail(sc, 'no Slack API URL nor App token set either inline or in a file');
      }
      if (y.bool(sm.get('update_message'), 'update_message', false)) {
        if (token === undefined && tokenFile === undefined && url !== SLACK_APP_URL) y.fail(sm.get('update_message'), `update_message can only be used with bot tokens. api_url must be set to ${SLACK_APP_URL}`);
        y.fail(sm.get('update_message'), 'update_message: updating sent Slack messages is not supported by Promethium');
      }
      if (sm.has('actions') && y.seq(sm.get('actions'), 'actions').length > 0) y.fail(sm.get('actions'), 'actions: Slack message actions are not supported by Promethium');
      const fields = y.seq(sm.get('fields'), 'fields').map((f) => {
        const fm = y.map(f, 'config.SlackField', ['title', 'value', 'short']);
        const title = scalarString(y, fm.get('title'), 'title');
        const value = scalarString(y, fm.get('value'), 'value');
        if (title === '') y.fail(f, 'missing title in Slack field configuration');
        if (value === '') y.fail(f, 'missing value in Slack field configuration');
        return fm.has('short') ? { title, value, short: y.bool(fm.get('short'), 'short', false) } : { title, value };
      });
      integrations.push(
        slackIntegration(
          {
            url,
            urlFile,
            token,
            tokenFile,
            channel: str('channel'),
            username: str('username', '{{ template "slack.default.username" . }}'),
            color: str('color', '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}'),
            title: str('title', '{{ template "slack.default.title" . }}'),
            titleLink: str('title_link', '{{ template "slack.default.titlelink" . }}'),
            pretext: str('pretext', '{{ template "slack.default.pretext" . }}'),
            text: str('text', '{{ template "slack.default.text" . }}'),
            fallback: str('fallback', '{{ template "slack.default.fallback" . }}'),
            callbackId: str('callback_id', '{{ template "slack.default.callbackid" . }}'),
            iconEmoji: str('icon_emoji', '{{ template "slack.default.iconemoji" . }}'),
            iconUrl: str('icon_url', '{{ template "slack.default.iconurl" . }}'),
            imageUrl: str('image_url'),
            thumbUrl: str('thumb_url'),
            footer: str('footer', '{{ template "slack.default.footer" . }}'),
            linkNames: y.bool(sm.get('link_names'), 'link_names', false),
            shortFields: y.bool(sm.get('short_fields'), 'short_fields', false),
            mrkdwnIn: sm.has('mrkdwn_in') ? y.strings(sm.get('mrkdwn_in'), 'mrkdwn_in') : ['fallback', 'pretext', 'text'],
            fields,
            sendResolved: y.bool(sm.get('send_resolved'), 'send_resolved', false),
            http,
            timeoutMs: y.duration(sm.get('timeout'), 'timeout', 30_000),
          },
          i,
          renderTemplate,
        ),
      );
    });
    eachConfig('telegram_configs', 'config.TelegramConfig', ['send_resolved', 'http_config', 'api_url', 'bot_token', 'bot_token_file', 'chat_id', 'message_thread_id', 'message', 'disable_notifications', 'parse_mode'], 'missing telegram config', (tc, tm, str, i) => {
      if (str('bot_token') !== '' && str('bot_token_file') !== '') y.fail(tc, 'at most one of bot_token & bot_token_file must be configured');
      // The receiver's own token (inline or file) wins over the global one.
      const own = str('bot_token') !== '' || str('bot_token_file') !== '';
      const botToken = own ? str('bot_token') || undefined : global.telegramBotToken || undefined;
      const botTokenFile = own ? str('bot_token_file') || undefined : botToken === undefined ? global.telegramBotTokenFile || undefined : undefined;
      if (botToken === undefined && botTokenFile === undefined) y.fail(tc, 'missing bot_token or bot_token_file on telegram_config');
      const chatId = y.int(tm.get('chat_id'), 'chat_id', 0);
      if (chatId === 0) y.fail(tc, 'missing chat_id on telegram_config');
      const parseMode = tm.has('parse_mode') ? str('parse_mode') : 'HTML';
      if (!['', 'Markdown', 'MarkdownV2', 'HTML'].includes(parseMode)) y.fail(tm.get('parse_mode'), `unknown parse_mode ${JSON.stringify(parseMode)}: must be Markdown, MarkdownV2, HTML or empty`);
      integrations.push(
        telegramIntegration(
          {
            apiUrl: str('api_url') || global.telegramApiUrl,
            botToken,
            botTokenFile,
            chatId,
            messageThreadId: tm.has('message_thread_id') ? y.int(tm.get('message_thread_id'), 'message_thread_id', 0) : undefined,
            message: tm.has('message') ? str('message') : '{{ template "telegram.default.message" . }}',
            parseMode,
            disableNotifications: y.bool(tm.get('disable_notifications'), 'disable_notifications', false),
            sendResolved: y.bool(tm.get('send_resolved'), 'send_resolved', true),
            http: readHttpConfig(y, tm.get('http_config')),
            timeoutMs: 30_000,
          },
          i,
          renderTemplate,
        ),
      );
    });
    /** A receiver's key (inline or file) or else the global one (inline, then file). */
    const keyOf = (own: string, ownFile: string, globalKey: string, globalFile: string): Secret | undefined =>
      own !== '' ? { value: own } : ownFile !== '' ? { file: ownFile } : globalKey !== '' ? { value: globalKey } : globalFile !== '' ? { file: globalFile } : undefined;
    eachConfig('opsgenie_configs', 'config.OpsGenieConfig', ['send_resolved', 'http_config', 'api_key', 'api_key_file', 'api_url', 'message', 'description', 'source', 'details', 'entity', 'responders', 'actions', 'tags', 'note', 'priority', 'update_alerts'], 'missing opsgenie config', (oc, om, str, i) => {
      if (str('api_key') !== '' && str('api_key_file') !== '') y.fail(oc, 'at most one of api_key & api_key_file must be configured');
      const apiKey = keyOf(str('api_key'), str('api_key_file'), global.opsgenieApiKey, global.opsgenieApiKeyFile);
      if (apiKey === undefined) y.fail(oc, 'no global OpsGenie API Key set either inline or in a file');
      if (y.bool(om.get('update_alerts'), 'update_alerts', false)) y.fail(om.get('update_alerts'), 'update_alerts: updating Opsgenie alerts is not supported by Promethium');
      const responders = y.seq(om.get('responders'), 'responders').map((rn) => {
        const rm = y.map(rn, 'config.OpsGenieConfigResponder', ['id', 'name', 'username', 'type']);
        const rs = (k: string): string | undefined => scalarString(y, rm.get(k), k) || undefined;
        const r = { id: rs('id'), name: rs('name'), username: rs('username'), type: rs('type') ?? '' };
        if (r.id === undefined && r.name === undefined && r.username === undefined) y.fail(rn, 'opsGenieConfig responder must have at least an id, a name or an username defined');
        if (!r.type.includes('{{') && !/^(team|teams|user|escalation|schedule)$/.test(r.type.toLowerCase())) y.fail(rn, `opsGenieConfig responder ${JSON.stringify(r.type)} type does not match valid options team,teams,user,escalation,schedule`);
        return r;
      });
      integrations.push(
        opsgenieIntegration(
          {
            apiKey: apiKey!,
            apiUrl: str('api_url') || global.opsgenieApiUrl,
            message: str('message', '{{ template "opsgenie.default.message" . }}'),
            description: str('description', '{{ template "opsgenie.default.description" . }}'),
            source: str('source', '{{ template "opsgenie.default.source" . }}'),
            details: labelMap(y, om.get('details'), 'details'),
            entity: str('entity'),
            responders,
            actions: str('actions'),
            tags: str('tags'),
            note: str('note'),
            priority: str('priority'),
            sendResolved: y.bool(om.get('send_resolved'), 'send_resolved', true),
            http: readHttpConfig(y, om.get('http_config')),
            timeoutMs: 30_000,
          },
          i,
          renderTemplate,
        ),
      );
    });
    eachConfig('victorops_configs', 'config.VictorOpsConfig', ['send_resolved', 'http_config', 'api_key', 'api_key_file', 'api_url', 'routing_key', 'message_type', 'state_message', 'entity_display_name', 'monitoring_tool', 'custom_fields'], 'missing victorops config', (vc, vm, str, i) => {
      if (str('api_key') !== '' && str('api_key_file') !== '') y.fail(vc, 'at most one of api_key & api_key_file must be configured');
      const apiKey = keyOf(str('api_key'), str('api_key_file'), global.victoropsApiKey, global.victoropsApiKeyFile);
      if (apiKey === undefined) y.fail(vc, 'no global VictorOps API Key set');
      if (str('routing_key') === '') y.fail(vc, 'missing Routing key in VictorOps config');
      const customFields = labelMap(y, vm.get('custom_fields'), 'custom_fields');
      for (const k of Object.keys(customFields)) {
        if (['routing_key', 'message_type', 'state_message', 'entity_display_name', 'monitoring_tool', 'entity_id', 'entity_state'].includes(k)) y.fail(vm.get('custom_fields'), `victorOps config contains custom field ${k} which cannot be used as it conflicts with the fixed/static fields`);
      }
      integrations.push(
        victoropsIntegration(
          {
            apiKey: apiKey!,
            apiUrl: str('api_url') || global.victoropsApiUrl,
            routingKey: str('routing_key'),
            messageType: str('message_type', 'CRITICAL'),
            entityDisplayName: str('entity_display_name', '{{ template "victorops.default.entity_display_name" . }}'),
            stateMessage: str('state_message', '{{ template "victorops.default.state_message" . }}'),
            monitoringTool: str('monitoring_tool', '{{ template "victorops.default.monitoring_tool" . }}'),
            customFields,
            sendResolved: y.bool(vm.get('send_resolved'), 'send_resolved', true),
            http: readHttpConfig(y, vm.get('http_config')),
            timeoutMs: 30_000,
          },
          i,
          renderTemplate,
        ),
      );
    });
    eachConfig('pagerduty_configs', 'config.PagerdutyConfig', ['send_resolved', 'http_config', 'routing_key', 'routing_key_file', 'service_key', 'service_key_file', 'url', 'client', 'client_url', 'description', 'details', 'images', 'links', 'source', 'severity', 'class', 'component', 'group', 'timeout'], 'missing pagerduty config', (pc, pm, str, i) => {
      if (str('routing_key') !== '' && str('routing_key_file') !== '') y.fail(pc, 'at most one of routing_key & routing_key_file must be configured');
      if (str('service_key') !== '' && str('service_key_file') !== '') y.fail(pc, 'at most one of service_key & service_key_file must be configured');
      const routing = str('routing_key') !== '' ? { value: str('routing_key') } : str('routing_key_file') !== '' ? { file: str('routing_key_file') } : undefined;
      const service = str('service_key') !== '' ? { value: str('service_key') } : str('service_key_file') !== '' ? { file: str('service_key_file') } : undefined;
      if (routing === undefined && service === undefined) y.fail(pc, 'missing service or routing key in PagerDuty config');
      const client = str('client', '{{ template "pagerduty.default.client" . }}');
      integrations.push(
        pagerdutyIntegration(
          {
            routingKey: routing,
            serviceKey: routing === undefined ? service : undefined,
            url: str('url') || global.pagerdutyUrl,
            client,
            clientUrl: str('client_url', '{{ template "pagerduty.default.clientURL" . }}'),
            description: str('description', '{{ template "pagerduty.default.description" .}}'),
            details: pm.has('details') ? { ...PAGERDUTY_DEFAULT_DETAILS, ...labelMap(y, pm.get('details'), 'details') } : PAGERDUTY_DEFAULT_DETAILS,
            images: y.seq(pm.get('images'), 'images').map((n) => {
              const im = y.map(n, 'config.PagerdutyImage', ['src', 'alt', 'href']);
              return { src: scalarString(y, im.get('src'), 'src'), alt: scalarString(y, im.get('alt'), 'alt'), href: scalarString(y, im.get('href'), 'href') };
            }),
            links: y.seq(pm.get('links'), 'links').map((n) => {
              const lm = y.map(n, 'config.PagerdutyLink', ['href', 'text']);
              return { href: scalarString(y, lm.get('href'), 'href'), text: scalarString(y, lm.get('text'), 'text') };
            }),
            source: str('source', client),
            severity: str('severity', 'error'),
            class: str('class'),
            component: str('component'),
            group: str('group'),
            sendResolved: y.bool(pm.get('send_resolved'), 'send_resolved', true),
            http: readHttpConfig(y, pm.get('http_config')),
            timeoutMs: y.duration(pm.get('timeout'), 'timeout', 30_000),
          },
          i,
          renderTemplate,
        ),
      );
    });
    eachConfig('pushover_configs', 'config.PushoverConfig', ['send_resolved', 'http_config', 'user_key', 'user_key_file', 'token', 'token_file', 'title', 'message', 'url', 'url_title', 'device', 'sound', 'priority', 'retry', 'expire', 'ttl', 'html', 'monospace'], 'missing pushover config', (pc, pm, str, i) => {
      if (str('user_key') === '' && str('user_key_file') === '') y.fail(pc, 'one of user_key or user_key_file must be configured');
      if (str('user_key') !== '' && str('user_key_file') !== '') y.fail(pc, 'at most one of user_key & user_key_file must be configured');
      if (str('token') === '' && str('token_file') === '') y.fail(pc, 'one of token or token_file must be configured');
      if (str('token') !== '' && str('token_file') !== '') y.fail(pc, 'at most one of token & token_file must be configured');
      if (y.bool(pm.get('monospace'), 'monospace', false)) y.fail(pm.get('monospace'), 'monospace: Pushover monospace messages are not supported by Promethium');
      integrations.push(
        pushoverIntegration(
          {
            userKey: str('user_key') !== '' ? { value: str('user_key') } : { file: str('user_key_file') },
            token: str('token') !== '' ? { value: str('token') } : { file: str('token_file') },
            title: str('title', '{{ template "pushover.default.title" . }}'),
            message: str('message', '{{ template "pushover.default.message" . }}'),
            url: str('url', '{{ template "pushover.default.url" . }}'),
            urlTitle: str('url_title'),
            device: str('device'),
            sound: str('sound'),
            priority: str('priority', '{{ if eq .Status "firing" }}2{{ else }}0{{ end }}'),
            retrySeconds: y.duration(pm.get('retry'), 'retry', 60_000) / 1000,
            expireSeconds: y.duration(pm.get('expire'), 'expire', 3600_000) / 1000,
            ttlSeconds: y.duration(pm.get('ttl'), 'ttl', 0) / 1000,
            html: y.bool(pm.get('html'), 'html', false),
            apiUrl: PUSHOVER_URL,
            sendResolved: y.bool(pm.get('send_resolved'), 'send_resolved', true),
            http: readHttpConfig(y, pm.get('http_config')),
            timeoutMs: 30_000,
          },
          i,
          renderTemplate,
        ),
      );
    });
    eachConfig('mattermost_configs', 'config.MattermostConfig', ['send_resolved', 'http_config', 'webhook_url', 'webhook_url_file', 'channel', 'username', 'icon_url', 'icon_emoji', 'text', 'color', 'title', 'title_link', 'fallback'], 'missing mattermost config', (mc, mm, str, i) => {
      if (str('webhook_url') !== '' && str('webhook_url_file') !== '') y.fail(mc, 'at most one of mattermost_webhook_url & mattermost_webhook_url_file must be configured');
      const webhookUrl = keyOf(str('webhook_url'), str('webhook_url_file'), global.mattermostWebhookUrl, global.mattermostWebhookUrlFile);
      if (webhookUrl === undefined) y.fail(mc, 'missing webhook_url or webhook_url_file on mattermost_config');
      integrations.push(
        mattermostIntegration(
          {
            webhookUrl: webhookUrl!,
            channel: str('channel'),
            username: str('username', '{{ template "mattermost.default.username" . }}'),
            iconUrl: str('icon_url'),
            iconEmoji: str('icon_emoji'),
            text: str('text', '{{ template "mattermost.default.text" . }}'),
            color: str('color', '{{ template "mattermost.default.color" . }}'),
            title: str('title', '{{ template "mattermost.default.title" . }}'),
            titleLink: str('title_link', '{{ template "mattermost.default.titlelink" . }}'),
            fallback: str('fallback', '{{ template "mattermost.default.fallback" . }}'),
            sendResolved: y.bool(mm.get('send_resolved'), 'send_resolved', true),
            http: readHttpConfig(y, mm.get('http_config')),
            timeoutMs: 30_000,
          },
          i,
          renderTemplate,
        ),
      );
    });
    eachConfig('rocketchat_configs', 'config.RocketchatConfig', ['send_resolved', 'http_config', 'api_url', 'token', 'token_file', 'token_id', 'token_id_file', 'channel', 'color', 'title', 'title_link', 'text', 'fields', 'short_fields', 'emoji', 'icon_url', 'image_url', 'thumb_url', 'link_names', 'actions'], 'missing rocketchat config', (rc, rm, str, i) => {
      if (str('token') !== '' && str('token_file') !== '') y.fail(rc, 'at most one of rocketchat_token & rocketchat_token_file must be configured');
      if (str('token_id') !== '' && str('token_id_file') !== '') y.fail(rc, 'at most one of rocketchat_token_id & rocketchat_token_id_file must be configured');
      const token = keyOf(str('token'), str('token_file'), global.rocketchatToken, global.rocketchatTokenFile);
      const tokenId = keyOf(str('token_id'), str('token_id_file'), global.rocketchatTokenId, global.rocketchatTokenIdFile);
      if (token === undefined) y.fail(rc, 'no global Rocketchat Token set either inline or in a file');
      if (tokenId === undefined) y.fail(rc, 'no global Rocketchat TokenID set either inline or in a file');
      if (rm.has('actions') && y.seq(rm.get('actions'), 'actions').length > 0) y.fail(rm.get('actions'), 'actions: Rocket.Chat message actions are not supported by Promethium');
      integrations.push(
        rocketchatIntegration(
          {
            apiUrl: str('api_url') || global.rocketchatApiUrl,
            token: token!,
            tokenId: tokenId!,
            channel: str('channel'),
            color: str('color', '{{ if eq .Status "firing" }}red{{ else }}green{{ end }}'),
            title: str('title', '{{ template "rocketchat.default.title" . }}'),
            titleLink: str('title_link', '{{ template "rocketchat.default.titlelink" . }}'),
            text: str('text', '{{ template "rocketchat.default.text" . }}'),
            alias: '{{ template "rocketchat.default.alias" . }}',
            emoji: str('emoji', '{{ template "rocketchat.default.emoji" . }}'),
            iconUrl: str('icon_url', '{{ template "rocketchat.default.iconurl" . }}'),
            imageUrl: str('image_url'),
            thumbUrl: str('thumb_url'),
            linkNames: y.bool(rm.get('link_names'), 'link_names', false),
            shortFields: y.bool(rm.get('short_fields'), 'short_fields', false),
            fields: y.seq(rm.get('fields'), 'fields').map((f) => {
              const fm = y.map(f, 'config.RocketchatAttachmentField', ['title', 'value', 'short']);
              const title = scalarString(y, fm.get('title'), 'title');
              const value = scalarString(y, fm.get('value'), 'value');
              return fm.has('short') ? { title, value, short: y.bool(fm.get('short'), 'short', false) } : { title, value };
            }),
            sendResolved: y.bool(rm.get('send_resolved'), 'send_resolved', false),
            http: readHttpConfig(y, rm.get('http_config')),
            timeoutMs: 30_000,
          },
          i,
          renderTemplate,
        ),
      );
    });
    eachConfig('wechat_configs', 'config.WechatConfig', ['send_resolved', 'http_config', 'api_secret', 'api_secret_file', 'corp_id', 'api_url', 'to_user', 'to_party', 'to_tag', 'agent_id', 'message', 'message_type'], undefined, (wc, wm, str, i) => {
      if (str('api_secret') !== '' && str('api_secret_file') !== '') y.fail(wc, 'at most one of wechat_api_secret & wechat_api_secret_file must be configured');
      const apiSecret = keyOf(str('api_secret'), str('api_secret_file'), global.wechatApiSecret, global.wechatApiSecretFile);
      if (apiSecret === undefined) y.fail(wc, 'no global Wechat Api Secret set either inline or in a file');
      const corpId = str('corp_id') || global.wechatApiCorpId;
      if (corpId === '') y.fail(wc, 'no global Wechat CorpID set');
      const messageType = str('message_type', 'text');
      if (messageType !== 'text' && messageType !== 'markdown') y.fail(wm.get('message_type'), `weChat message type ${JSON.stringify(messageType)} does not match valid options text,markdown`);
      integrations.push(
        wechatIntegration(
          {
            apiUrl: str('api_url') || global.wechatApiUrl,
            apiSecret: apiSecret!,
            corpId,
            agentId: str('agent_id', '{{ template "wechat.default.agent_id" . }}'),
            toUser: str('to_user', '{{ template "wechat.default.to_user" . }}'),
            toParty: str('to_party', '{{ template "wechat.default.to_party" . }}'),
            toTag: str('to_tag', '{{ template "wechat.default.to_tag" . }}'),
            message: str('message', '{{ template "wechat.default.message" . }}'),
            messageType,
            sendResolved: y.bool(wm.get('send_resolved'), 'send_resolved', false),
            http: readHttpConfig(y, wm.get('http_config')),
            timeoutMs: 30_000,
          },
          i,
          renderTemplate,
        ),
      );
    });
    eachConfig('sns_configs', 'config.SNSConfig', ['send_resolved', 'http_config', 'api_url', 'sigv4', 'topic_arn', 'phone_number', 'target_arn', 'subject', 'message', 'attributes'], 'missing sns config', (nc, nm, str, i) => {
      const targets = [str('topic_arn'), str('target_arn'), str('phone_number')].filter((x) => x !== '');
      if (targets.length === 0) y.fail(nc, 'must provide either a Target ARN, Topic ARN, or Phone Number for SNS config');
      if (targets.length > 1) y.fail(nc, 'must provide only one of a Target ARN, Topic ARN, or Phone Number for SNS config');
      let region = '';
      let accessKey: string | undefined;
      let secretKey: string | undefined;
      if (nm.has('sigv4')) {
        const sv = y.map(nm.get('sigv4')!, 'sigv4.SigV4Config', ['region', 'access_key', 'secret_key', 'profile', 'role_arn', 'use_fips_sts_endpoint']);
        for (const k of ['profile', 'role_arn']) if (sv.has(k)) y.fail(sv.get(k), `sigv4.${k}: shared profiles and assumed roles are not supported by Promethium; give access_key and secret_key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
        region = scalarString(y, sv.get('region'), 'region');
        accessKey = scalarString(y, sv.get('access_key'), 'access_key') || undefined;
        secretKey = scalarString(y, sv.get('secret_key'), 'secret_key') || undefined;
        if ((accessKey === undefined) !== (secretKey === undefined)) y.fail(nm.get('sigv4'), 'must provide an AWS SigV4 Access key and Secret Key if either is provided');
      }
      region ||= process.env['AWS_REGION'] ?? regionFrom(str('api_url')) ?? regionFrom(str('topic_arn') || str('target_arn')) ?? '';
      if (region === '') y.fail(nc, 'sns: no AWS region: set sigv4.region, an sns.<region>.amazonaws.com api_url, or AWS_REGION');
      integrations.push(
        snsIntegration(
          {
            apiUrl: str('api_url'),
            region,
            accessKey,
            secretKey,
            topicArn: str('topic_arn'),
            targetArn: str('target_arn'),
            phoneNumber: str('phone_number'),
            subject: str('subject', '{{ template "sns.default.subject" . }}'),
            message: str('message', '{{ template "sns.default.message" . }}'),
            attributes: labelMap(y, nm.get('attributes'), 'attributes'),
            sendResolved: y.bool(nm.get('send_resolved'), 'send_resolved', true),
            http: readHttpConfig(y, nm.get('http_config')),
            timeoutMs: 30_000,
          },
          i,
          renderTemplate,
        ),
      );
    });
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
        const bad = list.find((l) => !LABEL_NAME.test(l));
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
      equal: y.strings(m.get('equal'), 'equal').map((l) => (LABEL_NAME.test(l) ? l : y.fail(m.get('equal'), `${JSON.stringify(l)} is not a valid label name`))),
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
