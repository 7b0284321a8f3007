// telegram_configs: a message sent through the Telegram Bot API's sendMessage, with Alertmanager's
// telegram.default.message template and HTML parse mode by default.
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import { httpFetch, httpHeaders, type HttpClientOptions } from '../../common/http-config/fetch.js';
import { readSecret } from './post.js';
import type { YamlFile } from '../../config/yaml-reader.js';
import { notifierCommon } from '../config/fields.js';
import type { ReceiverConfigReader } from '../config/receiver-context.js';

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

/** telegram_configs: each entry checked and read as Alertmanager reads it. */
export const telegramConfigReader: ReceiverConfigReader = {
  key: 'telegram_configs',
  typeName: 'config.TelegramConfig',
  fields: ['send_resolved', 'http_config', 'api_url', 'bot_token', 'bot_token_file', 'chat_id', 'message_thread_id', 'message', 'disable_notifications', 'parse_mode'],
  missing: 'missing telegram config',
  read(ctx, tc, tm, str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    const { global, renderTemplate } = ctx;
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
    return telegramIntegration(
      {
        apiUrl: str('api_url') || global.telegramApiUrl,
        botToken,
        botTokenFile,
        chatId,
        messageThreadId: tm.has('message_thread_id') ? y.int(tm.get('message_thread_id'), 'message_thread_id', 0) : undefined,
        message: tm.has('message') ? str('message') : '{{ template "telegram.default.message" . }}',
        parseMode,
        disableNotifications: y.bool(tm.get('disable_notifications'), 'disable_notifications', false),
        ...notifierCommon(y, tm, true),
      },
      i,
      renderTemplate,
    );
  },
};
