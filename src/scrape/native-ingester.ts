// The scrape loop's native ingest path, for text-format bodies when the storage has a native cache
// (storage/text-scrape-cache.ts, crates/scrape): known series are appended in Rust, only the residue comes
// back for the full parser, and its samples return to the native cache in one call.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DROPPED_REF, type ScrapeCache } from './cache.js';
import { ScrapeFailure, type ExpositionCodec, type FamilyMetadata, type IngestDeps, type Ingester, type IngestResult, type ScrapeOptions, type TextScrapeCachePort } from './ingest.js';
import type { SeriesResolver } from './series-resolver.js';

/**
 * Residue text parsed between two turns of the event loop (~5 ms of the full parser). A large
 * target's first scrape sends every line to the full parser: 100k series, ~8 MB, took the event
 * loop for 0.6 s in one block, and an `up` asked meanwhile waited as long.
 */
export const PARSE_SLICE_CHARS = 64 << 10;

type SampleSink = (series: string, value: number, timestamp: number | undefined) => void;

/**
 * Parses a text-format residue a slice of whole lines at a time. The text format's parser keeps
 * nothing from one line to the next but the families' metadata (the map, shared by every slice)
 * and the line number (carried over), so the slices parse as the whole text would.
 */
export async function parseInSlices(codec: ExpositionCodec, text: string, contentType: string, metadata: Map<string, FamilyMetadata>, sink: SampleSink, sliceChars = PARSE_SLICE_CHARS): Promise<void> {
  let linesBefore = 0;
  for (let from = 0; from < text.length; ) {
    if (from > 0) await nextTurn();
    const cut = from + sliceChars >= text.length ? -1 : text.indexOf('\n', from + sliceChars);
    const to = cut === -1 ? text.length : cut;
    codec.parseInto(text.slice(from, to), contentType, metadata, { linesBefore }, sink);
    for (let nl = text.indexOf('\n', from); nl !== -1 && nl <= to; nl = text.indexOf('\n', nl + 1)) linesBefore++;
    from = to + 1;
  }
}

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
      await parseInSlices(this.deps.codec, residue, contentType, metadata, (text, value, timestamp) => {
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
