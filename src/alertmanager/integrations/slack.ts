// slack_configs: a message with one attachment, posted to an incoming-webhook URL or, with an app
// token, to Slack's chat.postMessage API, as Alertmanager sends it (fields rendered from the
// configured or default `slack.default.*` templates).
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { HttpClientOptions } from '../../common/http-config/fetch.js';
import { httpFetch, httpHeaders } from '../../common/http-config/fetch.js';
import { readSecret } from './post.js';
import type { YamlFile } from '../../config/yaml-reader.js';
import { readHttpConfig, scalarString } from '../config/fields.js';
import type { ReceiverConfigReader } from '../config/receiver-context.js';

export const SLACK_APP_URL = 'https://slack.com/api/chat.postMessage';

export interface SlackField {
  title: string;
  value: string;
  short?: boolean;
}

export interface SlackOptions {
  /** Where to post, inline or read from a file at send time (as Alertmanager does). */
  url?: string;
  urlFile?: string;
  /** An app (bot) token, sent as a Bearer authorization, inline or from a file. */
  token?: string;
  tokenFile?: string;
  channel: string;
  username: string;
  color: string;
  title: string;
  titleLink: string;
  pretext: string;
  text: string;
  fallback: string;
  callbackId: string;
  iconEmoji: string;
  iconUrl: string;
  imageUrl: string;
  thumbUrl: string;
  footer: string;
  linkNames: boolean;
  shortFields: boolean;
  mrkdwnIn: string[];
  fields: SlackField[];
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

type Render = (text: string, data: TemplateData) => string;

/** The request body: Slack's message with one attachment, empty fields left out. */
export function slackMessage(o: SlackOptions, data: TemplateData, render: Render): Record<string, unknown> {
  const r = (t: string): string => render(t, data);
  const attachment: Record<string, unknown> = {
    title: r(o.title),
    title_link: r(o.titleLink),
    pretext: r(o.pretext),
    text: r(o.text),
    fallback: r(o.fallback),
    callback_id: r(o.callbackId),
    image_url: r(o.imageUrl),
    thumb_url: r(o.thumbUrl),
    footer: r(o.footer),
    color: r(o.color),
    mrkdwn_in: o.mrkdwnIn,
  };
  const fields = o.fields.map((f) => ({ title: r(f.title), value: r(f.value), short: f.short ?? o.shortFields }));
  if (fields.length > 0) attachment.fields = fields;
  for (const k of Object.keys(attachment)) if (attachment[k] === '') delete attachment[k];
  const message: Record<string, unknown> = {
    channel: r(o.channel),
    username: r(o.username),
    icon_emoji: r(o.iconEmoji),
    icon_url: r(o.iconUrl),
    link_names: o.linkNames,
    attachments: [attachment],
  };
  for (const k of ['channel', 'username', 'icon_emoji', 'icon_url']) if (message[k] === '') delete message[k];
  if (!o.linkNames) delete message.link_names;
  return message;
}

export function slackIntegration(o: SlackOptions, index: number, render: Render): Integration {
  return {
    name: 'slack',
    index,
    sendResolved: o.sendResolved,
    async notify(data) {
      const url = o.url !== undefined || o.urlFile !== undefined ? await readSecret({ value: o.url, file: o.urlFile }) : SLACK_APP_URL;
      const token = o.token !== undefined || o.tokenFile !== undefined ? await readSecret({ value: o.token, file: o.tokenFile }) : undefined;
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'Alertmanager/Promethium', ...(await httpHeaders(o.http)) };
      if (token !== undefined && headers.Authorization === undefined) headers.Authorization = `Bearer ${token}`;
      let res: Response;
      try {
        res = await httpFetch(url, { method: 'POST', headers, body: JSON.stringify(slackMessage(o, data, render)), signal: AbortSignal.timeout(o.timeoutMs) }, o.http);
      } catch (e) {
        throw new NotifyError(`Post "${url}": ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, true);
      }
      const body = await res.text().catch(() => '');
      if (res.status < 200 || res.status >= 300) throw new NotifyError(`unexpected status code ${res.status}: ${body.slice(0, 200)}`, res.status >= 500 || res.status === 429);
      // The Web API answers 200 with {"ok": false, "error": "..."} when it refuses a message.
      if (res.headers.get('content-type')?.includes('application/json')) {
        let answer: { ok?: boolean; error?: string } = {};
        try {
          answer = JSON.parse(body) as typeof answer;
        } catch {
          /* not JSON after all */
        }
        if (answer.ok === false) throw new NotifyError(`error response from Slack: ${answer.error ?? 'unknown'}`, false);
      }
    },
  };
}

/** slack_configs: each entry checked and read as Alertmanager reads it. */
export const slackConfigReader: ReceiverConfigReader = {
  key: 'slack_configs',
  typeName: 'config.SlackConfig',
  fields: [
        'send_resolved', 'http_config', 'api_url', 'api_url_file', 'app_token', 'app_token_file', 'app_url', 'channel', 'username', 'color', 'title', 'title_link', 'pretext', 'text', 'fields',
        'short_fields', 'footer', 'fallback', 'callback_id', 'icon_emoji', 'icon_url', 'image_url', 'thumb_url', 'link_names', 'mrkdwn_in', 'actions', 'update_message', 'timeout',
      ],
  missing: 'missing slack config',
  read(ctx, sc, sm, str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    const { global, renderTemplate } = ctx;
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
    return slackIntegration(
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
    );
  },
};
