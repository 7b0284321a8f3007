// Team chats reached by webhook or API: mattermost_configs (incoming webhook) and rocketchat_configs
// (chat.postMessage with a personal access token), with Alertmanager's default templates.
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { HttpClientOptions } from '../../common/http-config/fetch.js';
import { checkStatus, post, readSecret, type Secret } from './post.js';
import type { YamlFile } from '../../config/yaml-reader.js';
import { notifierCommon, scalarString } from '../config/fields.js';
import { type ReceiverConfigReader, keyOf } from '../config/receiver-context.js';

type Render = (text: string, data: TemplateData) => string;

export const ROCKETCHAT_API_URL = 'https://open.rocket.chat/';

export interface MattermostOptions {
  webhookUrl: Secret;
  channel: string;
  username: string;
  iconUrl: string;
  iconEmoji: string;
  text: string;
  color: string;
  title: string;
  titleLink: string;
  fallback: string;
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

export function mattermostIntegration(o: MattermostOptions, index: number, render: Render): Integration {
  return {
    name: 'mattermost',
    index,
    sendResolved: o.sendResolved,
    async notify(data) {
      const r = (t: string): string => render(t, data);
      const url = await readSecret(o.webhookUrl);
      const body: Record<string, unknown> = {
        channel: r(o.channel),
        username: r(o.username),
        icon_url: r(o.iconUrl),
        icon_emoji: r(o.iconEmoji),
        attachments: [{ fallback: r(o.fallback), color: r(o.color), title: r(o.title), title_link: r(o.titleLink), text: r(o.text) }],
      };
      for (const k of ['channel', 'username', 'icon_url', 'icon_emoji']) if (body[k] === '') delete body[k];
      checkStatus(await post(url, body, { shownUrl: '<mattermost webhook>', http: o.http, timeoutMs: o.timeoutMs }));
    },
  };
}

export interface RocketchatOptions {
  apiUrl: string;
  token: Secret;
  tokenId: Secret;
  channel: string;
  color: string;
  title: string;
  titleLink: string;
  text: string;
  alias: string;
  emoji: string;
  iconUrl: string;
  imageUrl: string;
  thumbUrl: string;
  linkNames: boolean;
  shortFields: boolean;
  fields: { title: string; value: string; short?: boolean }[];
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

export function rocketchatIntegration(o: RocketchatOptions, index: number, render: Render): Integration {
  return {
    name: 'rocketchat',
    index,
    sendResolved: o.sendResolved,
    async notify(data) {
      const r = (t: string): string => render(t, data);
      const url = `${o.apiUrl.replace(/\/$/, '')}/api/v1/chat.postMessage`;
      const attachment: Record<string, unknown> = { title: r(o.title), title_link: r(o.titleLink), text: r(o.text), color: r(o.color), image_url: r(o.imageUrl), thumb_url: r(o.thumbUrl) };
      const fields = o.fields.map((f) => ({ title: r(f.title), value: r(f.value), short: f.short ?? o.shortFields }));
      if (fields.length > 0) attachment.fields = fields;
      for (const k of Object.keys(attachment)) if (attachment[k] === '') delete attachment[k];
      const body: Record<string, unknown> = { channel: r(o.channel), alias: r(o.alias), emoji: r(o.emoji), avatar: r(o.iconUrl), attachments: [attachment] };
      for (const k of ['channel', 'alias', 'emoji', 'avatar']) if (body[k] === '') delete body[k];
      if (o.linkNames) body.parseUrls = true;
      const res = await post(url, body, { headers: { 'X-Auth-Token': await readSecret(o.token), 'X-User-Id': await readSecret(o.tokenId) }, http: o.http, timeoutMs: o.timeoutMs });
      checkStatus(res);
      let answer: { success?: boolean; error?: string } = {};
      try {
        answer = JSON.parse(res.text) as typeof answer;
      } catch {
        /* not JSON */
      }
      if (answer.success === false) throw new NotifyError(`error response from Rocket.Chat: ${answer.error ?? 'unknown'}`, false);
    },
  };
}

/** mattermost_configs: each entry checked and read as Alertmanager reads it. */
export const mattermostConfigReader: ReceiverConfigReader = {
  key: 'mattermost_configs',
  typeName: 'config.MattermostConfig',
  fields: ['send_resolved', 'http_config', 'webhook_url', 'webhook_url_file', 'channel', 'username', 'icon_url', 'icon_emoji', 'text', 'color', 'title', 'title_link', 'fallback'],
  missing: 'missing mattermost config',
  read(ctx, mc, mm, str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    const { global, renderTemplate } = ctx;
    if (str('webhook_url') !== '' && str('webhook_url_file') !== '') y.fail(mc, 'at most one of mattermost_webhook_url & mattermost_webhook_url_file must be configured');
    const webhookUrl = keyOf(str('webhook_url'), str('webhook_url_file'), global.mattermostWebhookUrl, global.mattermostWebhookUrlFile);
    if (webhookUrl === undefined) y.fail(mc, 'missing webhook_url or webhook_url_file on mattermost_config');
    return mattermostIntegration(
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
        ...notifierCommon(y, mm, true),
      },
      i,
      renderTemplate,
    );
  },
};

/** rocketchat_configs: each entry checked and read as Alertmanager reads it. */
export const rocketchatConfigReader: ReceiverConfigReader = {
  key: 'rocketchat_configs',
  typeName: 'config.RocketchatConfig',
  fields: ['send_resolved', 'http_config', 'api_url', 'token', 'token_file', 'token_id', 'token_id_file', 'channel', 'color', 'title', 'title_link', 'text', 'fields', 'short_fields', 'emoji', 'icon_url', 'image_url', 'thumb_url', 'link_names', 'actions'],
  missing: 'missing rocketchat config',
  read(ctx, rc, rm, str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    const { global, renderTemplate } = ctx;
    if (str('token') !== '' && str('token_file') !== '') y.fail(rc, 'at most one of rocketchat_token & rocketchat_token_file must be configured');
    if (str('token_id') !== '' && str('token_id_file') !== '') y.fail(rc, 'at most one of rocketchat_token_id & rocketchat_token_id_file must be configured');
    const token = keyOf(str('token'), str('token_file'), global.rocketchatToken, global.rocketchatTokenFile);
    const tokenId = keyOf(str('token_id'), str('token_id_file'), global.rocketchatTokenId, global.rocketchatTokenIdFile);
    if (token === undefined) y.fail(rc, 'no global Rocketchat Token set either inline or in a file');
    if (tokenId === undefined) y.fail(rc, 'no global Rocketchat TokenID set either inline or in a file');
    if (rm.has('actions') && y.seq(rm.get('actions'), 'actions').length > 0) y.fail(rm.get('actions'), 'actions: Rocket.Chat message actions are not supported by Promethium');
    return rocketchatIntegration(
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
        ...notifierCommon(y, rm, false),
      },
      i,
      renderTemplate,
    );
  },
};
