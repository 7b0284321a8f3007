// oauth2's client-credentials flow, as Go's golang.org/x/oauth2/clientcredentials does it: POST
// grant_type=client_credentials (with scope and the endpoint_params) to token_url, the client id and
// secret as HTTP basic auth (form fields if the endpoint refuses that), and reuse the token until
// 10 s before it expires.
import { readFileSync } from 'node:fs';
import type { OAuth2Config } from './types.js';
import type { Dispatcher } from 'undici';
import { httpDispatcher } from './dispatcher.js';
import { undici } from '../../util/undici.js';

const EXPIRY_MARGIN_MS = 10_000;

export class OAuth2TokenSource {
  private cached: { token: string; type: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  /** The token endpoint's proxy and TLS, made on the first token request. */
  private dispatcher: Dispatcher | undefined | null = null;

  constructor(private readonly c: OAuth2Config) {}

  /** The Authorization header value, fetching a token when none is valid. */
  authorization(): Promise<string> {
    if (this.cached !== undefined && Date.now() < this.cached.expiresAt) return Promise.resolve(`${this.cached.type} ${this.cached.token}`);
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const c = this.c;
    const secret = c.clientSecret ?? (c.clientSecretFile !== undefined ? readFileSync(c.clientSecretFile, 'utf8').trim() : '');
    const form = new URLSearchParams({ grant_type: 'client_credentials', ...c.endpointParams });
    if (c.scopes.length > 0) form.set('scope', c.scopes.join(' '));
    if (this.dispatcher === null) this.dispatcher = httpDispatcher(c);
    const dispatcher = this.dispatcher;
    const post = async (inHeader: boolean): Promise<Response> => {
      const body = new URLSearchParams(form);
      const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
      if (inHeader) headers.Authorization = 'Basic ' + Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
      else {
        body.set('client_id', c.clientId);
        body.set('client_secret', secret);
      }
      const init = { method: 'POST', headers, body: body.toString(), signal: AbortSignal.timeout(30_000) };
      return dispatcher !== undefined ? ((await undici().fetch(c.tokenUrl, { ...init, dispatcher })) as unknown as Response) : fetch(c.tokenUrl, init);
    };
    let res = await post(true);
    if (res.status >= 400 && res.status < 500) res = await post(false);
    const text = await res.text();
    if (!res.ok) throw new Error(`oauth2: cannot fetch token: ${res.status} ${res.statusText}: ${text.slice(0, 200)}`);
    let doc: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      throw new Error('oauth2: the token endpoint did not answer JSON');
    }
    if (typeof doc.access_token !== 'string' || doc.access_token === '') throw new Error('oauth2: server response missing access_token');
    const type = typeof doc.token_type === 'string' && doc.token_type.toLowerCase() !== 'bearer' ? doc.token_type : 'Bearer';
    const expiresIn = Number(doc.expires_in);
    this.cached = { token: doc.access_token, type, expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 - EXPIRY_MARGIN_MS : Infinity };
    return `${type} ${doc.access_token}`;
  }
}
