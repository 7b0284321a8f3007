// The shape most service-discovery mechanisms share (Prometheus's refresh.Discovery): ask an API
// for every target now and again every refresh interval; a failed refresh is logged and keeps
// the last good groups. Also the JSON GET they use, with the mechanism's HTTP client settings.
import type { HttpClientConfig } from '../config/index.js';
import type { Dispatcher } from 'undici';
import { httpOptions, requestHeaders } from '../common/http-config/client-options.js';
import { httpDispatcher } from '../common/http-config/dispatcher.js';
import { undici } from '../util/undici.js';
import type { TargetGroup } from './target-group.js';
import type { Logger } from '../util/logger.js';

export type Refresh = (signal: AbortSignal) => Promise<TargetGroup[]>;

export class RefreshDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private running = false;

  constructor(
    private readonly mechanism: string,
    private readonly intervalMs: number,
    private readonly refreshFn: Refresh,
    private readonly logger: Logger,
    private readonly onUpdate: (groups: TargetGroup[]) => void,
    /** Refresh durations (seconds) and failures, for the SD metrics. */
    private readonly observe?: { duration(seconds: number): void; failure(): void },
  ) {}

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), Math.max(this.intervalMs, 1000));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.abort.abort();
  }

  /** Refreshes now (a refresh still running is not started twice). */
  async refresh(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const started = performance.now();
    try {
      const groups = await this.refreshFn(this.abort.signal);
      if (!this.abort.signal.aborted) this.onUpdate(groups);
    } catch (e) {
      if (!this.abort.signal.aborted) {
        this.observe?.failure();
        this.logger.error('Unable to refresh target groups', { discovery: this.mechanism, err: (e as Error).message });
      }
    } finally {
      this.observe?.duration((performance.now() - started) / 1000);
      this.running = false;
    }
  }
}

/** An API client with a mechanism's HTTP client settings (auth, TLS, proxy, headers, redirects). */
export class ApiClient {
  private readonly options: ReturnType<typeof httpOptions>;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(
    http: HttpClientConfig,
    private readonly timeoutMs: number,
    private readonly headers: Record<string, string> = {},
  ) {
    this.options = httpOptions(http, 0);
    this.dispatcher = httpDispatcher(http);
  }

  /** A request; the body as text, or an error naming the URL and the status. */
  async request(method: 'GET' | 'POST', url: string | URL, signal: AbortSignal, o: { accept?: string; headers?: Record<string, string>; body?: string; alsoAccept?: number[] } = {}): Promise<{ status: number; body: string; contentType: string; headers: Record<string, string> }> {
    // A mechanism's own Authorization (a signature, a token) wins over the job's settings.
    const headers: Record<string, string> = { Accept: o.accept ?? 'application/json', ...(await requestHeaders(this.options)), ...this.headers, ...o.headers };
    const href = new URL(url).href;
    const res = await undici().request(href, {
      method,
      headers,
      ...(o.body !== undefined ? { body: o.body } : {}),
      dispatcher: this.dispatcher,
      signal,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      maxRedirections: this.options.followRedirects === false ? 0 : 10,
    });
    const body = await res.body.text();
    if ((res.statusCode < 200 || res.statusCode >= 300) && !(o.alsoAccept ?? []).includes(res.statusCode)) throw new Error(`${method} ${href}: server returned HTTP status ${res.statusCode}${body !== '' ? `: ${body.slice(0, 200)}` : ''}`);
    const headersOut: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headersOut[k] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.statusCode, body, contentType: headersOut['content-type'] ?? '', headers: headersOut };
  }

  /** GET, the body as text. */
  async text(url: string | URL, signal: AbortSignal, accept = 'application/json', headers: Record<string, string> = {}): Promise<string> {
    return (await this.request('GET', url, signal, { accept, headers })).body;
  }

  /** GET, the body parsed as JSON. */
  async get(url: string | URL, signal: AbortSignal, headers: Record<string, string> = {}): Promise<unknown> {
    return parseJson(url, await this.text(url, signal, 'application/json', headers));
  }

  /** POST of a JSON document, the answer parsed as JSON. */
  async postJson(url: string | URL, doc: unknown, signal: AbortSignal): Promise<unknown> {
    return parseJson(url, (await this.request('POST', url, signal, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(doc) })).body);
  }
}

function parseJson(url: string | URL, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    throw new Error(`${new URL(url).href}: invalid JSON: ${(e as Error).message}`);
  }
}

/** Client settings for mechanisms without inline HTTP settings (at most their own tls_config). */
export function plainHttp(tls: HttpClientConfig['tls'] = { insecureSkipVerify: false }): HttpClientConfig {
  return { tls, followRedirects: true, enableHttp2: true, httpHeaders: {}, proxyFromEnvironment: false, proxyConnectHeader: {} };
}
