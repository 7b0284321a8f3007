// One scrape loop per target: on every interval, fetch, hand the body to an ingest path (parse,
// label, append in one batch: parser-ingester.ts or native-ingester.ts), and write the per-target
// report series (`up`, `scrape_duration_seconds`, ...). Prometheus's semantics: target labels
// attached (honor_labels decides conflicts, the loser becomes `exported_*`), metric_relabel_configs
// after, limits fail the whole scrape (series-resolver.ts), and stale markers when a series
// vanishes, when the target goes down and when the target is removed (kept here, across both caches).
import { ScrapeCache } from './cache.js';
import { scrapeHttp, ScrapeError } from '../common/http-config/http-get.js';
import type { Labels } from '../model/labels.js';
import type { Logger } from '../util/logger.js';
import { type AppendCounts, type ExpositionCodec, type FamilyMetadata, type Ingester, type ScrapeOptions, type ScrapeStorage, type TextScrapeCachePort } from './ingest.js';
import { NativeIngester } from './native-ingester.js';
import { ParserIngester } from './parser-ingester.js';
import { SeriesResolver } from './series-resolver.js';
import { BUCKET_LIMIT_ERROR } from './native-histograms.js';

// The ports and options moved to ingest.ts; importers of loop.ts keep finding them here.
export type { AppendCounts, ExpositionCodec, FamilyMetadata, FastPathHints, ScrapedExemplar, ScrapeOptions, ScrapeStorage, TextScrapeCachePort, TextScrapeCounts } from './ingest.js';

/** The stale marker: a NaN with a payload that no computation produces. */
export const STALE_NAN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;

export type TargetHealth = 'up' | 'down' | 'unknown';

export interface TargetState {
  health: TargetHealth;
  lastError: string;
  /** ms since epoch; 0 before the first scrape. */
  lastScrape: number;
  lastScrapeDurationSeconds: number;
  lastSamples: number;
}

export interface ScrapeLoopDeps {
  storage: ScrapeStorage;
  codec: ExpositionCodec;
  logger: Logger;
  /** Called after every scrape with the counts that feed prometheus_target_* metrics. */
  onScrape?: (report: {
    intervalSeconds: number;
    counts: AppendCounts;
    sampleLimitExceeded: boolean;
    bodyLimitExceeded: boolean;
    exemplarsOutOfOrder: number;
    /** Native histograms read but not stored (a storage without histogram support). */
    histogramsUnstored?: number;
    /** The scrape failed on native_histogram_bucket_limit. */
    bucketLimitExceeded?: boolean;
  }) => void;
  now?: () => number;
}

const REPORT_NAMES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'] as const;

export class ScrapeLoop {
  readonly state: TargetState = { health: 'unknown', lastError: '', lastScrape: 0, lastScrapeDurationSeconds: 0, lastSamples: 0 };
  /** The JavaScript path's cache (OpenMetrics bodies, or no native cache). */
  private readonly cache = new ScrapeCache();
  /** The native path's cache (text-format bodies). */
  private readonly textCache: TextScrapeCachePort | undefined;
  /** The families of the last successful scrape (/api/v1/targets/metadata, /api/v1/metadata). */
  private familyMetadata: ReadonlyMap<string, FamilyMetadata> = new Map();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private reportRefs: Uint32Array | undefined;
  private lastScrapeStart = 0;
  /** Whether the current (or last) scrape went through the native cache. */
  private lastScrapeNative = false;
  private readonly now: () => number;
  /** The JavaScript parser's path (OpenMetrics bodies, or no native cache). */
  private readonly parser: ParserIngester;
  /** The native cache's path for text-format bodies (when the storage has a native cache). */
  private readonly native: NativeIngester | undefined;

  constructor(
    readonly url: URL,
    /** Final target labels (job, instance, ...), attached to every scraped series. */
    readonly targetLabels: Labels,
    readonly options: ScrapeOptions,
    private readonly deps: ScrapeLoopDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.textCache = deps.storage.textScrapeCache?.();
    const resolver = new SeriesResolver(targetLabels, options, deps.codec, deps.storage);
    this.parser = new ParserIngester(this.cache, resolver, options, deps);
    if (this.textCache !== undefined) this.native = new NativeIngester(this.textCache, this.cache, resolver, options, deps);
  }

  get metadata(): ReadonlyMap<string, FamilyMetadata> {
    return this.familyMetadata;
  }

  /**
   * Starts scraping. The first scrape waits for an offset derived from the target's identity, so
   * targets spread over the interval instead of all scraping at once (as Prometheus does).
   */
  start(offsetSeed: string): void {
    const interval = this.options.intervalMs;
    const offset = hashString(offsetSeed + this.url.href) % interval;
    const base = this.now();
    const first = (Math.floor(base / interval) * interval + offset - base + interval) % interval;
    // One scrape per target at a time, as Prometheus's loop: two scrapes must never interleave
    // on the target's caches, and a scrape's native part runs off the event loop, so it may
    // still be appending when the next tick comes. Then that tick waits and its scrape starts as
    // soon as this one ends (as a Go ticker keeps one missed tick), not a whole interval later.
    let tickMissed = false;
    const scrape = (): void => {
      this.running = this.scrapeOnce().finally(() => {
        this.running = undefined;
        if (tickMissed && !this.stopped) {
          tickMissed = false;
          scrape();
        }
      });
    };
    const tick = (): void => {
      if (this.stopped) return;
      if (this.running === undefined) scrape();
      else tickMissed = true;
      // Schedule from the ideal grid, not from when this scrape ended, so intervals do not drift.
      const now = this.now();
      const next = interval - ((now - base - first) % interval);
      this.timer = setTimeout(tick, next);
    };
    this.timer = setTimeout(tick, first);
  }

  /**
   * Stops the loop. With `targetRemoved`, the target's series get stale markers so queries stop
   * returning them at once instead of after the lookback delta.
   */
  async stop(targetRemoved: boolean): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.abort?.abort();
    await this.running?.catch(() => undefined);
    if (targetRemoved) {
      const ts = this.now();
      const refs = this.cache.lastRefs();
      const all = this.reportRefs !== undefined ? concatRefs(refs, this.reportRefs) : refs;
      await this.appendStale(all, ts);
      await this.textCache?.fail(ts).catch((e: unknown) => this.staleFailed(e));
    }
  }

  /** One scrape; exported for tests and for the scrape-now paths. Never throws. */
  async scrapeOnce(): Promise<void> {
    const start = this.now();
    const intervalSeconds = this.lastScrapeStart === 0 ? this.options.intervalMs / 1000 : (start - this.lastScrapeStart) / 1000;
    this.lastScrapeStart = start;
    this.abort = new AbortController();
    let scraped = 0;
    let postRelabel = 0;
    let added = 0;
    let counts: AppendCounts = { appended: 0, outOfOrder: 0, duplicate: 0, tooOld: 0, outOfBounds: 0, unknownRef: 0 };
    let exemplarsOutOfOrder = 0;
    let error = '';
    let sampleLimitExceeded = false;
    let bodyLimitExceeded = false;
    let histogramsUnstored = 0;
    let bucketLimitExceeded = false;
    this.cache.begin();
    this.lastScrapeNative = false;
    try {
      const res = await scrapeHttp({ ...this.options.http, url: this.url, timeoutMs: this.options.timeoutMs }, this.abort.signal);
      const contentType = res.contentType.trim() === '' && this.options.fallbackContentType !== undefined ? this.options.fallbackContentType : res.contentType;
      this.deps.codec.checkEncoding?.(res.body, contentType);
      const loading = this.deps.codec.prepare?.(contentType);
      if (loading !== undefined) await loading;
      const ingester = this.ingesterFor(contentType);
      this.lastScrapeNative = ingester === this.native;
      const r = await ingester.ingest(res.body, contentType, start);
      if (r.metadata !== undefined) this.familyMetadata = r.metadata;
      // The parser's in-order fast path compares with the previous scrape, which it did not see.
      if (this.lastScrapeNative) this.parser.forgetPrevious();
      ({ scraped, postRelabel, added, counts } = r);
      exemplarsOutOfOrder = r.exemplarsOutOfOrder;
      histogramsUnstored = r.histogramsUnstored ?? 0;
      this.warnDropped(counts);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      if (error === 'sample limit exceeded') sampleLimitExceeded = true;
      if (error === BUCKET_LIMIT_ERROR) bucketLimitExceeded = true;
      if (e instanceof ScrapeError && error.startsWith('body size limit exceeded')) bodyLimitExceeded = true;
    }
    const durationSeconds = (this.now() - start) / 1000;
    // Only one of the two caches took this scrape; the other one's previous series (if the target
    // changed format) go stale unless this scrape has them, as any series missing from a scrape does.
    if (error === '') {
      if (this.lastScrapeNative) this.cache.fail(); // adopted by the native cache's finish
      else {
        await this.appendStale(this.cache.commit(), start);
        await this.textCache?.fail(start, this.cache.lastRefs()).catch((e: unknown) => this.staleFailed(e));
      }
    } else {
      await this.appendStale(this.cache.fail(), start);
      await this.textCache?.fail(start).catch((e: unknown) => this.staleFailed(e));
      if (this.stopped) return; // aborted by stop(): no report for a target going away
    }
    this.state.health = error === '' ? 'up' : 'down';
    this.state.lastError = error;
    this.state.lastScrape = start;
    this.state.lastScrapeDurationSeconds = durationSeconds;
    this.state.lastSamples = scraped;
    try {
      await this.appendReport(start, error === '' ? 1 : 0, durationSeconds, scraped, postRelabel, added);
    } catch (e) {
      // The storage closed under a scrape at shutdown: the scrape's own figures still go out.
      this.deps.logger.warn('Appending the scrape report failed', { target: this.url.href, err: e instanceof Error ? e.message : String(e) });
    }
    if (error !== '') {
      this.deps.logger.debug('Scrape failed', { target: this.url.href, err: error });
      this.options.failureLog?.(this.url.href, error);
    }
    this.deps.onScrape?.({ intervalSeconds, counts, sampleLimitExceeded, bodyLimitExceeded, exemplarsOutOfOrder, histogramsUnstored, bucketLimitExceeded });
  }

  /** The native path for text-format bodies when the storage has a native cache; the parser's otherwise. */
  private ingesterFor(contentType: string): Ingester {
    // The NHCB conversion needs every sample of a classic histogram, which the native cache keeps to itself.
    if (this.options.convertClassicHistogramsToNhcb ?? false) return this.parser;
    return this.native !== undefined && this.deps.codec.isTextFormat(contentType) ? this.native : this.parser;
  }

  /** Prometheus's warnings for the samples a scrape's append refused (the scrape itself goes on). */
  private warnDropped(counts: AppendCounts): void {
    const target = this.url.href;
    const outOfBounds = counts.tooOld + counts.outOfBounds;
    if (counts.outOfOrder > 0) this.deps.logger.warn('Error on ingesting out-of-order samples', { target, num_dropped: counts.outOfOrder });
    if (counts.duplicate > 0) this.deps.logger.warn('Error on ingesting samples with different value but same timestamp', { target, num_dropped: counts.duplicate });
    if (outOfBounds > 0) this.deps.logger.warn('Error on ingesting samples that are too old or are too far into the future', { target, num_dropped: outOfBounds });
  }

  private async appendReport(ts: number, up: number, duration: number, scraped: number, postRelabel: number, added: number): Promise<void> {
    if (this.reportRefs === undefined) {
      this.reportRefs = this.deps.storage.seriesRefs(REPORT_NAMES.map((name) => ({ ...this.targetLabels, __name__: name })));
    }
    const values = Float64Array.from([up, duration, scraped, postRelabel, added]);
    const timestamps = new Float64Array(REPORT_NAMES.length).fill(ts);
    // Through the native cache when there is one: off the event loop, like the scrape's samples.
    const r = this.textCache?.appendReport !== undefined ? await this.textCache.appendReport(this.reportRefs, timestamps, values) : this.deps.storage.append(this.reportRefs, timestamps, values);
    if (r.unknownRef > 0) this.reportRefs = undefined;
  }

  /** The storage refused the stale markers (it closed under a scrape at shutdown): said, never thrown. */
  private staleFailed(e: unknown): void {
    this.deps.logger.warn('Appending stale markers failed', { target: this.url.href, err: e instanceof Error ? e.message : String(e) });
  }

  /** Stale markers at `ts` for these series; off the event loop when the storage can. Never throws. */
  private async appendStale(refs: Uint32Array, ts: number): Promise<void> {
    if (refs.length === 0) return;
    const args = [refs, new Float64Array(refs.length).fill(ts), new Float64Array(refs.length).fill(STALE_NAN)] as const;
    const storage = this.deps.storage;
    try {
      if (storage.appendAsync !== undefined) await storage.appendAsync(...args);
      else storage.append(...args);
    } catch (e) {
      this.staleFailed(e);
    }
  }
}

function concatRefs(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** FNV-1a: a cheap, stable hash to spread target start offsets. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
