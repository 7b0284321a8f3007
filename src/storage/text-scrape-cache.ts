// The native scrape cache (crates/scrape) bound to one storage. It lives with storage, not in
// scrape/, because storage hands it out (storage.textScrapeCache()) and storage must not import the
// rooms above it; scrape/ holds the port it satisfies (TextScrapeCachePort in scrape/ingest.ts) and
// the ingest path that uses it (scrape/native-ingester.ts).
// A target's text-format body goes to Rust as one buffer: lines of series seen before become samples there and are appended without
// coming back; only the residue (new series, unusual lines, changed HELP/TYPE) returns as text for
// the full parser in src/exposition, whose samples come back in one call to finish the scrape.
// Both native calls run on the thread pool and return promises: the event loop (HTTP queries
// among it) never waits for a large body's parse, the storage's locks or the WAL. A target has at
// most one scrape in flight (scrape/loop.ts), so one scan's finish comes before the next scan.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadNative } from './native.js';
import type { NativeAppendResult, NativeDb, NativeScrapeCache, NativeScrapeFinish } from './native.js';

export type TextScrapeResult = NativeScrapeFinish | { sampleLimitExceeded: true };

/** The full parser's samples for a residue, with the refs resolved for their series. */
export interface ResidueSamples {
  /** Series texts as the parser cut them (the cache keys). */
  series: readonly string[];
  /** Storage refs; DROPPED_REF (scrape/cache.ts) for series that metric relabeling dropped. */
  refs: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;
  /** Refs whose samples carried their own (honored) timestamp: not tracked for staleness. */
  untracked?: Uint32Array;
}

const utf8 = new TextEncoder();

/**
 * Series texts encoded between two turns of the event loop (~10 ms of joining and encoding). A
 * large target's first scrape has every series in its residue: 100k of them took the event loop
 * for 110-150 ms in one block.
 */
export const ENCODE_SLICE = 8192;

/** The texts as UTF-8 lines joined by `\n` (no trailing one), a slice at a time. */
export async function encodeLines(texts: readonly string[], slice = ENCODE_SLICE): Promise<Uint8Array> {
  if (texts.length <= slice) return utf8.encode(texts.join('\n'));
  const parts: Uint8Array[] = [];
  for (let from = 0; from < texts.length; from += slice) {
    if (from > 0) await nextTurn();
    parts.push(utf8.encode(texts.slice(from, from + slice).join('\n')));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, parts.length - 1));
  let at = 0;
  for (const [i, p] of parts.entries()) {
    if (i > 0) out[at++] = 0x0a;
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class TextScrapeCache {
  private readonly native: NativeScrapeCache;

  constructor(private readonly db: NativeDb) {
    this.native = new (loadNative().NativeScrapeCache)();
  }

  /**
   * Reads a body: null when every line was handled, else the residue for the full parser. Series
   * whose samples carry an honored timestamp get no stale marker unless `trackTimestampsStaleness`.
   * The body is lent, not copied (a copy of several MB took the event loop ~6 ms): it must not be
   * written to until the promise settles. The scrape loop reads a target's next body into the same
   * memory only after this scrape's ingest is over.
   */
  scan(body: Uint8Array, scrapeTs: number, honorTimestamps: boolean, trackTimestampsStaleness = false): Promise<string | null> {
    return this.native.scan(body, scrapeTs, honorTimestamps, trackTimestampsStaleness);
  }

  /**
   * Appends the scrape (handled lines and the residue's samples) and stale markers for vanished
   * series; `adoptPrevious` adds series that earlier scrapes through another cache had.
   */
  async finish(residue: ResidueSamples, scrapeTs: number, sampleLimit: number, adoptPrevious?: Uint32Array): Promise<TextScrapeResult> {
    const series = await encodeLines(residue.series);
    return this.native.finish(this.db, series, residue.refs, residue.timestamps, residue.values, scrapeTs, sampleLimit, adoptPrevious, residue.untracked);
  }

  /** Appends the target's report series (`up`, `scrape_duration_seconds`, ...) off the event loop. */
  appendReport(refs: Uint32Array, timestamps: Float64Array, values: Float64Array): Promise<NativeAppendResult> {
    return this.native.appendReport(this.db, refs, timestamps, values);
  }

  /** Ends a failed scrape (or a removed target) off the event loop: the previous scrape's series get stale markers, but for `except`. */
  fail(ts: number, except?: Uint32Array): Promise<number> {
    return this.native.fail(this.db, ts, except);
  }

  get size(): number {
    return this.native.size();
  }
}
