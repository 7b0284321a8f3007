// Team chats reached by webhook or API: mattermost_configs (incoming webhook) and rocketchat_configs
// (chat.postMessage with a personal access token), with Alertmanager's default templates.
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { HttpClientOptions } from '../../common/http-config/fetch.js';
import { checkStatus, post, readSecret, type Secret } from './post.js';

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
