// The scrape loop's native ingest path, for text-format bodies when the storage has a native cache
// (storage/text-scrape-cache.ts, crates/scrape): known series are appended in Rust, only the residue comes
// back for the full parser, and its samples return to the native cache in one call.
import { DROPPED_REF, type ScrapeCache } from './cache.js';
import { ScrapeFailure, type FamilyMetadata, type IngestDeps, type Ingester, type IngestResult, type ScrapeOptions, type TextScrapeCachePort } from './ingest.js';
import type { SeriesResolver } from './series-resolver.js';

export class NativeIngester implements Ingester {
  constructor(
    /** The native path's cache (text-format bodies). */
    private readonly textCache: TextScrapeCachePort,
    /** The JavaScript path's cache: series its scrapes had go stale unless this scrape has them. */
    private readonly cache: ScrapeCache,
    private readonly resolver: SeriesResolver,
    private readonly options: ScrapeOptions,
    private readonly deps: IngestDeps,
  ) {}

  /**
   * The native path: the body goes to the target's native cache, which appends the lines of known
   * series itself; the residue it returns (new series, unusual lines, changed HELP/TYPE) is parsed
   * here, its series labeled and resolved, and handed back to finish the scrape in one call. The
   * scan and the finish run on the thread pool; the caller keeps one scrape per target in flight.
   */
  async ingest(body: Buffer, contentType: string, scrapeTime: number): Promise<IngestResult> {
    const cache = this.textCache;
    const o = this.options;
    const trackOwn = o.trackTimestampsStaleness ?? false;
    const residue = await cache.scan(body, scrapeTime, o.honorTimestamps, trackOwn);
    const series: string[] = [];
    const ts: number[] = [];
    const vs: number[] = [];
    // Residue samples with their own honored timestamp (no staleness tracking unless asked for).
    const own: boolean[] = [];
    let metadata: Map<string, FamilyMetadata> | undefined;
    let refs: Uint32Array = new Uint32Array(0);
    if (residue !== null) {
      metadata = new Map();
      this.deps.codec.parseInto(residue, contentType, metadata, {}, (text, value, timestamp) => {
        const ownTime = o.honorTimestamps && timestamp !== undefined;
        series.push(text);
        ts.push(ownTime ? timestamp : scrapeTime);
        vs.push(value);
        own.push(ownTime && !trackOwn);
      });
      refs = await this.resolver.resolveInSlices(series);
    }
    const untracked = Uint32Array.from(refs.filter((r, i) => own[i] && r !== DROPPED_REF));
    const fromJsPath = this.cache.lastRefs();
    const r = await cache.finish({ series, refs, timestamps: Float64Array.from(ts), values: Float64Array.from(vs), untracked }, scrapeTime, o.sampleLimit, fromJsPath.length > 0 ? fromJsPath : undefined);
    if ('sampleLimitExceeded' in r) throw new ScrapeFailure('sample limit exceeded');
    const { scraped, postRelabel, added, ...counts } = r;
    return { scraped, postRelabel, added, counts, exemplarsOutOfOrder: 0, metadata };
  }
}
