// Loads the native TSDB addon: the prebuilt binary from the matching `@promethium/native-*`
// package when it is installed, else the one `npm run build:native` put in `native/`.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { StorageOptions } from './options.js';

/** One batch append's outcome, per reason a sample was refused. */
export interface NativeAppendResult {
  appended: number;
  outOfOrder: number;
  duplicate: number;
  /** Older than the head accepts (before the newest block's end): Prometheus's head "out of bounds". */
  tooOld: number;
  /** Too far in the future (after now + `maxAheadMs`): what Prometheus's scrape refuses as "out of bounds". */
  outOfBounds: number;
  unknownRef: number;
}

export type NativeMatcher =
  | { type: '=' | '!='; name: string; value: string }
  | { type: 'in' | 'notin'; name: string; values: string[] };

export interface NativeMatrix {
  values: Float64Array;
  present: Uint8Array;
  timestamps?: Float64Array;
}

export interface NativeSamples {
  offsets: Uint32Array;
  t: Float64Array;
  v: Float64Array;
}

/** Raw histogram samples: series i at offsets[i]..offsets[i+1] of t and of the buffer's histograms. */
export interface NativeHistogramSamples {
  offsets: Uint32Array;
  t: Float64Array;
  /** crates/tsdb/docs/histogram-transport.md */
  histograms: Uint8Array;
}

/** Histogram instant sampling: index[series * steps + step] into the buffer's histograms, -1 = none. */
export interface NativeInstantHistograms {
  index: Int32Array;
  timestamps: Float64Array;
  histograms: Uint8Array;
}

export interface NativeSelection {
  length(): number;
  labels(): Uint8Array;
  samples(): NativeSamples;
  instant(start: number, end: number, step: number, lookback: number, modifier?: 'smoothed'): Required<NativeMatrix>;
  instantWithStartTimestamps(start: number, end: number, step: number, lookback: number): Required<NativeMatrix> & { starts: Float64Array };
  evalRange(fn: string, params: number[], start: number, end: number, step: number, range: number, modifier?: 'anchored' | 'smoothed', lookback?: number): NativeMatrix;
  evalRangeWithStartTimestamps(fn: string, params: number[], start: number, end: number, step: number, range: number): NativeMatrix & { overlaps: Uint32Array };
  histogramSamples(): NativeHistogramSamples;
  instantHistograms(start: number, end: number, step: number, lookback: number): NativeInstantHistograms;
}

export interface NativeNameCount {
  name: string;
  value: number;
}

export interface NativeBlockMeta {
  ulid: string;
  minTime: number;
  maxTime: number;
  numSamples: number;
  numSeries: number;
  numChunks: number;
  level: number;
}

export interface NativeStats {
  numSeries: number;
  numLabelPairs: number;
  chunkCount: number;
  headChunkBytes: number;
  minTime: number | null;
  maxTime: number | null;
  walBytes: number;
  blocksBytes: number;
  counters: Record<
    | 'samplesAppended'
    | 'outOfOrder'
    | 'duplicate'
    | 'tooOld'
    | 'outOfBounds'
    | 'unknownRef'
    | 'seriesCreated'
    | 'seriesRemoved'
    | 'walCorruptions'
    | 'compactions'
    | 'compactionsFailed'
    | 'headTruncations'
    | 'checkpoints'
    | 'blocksDeletedByRetention',
    number
  >;
  blocks: NativeBlockMeta[];
  seriesCountByMetricName: NativeNameCount[];
  labelValueCountByLabelName: NativeNameCount[];
  memoryInBytesByLabelName: NativeNameCount[];
  seriesCountByLabelValuePair: NativeNameCount[];
}

export interface NativeReplayInfo {
  series: number;
  samples: number;
  durationMs: number;
  corruption: { segment: number; offset: number; reason: string } | null;
}

/** The native constructor takes exactly the public options (see options.ts). */
export type NativeDbOptions = StorageOptions;

/** One batch of exemplars' outcome. */
export interface NativeExemplarAppendResult {
  appended: number;
  duplicate: number;
  outOfOrder: number;
  labelsTooLong: number;
  unknownRef: number;
}

/** Exemplars of matching series: series i's are offsets[i]..offsets[i+1] of labels (a label-set buffer), t and v. */
export interface NativeExemplars {
  series: Uint8Array;
  offsets: Uint32Array;
  labels: Uint8Array;
  t: Float64Array;
  v: Float64Array;
}

export interface NativeExemplarStats {
  maxExemplars: number;
  exemplarsInStorage: number;
  seriesWithExemplars: number;
  appendedTotal: number;
  outOfOrderTotal: number;
}

export interface NativeDb {
  seriesRefs(labelSets: Uint8Array): Uint32Array;
  append(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, startTimestamps?: Float64Array): NativeAppendResult;
  select(matchers: NativeMatcher[], mint: number, maxt: number): NativeSelection;
  labelNames(matchers: NativeMatcher[], mint: number, maxt: number): string[];
  labelValues(name: string, matchers: NativeMatcher[], mint: number, maxt: number): string[];
  compact(): Promise<void>;
  deleteSeries(matchers: NativeMatcher[], mint: number, maxt: number): void;
  cleanTombstones(): Promise<void>;
  snapshot(dir: string, withHead: boolean): Promise<void>;
  stats(limit?: number): NativeStats;
  replayInfo(): NativeReplayInfo;
  close(): void;
  appendExemplars(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, labelSets: Uint8Array): NativeExemplarAppendResult;
  selectExemplars(matcherSets: NativeMatcher[][], mint: number, maxt: number): NativeExemplars;
  setMaxExemplars(n: number): void;
  setRetention(retentionMs: number, retentionBytes: number): void;
  setXor2Chunks(on: boolean): void;
  exemplarStats(): NativeExemplarStats;
  /** Histograms encoded by storage/histogram-codec.ts, one per ref. */
  appendHistograms(refs: Uint32Array, timestamps: Float64Array, histograms: Uint8Array): NativeAppendResult;
  /** What `new NativeDb(id)` attaches with from another thread of this process. */
  id(): number;
}

/** A finished scrape through the native cache (see crates/scrape). */
export interface NativeScrapeFinish extends NativeAppendResult {
  /** Sample lines in the body, dropped series included. */
  scraped: number;
  /** Samples appended after metric relabeling. */
  postRelabel: number;
  /** Series new to the cache. */
  added: number;
  /** Stale markers written for series the previous scrape had. */
  stale: number;
}

/** One target's scrape cache: series text -> ref, appending straight into a NativeDb. */
export interface NativeScrapeCache {
  /** null: every line was handled; else the residue (handled lines blanked) for the full parser. */
  scan(body: Uint8Array, scrapeTs: number, honorTimestamps: boolean, trackTimestampsStaleness: boolean): string | null;
  /** `adoptPrevious`: series another cache's earlier scrapes had, which go stale unless this scrape has them. */
  finish(db: NativeDb, series: Uint8Array, refs: Uint32Array, timestamps: Float64Array, values: Float64Array, scrapeTs: number, sampleLimit: number, adoptPrevious?: Uint32Array, untracked?: Uint32Array): NativeScrapeFinish | { sampleLimitExceeded: true };
  /** `except`: series another cache's scrape appended at `ts` (no stale marker for them). */
  fail(db: NativeDb, ts: number, except?: Uint32Array): number;
  size(): number;
  clear(): void;
}

export interface NativeAddon {
  /** Opens a directory, or (given the id of a database another thread opened) attaches to it. */
  NativeDb: new (dirOrId: string | number, opts?: NativeDbOptions) => NativeDb;
  NativeScrapeCache: new () => NativeScrapeCache;
  /** crates/scrape's `DROPPED`: the ref both scrape caches keep for a series metric relabeling dropped. */
  DROPPED_REF: number;
  /** The class of what NativeDb.select returns; the addon exports it, JavaScript never constructs it. */
  NativeSelection: abstract new (...args: never[]) => NativeSelection;
  evalRangeSamples(fn: string, params: number[], offsets: Uint32Array, t: Float64Array, v: Float64Array, start: number, end: number, step: number, range: number): NativeMatrix;
  nativeVersion: string;
  /** A cancel flag any thread can set; its id. */
  newCancelToken(): number;
  /** Stops the query using the token at its next check; false if there is no such token. */
  cancelQuery(token: number): boolean;
  releaseCancelToken(token: number): void;
  /** Limits the native work of this thread until endQuery (0 = no limit). */
  beginQuery(token: number, timeoutMs: number, maxSamples: number, maxBytes: number): void;
  /** Counts memory the JavaScript side is about to allocate against the query's limits (throws when past them). */
  reserveQuery(samples: number, bytes: number): void;
  endQuery(): { samples: number; bytes: number };
}

/** The platform part of binary names, as napi-rs spells it (e.g. `linux-x64-gnu`). */
export function platformTriple(): string {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    const libc = report?.header?.glibcVersionRuntime ? 'gnu' : 'musl';
    return `linux-${arch}-${libc}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const require = createRequire(import.meta.url);
let loaded: NativeAddon | undefined;

/** The addon, loaded once. Throws a message naming the platform when no binary fits. */
export function loadNative(): NativeAddon {
  if (loaded) return loaded;
  const triple = platformTriple();
  const tried: string[] = [];
  const pkg = `@promethium/native-${triple}`;
  try {
    loaded = require(pkg) as NativeAddon;
    return loaded;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND') throw e;
    tried.push(`package ${pkg} (not installed)`);
  }
  // src/storage or dist/storage -> repository root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const local = join(root, 'native', `promethium.${triple}.node`);
  if (existsSync(local)) {
    loaded = require(local) as NativeAddon;
    return loaded;
  }
  tried.push(`${local} (not built)`);
  throw new Error(
    `Promethium's native TSDB addon is not available for this platform (${triple}). Tried: ${tried.join('; ')}. ` +
      'Build it with `npm run build:native` (needs Rust and cargo), or install the matching prebuilt package.',
  );
}
