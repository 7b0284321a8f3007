// The scrape cache: from a series' exposition text (`name{a="b"}`) to its storage ref.
//
// On a steady-state scrape every line hits the cache, so no labels are parsed, relabeled or sent
// across N-API: the loop only collects refs, timestamps and values into typed arrays and appends
// them in one native call. The cache also remembers which series the previous scrape had, so series
// that vanished get a stale marker (Prometheus's staleness handling).

/**
 * The ref of a series that metric relabeling dropped, in both caches (this one and the native one,
 * crates/scrape's `DROPPED`, which the addon exports as `DROPPED_REF`): cached so the rules are not
 * run again. u32::MAX: storage never hands out that ref.
 */
export const DROPPED_REF = 0xffffffff;

export interface CacheEntry {
  ref: number;
  /** The scrape iteration that last saw this series. */
  seen: number;
}
type Entry = CacheEntry;

export class ScrapeCache {
  private readonly entries = new Map<string, Entry>();
  private iteration = 0;
  /** Refs appended by the previous successful scrape (for staleness). */
  private previousRefs = new Uint32Array(0);
  private readonly currentRefs: number[] = [];

  /** Starts a scrape iteration. */
  begin(): void {
    this.iteration++;
    this.currentRefs.length = 0;
  }

  /** The entry for a series text (its ref, or DROPPED_REF), or undefined on a miss. Marks it as seen. */
  get(seriesText: string): CacheEntry | undefined {
    const e = this.entries.get(seriesText);
    if (e === undefined) return undefined;
    e.seen = this.iteration;
    return e;
  }

  set(seriesText: string, ref: number): CacheEntry {
    const e = { ref, seen: this.iteration };
    this.entries.set(seriesText, e);
    return e;
  }

  /** Marks an entry found without a lookup (the previous scrape's order) as seen. */
  touch(e: CacheEntry): void {
    e.seen = this.iteration;
  }

  /** Records that `ref` got a sample in this iteration. */
  appended(ref: number): void {
    this.currentRefs.push(ref);
  }

  /**
   * Ends a successful iteration: returns the refs that the previous scrape had and this one has
   * not (they need stale markers), and forgets cache entries unseen for a while so a target that
   * churns series does not grow the cache forever.
   */
  commit(): Uint32Array {
    const current = new Set(this.currentRefs);
    const stale = this.previousRefs.filter((r) => !current.has(r));
    this.previousRefs = Uint32Array.from(this.currentRefs);
    if (this.iteration % 10 === 0) {
      for (const [k, e] of this.entries) if (this.iteration - e.seen > 10) this.entries.delete(k);
    }
    return stale;
  }

  /** Ends a failed iteration (target down): every series of the previous scrape goes stale. */
  fail(): Uint32Array {
    const stale = this.previousRefs;
    this.previousRefs = new Uint32Array(0);
    return stale;
  }

  /** Series the last successful scrape appended (stale markers when the target is removed). */
  lastRefs(): Uint32Array {
    return this.previousRefs;
  }

  /** Forgets every ref (e.g. after the storage dropped series and refs may be unknown). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
