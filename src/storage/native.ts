// Loads the native TSDB addon: the prebuilt binary from the matching `@promethium/native-*`
// package when it is installed, else the one `npm run build:native` put in `native/`.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
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

export interface NativeSelection {
  length(): number;
  labels(): Uint8Array;
  samples(): NativeSamples;
  instant(start: number, end: number, step: number, lookback: number, modifier?: 'smoothed'): Required<NativeMatrix>;
  instantWithStartTimestamps(start: number, end: number, step: number, lookback: number): Required<NativeMatrix> & { starts: Float64Array };
  evalRange(fn: string, params: number[], start: number, end: number, step: number, range: number, modifier?: 'anchored' | 'smoothed', lookback?: number): NativeMatrix;
  evalRangeWithStartTimestamps(fn: string, params: number[], start: number, end: number, step: number, range: number): NativeMatrix & { overlaps: Uint32Array };
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

/** Where a C library's file name says musl (`ld-musl-x86_64.so.1`, `libc.musl-x86_64.so.1`). */
const isMuslFile = (file: string): boolean => file.includes('ld-musl-') || file.includes('libc.musl-');

/** What the libc decision reads; each source is asked only when the ones before it said nothing. */
export interface LibcEvidence {
  /** The text of /usr/bin/ldd (a script naming its libc), or undefined when there is none. */
  lddScript: () => string | undefined;
  /** Node's process report (header.glibcVersionRuntime, sharedObjects), or undefined. */
  report: () => { header?: { glibcVersionRuntime?: string }; sharedObjects?: string[] } | undefined;
  /** The output of `ldd --version`, or undefined when it cannot run. */
  lddVersion: () => string | undefined;
}

/**
 * Whether this Linux runs on musl rather than glibc, decided the way napi-rs's loaders decide:
 * the `ldd` script names its libc (cheap, no process); else the process report (glibc's version
 * when glibc runs us, else a musl loader among the shared objects); else `ldd --version`'s output.
 */
export function isMuslFrom(evidence: LibcEvidence): boolean {
  const script = evidence.lddScript();
  if (script !== undefined) return script.includes('musl');
  const report = evidence.report();
  if (report !== undefined) {
    if (report.header?.glibcVersionRuntime) return false;
    if (Array.isArray(report.sharedObjects)) return report.sharedObjects.some(isMuslFile);
  }
  return evidence.lddVersion()?.includes('musl') ?? false;
}

const thisMachine: LibcEvidence = {
  lddScript: () => {
    try {
      return readFileSync('/usr/bin/ldd', 'utf8');
    } catch {
      return undefined; // No ldd script (distroless images): ask the process report.
    }
  },
  report: () => {
    if (typeof process.report?.getReport !== 'function') return undefined;
    // The network part of the report can take seconds where DNS is slow; it says nothing about libc.
    (process.report as { excludeNetwork?: boolean }).excludeNetwork = true;
    return process.report.getReport() as { header?: { glibcVersionRuntime?: string }; sharedObjects?: string[] };
  },
  lddVersion: () => {
    try {
      // musl's ldd prints its version to stderr and exits 1: read both streams either way.
      const r = spawnSync('ldd', ['--version'], { encoding: 'utf8' });
      return r.error ? undefined : `${r.stdout}${r.stderr}`;
    } catch {
      return undefined;
    }
  },
};

export function isMusl(): boolean {
  return isMuslFrom(thisMachine);
}

/** The platform part of binary and package names, as napi-rs spells it (e.g. `linux-x64-gnu`). */
export function platformTriple(): string {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const require = createRequire(import.meta.url);
let loaded: NativeAddon | undefined;
let loadedFrom: string | undefined;

/** Whether a require failed because the module itself is absent (not because it failed to load). */
function isNotInstalled(e: unknown, id: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'MODULE_NOT_FOUND' && err.message.includes(id);
}

/** The addon, loaded once. Throws a message naming the platform when no binary fits. */
export function loadNative(): NativeAddon {
  if (loaded) return loaded;
  const triple = platformTriple();
  const tried: string[] = [];
  // The prebuilt package first: it is what `npm install promethium` brings.
  const pkg = `@promethium/native-${triple}`;
  try {
    loaded = require(pkg) as NativeAddon;
    loadedFrom = pkg;
    return loaded;
  } catch (e) {
    if (!isNotInstalled(e, pkg)) tried.push(`package ${pkg} (${(e as Error).message.split('\n')[0]})`);
    else tried.push(`package ${pkg} (not installed)`);
  }
  // Then a local build (`npm run build:native` in a checkout): src/storage or dist/storage -> root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const local = join(root, 'native', `promethium.${triple}.node`);
  if (existsSync(local)) {
    loaded = require(local) as NativeAddon;
    loadedFrom = local;
    return loaded;
  }
  tried.push(`${local} (not built)`);
  throw new Error(
    `Promethium's native TSDB addon is not available for this platform (${triple}). Tried: ${tried.join('; ')}. ` +
      'Build it with `npm run build:native` (needs Rust and cargo), or install the matching prebuilt package.',
  );
}

/** The addon's version and where it was loaded from (the platform package's name, or the local file). */
export function nativeInfo(): { version: string; from: string } {
  const addon = loadNative();
  return { version: addon.nativeVersion, from: loadedFrom ?? 'unknown' };
}
