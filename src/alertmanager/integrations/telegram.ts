// telegram_configs: a message sent through the Telegram Bot API's sendMessage, with Alertmanager's
// telegram.default.message template and HTML parse mode by default.
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import { httpFetch, httpHeaders, type HttpClientOptions } from '../../common/http-config/fetch.js';
import { readSecret } from './post.js';

export const TELEGRAM_API_URL = 'https://api.telegram.org';

export interface TelegramOptions {
  apiUrl: string;
  botToken?: string;
  botTokenFile?: string;
  chatId: number;
  messageThreadId?: number;
  message: string;
  parseMode: string;
  disableNotifications: boolean;
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

type Render = (text: string, data: TemplateData) => string;

/** Telegram's limit on a message's length (characters): longer texts are cut with an ellipsis. */
const MAX_MESSAGE = 4096;

export function telegramMessage(o: TelegramOptions, data: TemplateData, render: Render): Record<string, unknown> {
  let text = render(o.message, data);
  if ([...text].length > MAX_MESSAGE) text = [...text].slice(0, MAX_MESSAGE - 1).join('') + '…';
  const body: Record<string, unknown> = { chat_id: o.chatId, text, disable_notification: o.disableNotifications };
  if (o.parseMode !== '') body.parse_mode = o.parseMode;
  if (o.messageThreadId !== undefined) body.message_thread_id = o.messageThreadId;
  return body;
}

export function telegramIntegration(o: TelegramOptions, index: number, render: Render): Integration {
  return {
    name: 'telegram',
    index,
    sendResolved: o.sendResolved,
    async notify(data) {
      const token = await readSecret({ value: o.botToken, file: o.botTokenFile });
      const url = `${o.apiUrl.replace(/\/$/, '')}/bot${token}/sendMessage`;
      const shown = url.replace(token, '<secret>');
      let res: Response;
      try {
        res = await httpFetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': 'Alertmanager/Promethium', ...(await httpHeaders(o.http)) }, body: JSON.stringify(telegramMessage(o, data, render)), signal: AbortSignal.timeout(o.timeoutMs) }, o.http);
      } catch (e) {
        throw new NotifyError(`Post "${shown}": ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, true);
      }
      let answer: { ok?: boolean; description?: string } = {};
      try {
        answer = (await res.json()) as typeof answer;
      } catch {
        /* not JSON */
      }
      if (res.status < 200 || res.status >= 300 || answer.ok === false) {
        throw new NotifyError(`telegram: ${answer.description ?? `unexpected status code ${res.status}`}`, res.status >= 500 || res.status === 429);
      }
    },
  };
}
