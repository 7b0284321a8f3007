// Sends one remote-write request with the queue's HTTP client settings (auth, TLS, proxy,
// redirects, headers) and reads what the receiver answered: status, Retry-After, and the 2.0
// written-count headers.
import type { Dispatcher } from 'undici';
import { httpDispatcher, httpOptions, requestHeaders, userAgent } from '../common/http-config/index.js';
import type { ClientRequestOptions } from '../common/http-config/index.js';
import type { RemoteWriteConfig } from '../config/index.js';
import { undici } from '../util/undici.js';

export interface SendResult {
  status: number;
  /** Retry-After in ms, when the receiver sent one. */
  retryAfterMs?: number;
  /** 2.0: X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written. */
  written?: { samples?: number; histograms?: number; exemplars?: number };
  body: string;
}

/** As Go's HTTP client, which Prometheus's remote-write client follows redirects with. */
const MAX_REDIRECTS = 10;

export const CONTENT_TYPE_V1 = 'application/x-protobuf';
export const CONTENT_TYPE_V2 = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

/** Retry-After as seconds or an HTTP date. */
export function parseRetryAfter(v: string | null, now = Date.now()): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export class RemoteWriteClient {
  private readonly options: ClientRequestOptions;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(private readonly cfg: RemoteWriteConfig) {
    this.options = httpOptions(cfg.http, 0);
    this.dispatcher = httpDispatcher(cfg.http);
  }

  async send(body: Uint8Array, protocol: 1 | 2): Promise<SendResult> {
    const headers: Record<string, string> = {
      ...(await requestHeaders(this.options)),
      ...this.cfg.headers,
      'Content-Encoding': 'snappy',
      'Content-Type': protocol === 2 ? CONTENT_TYPE_V2 : CONTENT_TYPE_V1,
      'X-Prometheus-Remote-Write-Version': protocol === 2 ? '2.0.0' : '0.1.0',
      'User-Agent': userAgent(),
    };
    // undici's request rather than fetch: a remote-write send is a plain POST, and fetch's
    // WHATWG machinery (streams, Request/Response objects) costs about 1 ms of CPU a request.
    const res = await undici().request(this.cfg.url, {
      method: 'POST',
      headers,
      body,
      maxRedirections: this.cfg.http.followRedirects ? MAX_REDIRECTS : 0,
      signal: AbortSignal.timeout(this.cfg.remoteTimeoutMs),
      ...(this.dispatcher === undefined ? {} : { dispatcher: this.dispatcher }),
    });
    const text = await res.body.text().catch(() => '');
    const header = (name: string): string | null => {
      const v = res.headers[name];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    };
    const out: SendResult = { status: res.statusCode, body: text.slice(0, 512) };
    const ra = parseRetryAfter(header('retry-after'));
    if (ra !== undefined) out.retryAfterMs = ra;
    if (protocol === 2) {
      const num = (h: string): number | undefined => {
        const v = header(`x-prometheus-remote-write-${h}-written`);
        return v === null || !/^\d+$/.test(v) ? undefined : Number(v);
      };
      out.written = { samples: num('samples'), histograms: num('histograms'), exemplars: num('exemplars') };
    }
    return out;
  }
}
