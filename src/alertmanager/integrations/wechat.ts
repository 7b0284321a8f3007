// wechat_configs: WeChat Work's API, as Alertmanager uses it: an access token from `gettoken`
// (cached until it expires or is refused), then `message/send` to users, parties or tags.
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { HttpClientOptions } from '../../common/http-config/fetch.js';
import { httpFetch, httpHeaders } from '../../common/http-config/fetch.js';
import { checkStatus, post, readSecret, type Secret } from './post.js';
import type { YamlFile } from '../../config/yaml-reader.js';
import { notifierCommon } from '../config/fields.js';
import { type ReceiverConfigReader, keyOf } from '../config/receiver-context.js';

type Render = (text: string, data: TemplateData) => string;

export const WECHAT_API_URL = 'https://qyapi.weixin.qq.com/cgi-bin/';

export interface WechatOptions {
  apiUrl: string;
  apiSecret: Secret;
  corpId: string;
  agentId: string;
  toUser: string;
  toParty: string;
  toTag: string;
  message: string;
  messageType: 'text' | 'markdown';
  sendResolved: boolean;
  http: HttpClientOptions;
  timeoutMs: number;
}

export function wechatIntegration(o: WechatOptions, index: number, render: Render): Integration {
  let token: { value: string; until: number } | undefined;
  const base = o.apiUrl.endsWith('/') ? o.apiUrl : `${o.apiUrl}/`;
  const accessToken = async (): Promise<string> => {
    if (token !== undefined && token.until > Date.now()) return token.value;
    const url = `${base}gettoken?corpid=${encodeURIComponent(o.corpId)}&corpsecret=${encodeURIComponent(await readSecret(o.apiSecret))}`;
    let res: Response;
    try {
      res = await httpFetch(url, { headers: { 'User-Agent': 'Alertmanager/Promethium', ...(await httpHeaders(o.http)) }, signal: AbortSignal.timeout(o.timeoutMs) }, o.http);
    } catch (e) {
      throw new NotifyError(`Get "${base}gettoken": ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, true);
    }
    const answer = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; errcode?: number; errmsg?: string };
    if (!res.ok || answer.access_token === undefined || (answer.errcode ?? 0) !== 0) throw new NotifyError(`wechat gettoken: ${answer.errmsg ?? `status ${res.status}`}`, res.status >= 500);
    token = { value: answer.access_token, until: Date.now() + Math.max(0, (answer.expires_in ?? 7200) - 60) * 1000 };
    return token.value;
  };
  return {
    name: 'wechat',
    index,
    sendResolved: o.sendResolved,
    async notify(data) {
      const r = (t: string): string => render(t, data);
      const body: Record<string, unknown> = { touser: r(o.toUser), toparty: r(o.toParty), totag: r(o.toTag), agentid: r(o.agentId), msgtype: o.messageType, safe: '0' };
      body[o.messageType] = { content: r(o.message) };
      const res = await post(`${base}message/send?access_token=${encodeURIComponent(await accessToken())}`, body, { shownUrl: `${base}message/send`, http: o.http, timeoutMs: o.timeoutMs });
      checkStatus(res);
      const answer = JSON.parse(res.text || '{}') as { errcode?: number; errmsg?: string };
      if ((answer.errcode ?? 0) !== 0) {
        // An expired or invalid token: fetch a new one on the retry.
        if (answer.errcode === 42001 || answer.errcode === 40014) token = undefined;
        throw new NotifyError(`wechat: ${answer.errmsg ?? answer.errcode}`, answer.errcode === 42001 || answer.errcode === 40014 || answer.errcode === -1);
      }
    },
  };
}

/** wechat_configs: each entry checked and read as Alertmanager reads it. */
export const wechatConfigReader: ReceiverConfigReader = {
  key: 'wechat_configs',
  typeName: 'config.WechatConfig',
  fields: ['send_resolved', 'http_config', 'api_secret', 'api_secret_file', 'corp_id', 'api_url', 'to_user', 'to_party', 'to_tag', 'agent_id', 'message', 'message_type'],
  missing: undefined,
  read(ctx, wc, wm, str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    const { global, renderTemplate } = ctx;
    if (str('api_secret') !== '' && str('api_secret_file') !== '') y.fail(wc, 'at most one of wechat_api_secret & wechat_api_secret_file must be configured');
    const apiSecret = keyOf(str('api_secret'), str('api_secret_file'), global.wechatApiSecret, global.wechatApiSecretFile);
    if (apiSecret === undefined) y.fail(wc, 'no global Wechat Api Secret set either inline or in a file');
    const corpId = str('corp_id') || global.wechatApiCorpId;
    if (corpId === '') y.fail(wc, 'no global Wechat CorpID set');
    const messageType = str('message_type', 'text');
    if (messageType !== 'text' && messageType !== 'markdown') y.fail(wm.get('message_type'), `weChat message type ${JSON.stringify(messageType)} does not match valid options text,markdown`);
    return wechatIntegration(
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
        ...notifierCommon(y, wm, false),
      },
      i,
      renderTemplate,
    );
  },
};
