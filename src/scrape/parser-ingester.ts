// The scrape loop's JavaScript ingest path: the full parser in src/exposition reads the body
// (OpenMetrics, or any format when the storage has no native cache), with the JavaScript series
// cache (cache.ts) and the previous scrape's order as its fast path, and the samples go to the
// storage in one batch append (start timestamps and exemplars with them when asked for).
import type { Labels } from '../model/labels.js';
import { DROPPED_REF, type CacheEntry, type ScrapeCache } from './cache.js';
import { ScrapeFailure, type FamilyMetadata, type IngestDeps, type Ingester, type IngestResult, type ScrapedExemplar, type ScrapeOptions } from './ingest.js';
import type { SeriesResolver } from './series-resolver.js';

/** A per-sample column that stays unallocated until a sample has a value other than `none`. */
class SparseColumn<T> {
  values: T[] | undefined;

  constructor(private readonly none: T) {}

  /** The value of sample `at` (samples come in order). */
  push(at: number, v: T): void {
    if (this.values === undefined) {
      if (v === this.none) return;
      this.values = new Array<T>(at).fill(this.none);
    }
    this.values.push(v);
  }
}

export class ParserIngester implements Ingester {
  /** Series texts of earlier valid scrapes, which the parser need not lex again. */
  private readonly knownSeries = (series: string): CacheEntry | undefined => this.cache.get(series);
  /** The last successful scrape's samples in order, for the parser's in-place comparison. */
  private previous: { series: string[]; cached: CacheEntry[] } | undefined;

  constructor(
    /** The loop's JavaScript cache; the loop begins, commits and fails its iterations (staleness). */
    private readonly cache: ScrapeCache,
    private readonly resolver: SeriesResolver,
    private readonly options: ScrapeOptions,
    private readonly deps: IngestDeps,
  ) {}

  /** Forgets the previous scrape's order (another path took the last scrape, so it is out of date). */
  forgetPrevious(): void {
    this.previous = undefined;
  }

  /** Parses the body and appends its samples in one batch. Throws to fail the scrape. */
  ingest(bytes: Buffer, contentType: string, scrapeTime: number): IngestResult {
    const body = bytes.toString('utf8');
    const o = this.options;
    const refs: number[] = [];
    const ts: number[] = [];
    const vs: number[] = [];
    // Per-sample extras, allocated only when some sample has one: start timestamps (0 = none),
    // exemplars, and samples with their own honored timestamp (not tracked for staleness).
    const sts = new SparseColumn<number>(0);
    const exs = new SparseColumn<ScrapedExemplar | undefined>(undefined);
    const untracked = new SparseColumn<boolean>(false);
    const trackOwn = o.trackTimestampsStaleness ?? false;
    // Cache misses: their labels resolve to refs in one call after the loop.
    const newSeries: { text: string; slot: number; at: number }[] = [];
    let scraped = 0;
    const metadata = new Map<string, FamilyMetadata>();
    // This scrape's samples in order, with their cache entries: the next scrape's fast path.
    const order: string[] = [];
    const orderEntries: (CacheEntry | undefined)[] = [];
    this.deps.codec.parseInto(body, contentType, metadata, { knownSeries: this.knownSeries, previous: this.previous, startTimestamps: o.storeStartTimestamps ?? false, exemplars: o.storeExemplars ?? false }, (series, value, timestamp, cached, start, exemplar) => {
      scraped++;
      const ownTime = o.honorTimestamps && timestamp !== undefined;
      const t = ownTime ? timestamp : scrapeTime;
      let e = cached;
      if (e !== undefined) this.cache.touch(e);
      else e = this.cache.get(series);
      order.push(series);
      orderEntries.push(e);
      if (e !== undefined && e.ref === DROPPED_REF) return;
      const at = refs.push(e?.ref ?? 0) - 1;
      ts.push(t);
      vs.push(value);
      sts.push(at, start ?? 0);
      exs.push(at, exemplar);
      untracked.push(at, ownTime && !trackOwn);
      if (e === undefined) newSeries.push({ text: series, slot: at, at: order.length - 1 });
    });

    let added = 0;
    // Indices of the samples kept when metric relabeling drops some of the new series.
    let kept: number[] | undefined;
    if (newSeries.length > 0) {
      const dropSlots = new Set<number>();
      const newRefs = this.resolver.resolve(newSeries.map((n) => n.text));
      newSeries.forEach((n, i) => {
        const ref = newRefs[i]!;
        if (ref === DROPPED_REF) {
          orderEntries[n.at] = this.cache.set(n.text, DROPPED_REF);
          dropSlots.add(n.slot);
          return;
        }
        refs[n.slot] = ref;
        orderEntries[n.at] = this.cache.set(n.text, ref);
        added++;
      });
      if (dropSlots.size > 0) kept = refs.map((_, i) => i).filter((i) => !dropSlots.has(i));
    }
    const pick = <T>(column: T[]): T[] => (kept === undefined ? column : kept.map((i) => column[i]!));
    const refArr = Uint32Array.from(pick(refs));
    const postRelabel = refArr.length;
    if (o.sampleLimit > 0 && postRelabel > o.sampleLimit) {
      throw new ScrapeFailure('sample limit exceeded');
    }
    const times = pick(ts);
    const counts = this.deps.storage.append(refArr, Float64Array.from(times), Float64Array.from(pick(vs)), sts.values && Float64Array.from(pick(sts.values)));
    const own = untracked.values && pick(untracked.values);
    for (let i = 0; i < refArr.length; i++) if (!own?.[i]) this.cache.appended(refArr[i]!);
    const exemplars = exs.values && pick(exs.values);
    const exemplarsOutOfOrder = exemplars && this.deps.storage.appendExemplars ? this.appendExemplars(refArr, times, exemplars) : 0;
    this.previous = { series: order, cached: orderEntries as CacheEntry[] };
    return { scraped, postRelabel, added, counts, exemplarsOutOfOrder, metadata };
  }

  /** The scrape's exemplars (an exemplar without a timestamp takes its sample's); returns how many were out of order. */
  private appendExemplars(refs: Uint32Array, ts: readonly number[], exs: readonly (ScrapedExemplar | undefined)[]): number {
    const r: number[] = [];
    const t: number[] = [];
    const v: number[] = [];
    const labels: Labels[] = [];
    exs.forEach((e, i) => {
      if (!e) return;
      r.push(refs[i]!);
      t.push(e.timestamp ?? ts[i]!);
      v.push(e.value);
      labels.push(e.labels);
    });
    try {
      return this.deps.storage.appendExemplars!(Uint32Array.from(r), Float64Array.from(t), Float64Array.from(v), labels).outOfOrder;
    } catch (e) {
      // Exemplars are an extra: their failure never fails the scrape whose samples are stored.
      this.deps.logger.warn('Appending exemplars failed', { err: e as Error });
      return 0;
    }
  }
}
