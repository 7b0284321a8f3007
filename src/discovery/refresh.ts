// The shape most service-discovery mechanisms share (Prometheus's refresh.Discovery): ask an API
// for every target now and again every refresh interval; a failed refresh is logged and keeps
// the last good groups. Also the JSON GET they use, with the mechanism's HTTP client settings.
import type { HttpClientConfig } from '../config/index.js';
import { scrapeHttp } from '../scrape/http-client.js';
import { httpOptions } from '../scrape/http-options.js';
import type { TargetGroup } from '../scrape/targets.js';
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
    try {
      const groups = await this.refreshFn(this.abort.signal);
      if (!this.abort.signal.aborted) this.onUpdate(groups);
    } catch (e) {
      if (!this.abort.signal.aborted) this.logger.error('Unable to refresh target groups', { discovery: this.mechanism, err: (e as Error).message });
    } finally {
      this.running = false;
    }
  }
}

/** A JSON API client with a mechanism's HTTP client settings (auth, TLS, proxy, headers). */
export class JsonApi {
  private readonly base: ReturnType<typeof httpOptions>;

  constructor(
    http: HttpClientConfig,
    private readonly timeoutMs: number,
    private readonly headers: Record<string, string> = {},
  ) {
    this.base = httpOptions(http, 0);
  }

  async get(url: string | URL, signal: AbortSignal, headers: Record<string, string> = {}): Promise<unknown> {
    const res = await scrapeHttp({ ...this.base, url: new URL(url), timeoutMs: this.timeoutMs, accept: 'application/json', compression: true, headers: { ...this.base.headers, ...this.headers, ...headers } }, signal);
    try {
      return JSON.parse(res.body.toString('utf8')) as unknown;
    } catch (e) {
      throw new Error(`${new URL(url).href}: invalid JSON: ${(e as Error).message}`);
    }
  }
}
