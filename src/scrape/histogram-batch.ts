// The native histograms of one scrape on their way to storage: collected while the body is read
// (from protobuf bodies, or converted from classic histograms), resolved to refs with the same
// cache and series resolution as float samples, brought within the job's bucket limits, and
// appended in one batch. A storage without histogram support counts them instead of losing them
// silently.
import type { FloatHistogram } from '../model/histogram.js';
import { DROPPED_REF, type CacheEntry, type ScrapeCache } from './cache.js';
import type { AppendCounts, IngestDeps, ScrapedExemplar, ScrapeOptions } from './ingest.js';
import { limitHistogram } from './native-histograms.js';
import type { SeriesResolver } from './series-resolver.js';

export interface HistogramAppend {
  stored: number;
  unstored: number;
  counts: AppendCounts;
  exemplarsOutOfOrder: number;
}

export class HistogramBatch {
  private readonly series: string[] = [];
  private readonly entries: (CacheEntry | undefined)[] = [];
  private readonly times: number[] = [];
  private readonly histograms: FloatHistogram[] = [];
  private readonly starts: number[] = [];
  private readonly exemplars: ScrapedExemplar[][] = [];
  /** Samples with their own honored timestamp (not tracked for staleness). */
  private readonly untracked: boolean[] = [];

  constructor(
    private readonly cache: ScrapeCache,
    private readonly resolver: SeriesResolver,
    private readonly options: ScrapeOptions,
    private readonly deps: IngestDeps,
  ) {}

  get size(): number {
    return this.series.length;
  }

  add(series: string, h: FloatHistogram, timestamp: number | undefined, cached: CacheEntry | undefined, start: number | undefined, exemplars: ScrapedExemplar[], scrapeTime: number): void {
    const o = this.options;
    const ownTime = o.honorTimestamps && timestamp !== undefined;
    let e = cached;
    if (e !== undefined) this.cache.touch(e);
    else e = this.cache.get(series);
    this.series.push(series);
    this.entries.push(e);
    this.times.push(ownTime ? timestamp : scrapeTime);
    this.histograms.push(h);
    this.starts.push(start ?? 0);
    this.exemplars.push(exemplars);
    this.untracked.push(ownTime && !(o.trackTimestampsStaleness ?? false));
  }

  /** Which samples survive relabeling, their histograms within the limits (set by prepare). */
  private keep: number[] = [];
  private limited: FloatHistogram[] = [];

  /**
   * Resolves new series and applies the bucket limits; throws a ScrapeFailure when a histogram
   * cannot be brought within them (before anything of the scrape is appended). Returns the
   * histograms kept after relabeling and the series first seen.
   */
  prepare(): { kept: number; added: number } {
    const misses: number[] = [];
    this.entries.forEach((e, i) => {
      if (e === undefined) misses.push(i);
    });
    let added = 0;
    if (misses.length > 0) {
      const refs = this.resolver.resolve(misses.map((i) => this.series[i]!));
      misses.forEach((i, k) => {
        const ref = refs[k]!;
        this.entries[i] = this.cache.set(this.series[i]!, ref);
        if (ref !== DROPPED_REF) added++;
      });
    }
    this.keep = this.entries.map((e, i) => (e!.ref === DROPPED_REF ? -1 : i)).filter((i) => i >= 0);
    const limits = { bucketLimit: this.options.nativeHistogramBucketLimit ?? 0, minBucketFactor: this.options.nativeHistogramMinBucketFactor ?? 0 };
    this.limited = this.keep.map((i) => limitHistogram(this.histograms[i]!, limits));
    return { kept: this.keep.length, added };
  }

  /** Appends the prepared histograms in one batch (and their exemplars). */
  append(): HistogramAppend {
    const zero: AppendCounts = { appended: 0, outOfOrder: 0, duplicate: 0, tooOld: 0, outOfBounds: 0, unknownRef: 0 };
    const keep = this.keep;
    const hs = this.limited;
    const result: HistogramAppend = { stored: 0, unstored: 0, counts: zero, exemplarsOutOfOrder: 0 };
    if (keep.length === 0) return result;
    const refs = Uint32Array.from(keep.map((i) => this.entries[i]!.ref));
    const times = Float64Array.from(keep.map((i) => this.times[i]!));
    const storage = this.deps.storage;
    if (storage.appendHistograms === undefined) {
      result.unstored = hs.length;
      return result;
    }
    const starts = keep.some((i) => this.starts[i] !== 0) ? Float64Array.from(keep.map((i) => this.starts[i]!)) : undefined;
    result.counts = storage.appendHistograms(refs, times, hs, starts);
    result.stored = hs.length;
    keep.forEach((i, k) => {
      if (!this.untracked[i]) this.cache.appended(refs[k]!);
    });
    result.exemplarsOutOfOrder = this.appendExemplars(refs, times, keep);
    return result;
  }

  private appendExemplars(refs: Uint32Array, times: Float64Array, keep: readonly number[]): number {
    const storage = this.deps.storage;
    if (storage.appendExemplars === undefined || !(this.options.storeExemplars ?? false)) return 0;
    const r: number[] = [];
    const t: number[] = [];
    const v: number[] = [];
    const labels: ScrapedExemplar['labels'][] = [];
    keep.forEach((i, k) => {
      for (const e of this.exemplars[i]!) {
        r.push(refs[k]!);
        t.push(e.timestamp ?? times[k]!);
        v.push(e.value);
        labels.push(e.labels);
      }
    });
    if (r.length === 0) return 0;
    try {
      return storage.appendExemplars(Uint32Array.from(r), Float64Array.from(t), Float64Array.from(v), labels).outOfOrder;
    } catch (e) {
      this.deps.logger.warn('Appending exemplars failed', { err: e as Error });
      return 0;
    }
  }
}
