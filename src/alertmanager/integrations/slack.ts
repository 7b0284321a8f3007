// slack_configs: a message with one attachment, posted to an incoming-webhook URL or, with an app
// token, to Slack's chat.postMessage API, as Alertmanager sends it (fields rendered from the
// configured or default `slack.default.*` templates).
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { HttpClientOptions } from '../../common/http-config/fetch.js';
import { httpFetch, httpHeaders } from '../../common/http-config/fetch.js';
import { readSecret } from './post.js';

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
