// wechat_configs: WeChat Work's API, as Alertmanager uses it: an access token from `gettoken`
// (cached until it expires or is refused), then `message/send` to users, parties or tags.
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import type { HttpClientOptions } from '../../common/http-config/fetch.js';
import { httpFetch, httpHeaders } from '../../common/http-config/fetch.js';
import { checkStatus, post, readSecret, type Secret } from './post.js';

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
