// The scrape loop's JavaScript ingest path: the full parser in src/exposition reads the body
// (OpenMetrics, or any format when the storage has no native cache), with the JavaScript series
// cache (cache.ts) and the previous scrape's order as its fast path, and the samples go to the
// storage in one batch append (start timestamps and exemplars with them when asked for).
import type { Labels } from '../model/labels.js';
import { DROPPED_REF, type CacheEntry, type ScrapeCache } from './cache.js';
import { ScrapeFailure, type AppendCounts, type FamilyMetadata, type IngestDeps, type Ingester, type IngestResult, type ScrapedExemplar, type ScrapeOptions } from './ingest.js';
import type { SeriesResolver } from './series-resolver.js';
import { HistogramBatch } from './histogram-batch.js';
import { ClassicToNhcb } from './native-histograms.js';

/** Two append results as one. */
function addCounts(a: AppendCounts, b: AppendCounts): AppendCounts {
  return { appended: a.appended + b.appended, outOfOrder: a.outOfOrder + b.outOfOrder, duplicate: a.duplicate + b.duplicate, tooOld: a.tooOld + b.tooOld, outOfBounds: a.outOfBounds + b.outOfBounds, unknownRef: a.unknownRef + b.unknownRef };
}

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

  /**
   * Parses the body and appends its samples in one batch; rejects to fail the scrape. New series
   * are labeled a slice at a time (SeriesResolver.resolveInSlices), so a large target's first
   * scrape lets the event loop turn.
   */
  async ingest(bytes: Buffer, contentType: string, scrapeTime: number): Promise<IngestResult> {
    const o = this.options;
    const codec = this.deps.codec;
    const protobuf = codec.isProtobuf?.(contentType) ?? false;
    const histograms = new HistogramBatch(this.cache, this.resolver, o, this.deps);
    // convert_classic_histograms_to_nhcb: the classic series of histogram families are collected here.
    const nhcb = o.convertClassicHistogramsToNhcb ? new ClassicToNhcb() : undefined;
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
    const onSample = (series: string, value: number, timestamp: number | undefined, cached: CacheEntry | undefined, start?: number, exemplar?: ScrapedExemplar): void => {
      if (nhcb !== undefined && this.takeClassic(nhcb, metadata, series, value, timestamp, start) && !(o.alwaysScrapeClassicHistograms ?? false)) return;
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
    };
    const hints = { knownSeries: this.knownSeries, startTimestamps: o.storeStartTimestamps ?? false, exemplars: o.storeExemplars ?? false };
    if (protobuf) {
      if (codec.parseProtobufInto === undefined) throw new ScrapeFailure(`no parser for the protobuf exposition format (content type ${JSON.stringify(contentType)})`);
      codec.parseProtobufInto(bytes, metadata, { ...hints, nativeHistograms: o.nativeHistograms ?? false, alwaysClassicHistograms: o.alwaysScrapeClassicHistograms ?? false }, onSample, (series, h, timestamp, cached, start, exemplars) => histograms.add(series, h, timestamp, cached, start, exemplars, scrapeTime));
    } else {
      codec.parseInto(bytes.toString('utf8'), contentType, metadata, { ...hints, previous: this.previous }, onSample);
    }
    if (nhcb !== undefined) {
      for (const c of nhcb.histograms()) {
        const text = codec.seriesText?.(c.labels) ?? '';
        histograms.add(text, c.h, c.timestamp, undefined, c.start, [], scrapeTime);
      }
    }
    scraped += histograms.size;

    let added = 0;
    // Indices of the samples kept when metric relabeling drops some of the new series.
    let kept: number[] | undefined;
    if (newSeries.length > 0) {
      const dropSlots = new Set<number>();
      const newRefs = await this.resolver.resolveInSlices(newSeries.map((n) => n.text));
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
    // Histograms resolve (and meet their bucket limits) before anything is appended: a failing scrape appends nothing.
    const h = histograms.prepare();
    added += h.added;
    const postRelabel = refArr.length + h.kept;
    if (o.sampleLimit > 0 && postRelabel > o.sampleLimit) {
      throw new ScrapeFailure('sample limit exceeded');
    }
    const times = pick(ts);
    const floatArgs = [refArr, Float64Array.from(times), Float64Array.from(pick(vs)), sts.values && Float64Array.from(pick(sts.values))] as const;
    const storage = this.deps.storage;
    const floatCounts = storage.appendAsync !== undefined ? await storage.appendAsync(...floatArgs) : storage.append(...floatArgs);
    const own = untracked.values && pick(untracked.values);
    for (let i = 0; i < refArr.length; i++) if (!own?.[i]) this.cache.appended(refArr[i]!);
    const exemplars = exs.values && pick(exs.values);
    let exemplarsOutOfOrder = exemplars && this.deps.storage.appendExemplars ? this.appendExemplars(refArr, times, exemplars) : 0;
    const appended = histograms.append();
    exemplarsOutOfOrder += appended.exemplarsOutOfOrder;
    if (appended.unstored > 0) this.deps.logger.warn('Native histograms scraped but not stored: the storage takes no histogram samples', { num_dropped: appended.unstored });
    // The previous order is the text parser's fast path; a protobuf body has none.
    this.previous = protobuf ? undefined : { series: order, cached: orderEntries as CacheEntry[] };
    const counts = addCounts(floatCounts, appended.counts);
    return { scraped, postRelabel, added, counts, exemplarsOutOfOrder, metadata, histograms: appended.stored, histogramsUnstored: appended.unstored };
  }

  /**
   * Hands a sample of a classic histogram family (`_bucket`, `_count`, `_sum` of a family typed
   * histogram) to the NHCB conversion; false for any other sample.
   */
  private takeClassic(nhcb: ClassicToNhcb, metadata: ReadonlyMap<string, FamilyMetadata>, series: string, value: number, timestamp: number | undefined, start: number | undefined): boolean {
    const brace = series.indexOf('{');
    const plainName = brace === -1 ? series : brace > 0 ? series.slice(0, brace) : undefined;
    const suffixOf = (name: string): string | undefined => ['_bucket', '_count', '_sum'].find((x) => name.endsWith(x));
    if (plainName !== undefined && suffixOf(plainName) === undefined) return false;
    const labels = this.deps.codec.seriesLabels(series);
    const name = labels['__name__'] ?? '';
    const suffix = suffixOf(name);
    if (suffix === undefined) return false;
    const family = name.slice(0, -suffix.length);
    if (metadata.get(family)?.type !== 'histogram') return false;
    return nhcb.add(family, suffix, labels, value, this.options.honorTimestamps ? timestamp : undefined, start);
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
