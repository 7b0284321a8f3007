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

/** Raw histogram samples: series i at offsets[i]..offsets[i+1] of t and of the buffer's histograms. */
export interface NativeHistogramSamples {
  offsets: Uint32Array;
  t: Float64Array;
  /** The samples' start timestamps (ms, 0 = none). */
  starts: Float64Array;
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
  /** The label sets, each distinct string once (decodeInternedLabelSets in label-codec.ts); in `into`'s memory (a view of it) when it fits. */
  labels(into?: Uint8Array): Uint8Array;
  /** Lets go of the selection's native memory; any later call throws. */
  release(): void;
  /** keepStaleMarkers: stale markers stay in (remote read sends them). */
  samples(keepStaleMarkers?: boolean): NativeSamples;
  instant(start: number, end: number, step: number, lookback: number, modifier?: 'smoothed'): Required<NativeMatrix>;
  instantWithStartTimestamps(start: number, end: number, step: number, lookback: number): Required<NativeMatrix> & { starts: Float64Array };
  evalRange(fn: string, params: number[], start: number, end: number, step: number, range: number, modifier?: 'anchored' | 'smoothed', lookback?: number): NativeMatrix;
  evalRangeWithStartTimestamps(fn: string, params: number[], start: number, end: number, step: number, range: number): NativeMatrix & { overlaps: Uint32Array };
  /** Null when no series has a histogram sample (most selections). */
  histogramSamples(): NativeHistogramSamples | null;
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

/** One remote-write request's outcome (see crates/tsdb/src/remote_decode/ingest.rs). */
export interface NativeRemoteWriteOutcome {
  series: number;
  samplesWritten: number;
  exemplarsWritten: number;
  /** Native-histogram samples written (integer, float and custom-bucket ones). */
  histogramsWritten: number;
  outOfOrder: number;
  duplicate: number;
  tooOld: number;
  outOfBounds: number;
  exemplarsRefused: number;
  /** The first refused sample: reason, series and timestamp. */
  firstOffender: string | null;
  /** Metric metadata the request carried (type: the protobuf enum's number). */
  metadata: { family: string; type: number; help: string; unit: string }[];
}

/** One query's answer from a remote-read server: label sets (one buffer) and samples (CSR). */
export interface NativeReadResult {
  labelSets: Uint8Array;
  offsets: Uint32Array;
  t: Float64Array;
  v: Float64Array;
}

/** A decoded remote-read `ReadRequest`. */
export interface NativeReadRequest {
  queries: {
    startMs: number;
    endMs: number;
    matchers: { type: '=' | '!=' | '=~' | '!~'; name: string; value: string }[];
    hints: { stepMs: number; func: string; startMs: number; endMs: number; grouping: string[]; by: boolean; rangeMs: number } | null;
  }[];
  /** 0 = SAMPLES, 1 = STREAMED_XOR_CHUNKS, in the client's order of preference. */
  acceptedResponseTypes: Float64Array;
}

/** What one agent WAL truncation did (crates/tsdb/src/db/agent.rs). */
export interface AgentTruncation {
  /** Series garbage-collected: no sample at or after the truncation time. */
  seriesRemoved: number;
  /** Removed series whose record stays in checkpoints while segments that may hold their samples remain. */
  seriesPendingDeletion: number;
  /** The last segment the new checkpoint covers; null: none written (e.g. all closed segments are at or above the remote-write floor). */
  checkpointThrough: number | null;
}

export interface NativeDb {
  /**
   * Decompresses (refusing a declared size above the limit first), decodes, validates and appends
   * one snappy-compressed remote-write body on a worker thread. Rejects with code
   * ERR_REMOTE_BAD_DATA (bad data, nothing appended) or ERR_REMOTE_TOO_LARGE.
   */
  remoteWrite(body: Uint8Array, version: 1 | 2, maxDecompressedBytes: number): Promise<NativeRemoteWriteOutcome>;
  seriesRefs(labelSets: Uint8Array): Uint32Array;
  /** seriesRefs on the thread pool (it waits for the head's write lock and logs new series). */
  seriesRefsAsync(labelSets: Uint8Array): Promise<Uint32Array>;
  append(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, startTimestamps?: Float64Array): NativeAppendResult;
  /** append on the thread pool (it waits for the head's write lock and the WAL). */
  appendAsync(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, startTimestamps?: Float64Array): Promise<NativeAppendResult>;
  select(matchers: NativeMatcher[], mint: number, maxt: number): NativeSelection;
  labelNames(matchers: NativeMatcher[], mint: number, maxt: number): string[];
  labelValues(name: string, matchers: NativeMatcher[], mint: number, maxt: number): string[];
  compact(): Promise<void>;
  deleteSeries(matchers: NativeMatcher[], mint: number, maxt: number): void;
  cleanTombstones(): Promise<void>;
  snapshot(dir: string, withHead: boolean): Promise<void>;
  stats(limit?: number): NativeStats;
  /** stats(limit) read on the thread pool: the event loop does not wait for the storage's lock. */
  statsAsync(limit: number): Promise<NativeStats>;
  replayInfo(): NativeReplayInfo;
  /** Where the data starts (ms): the oldest block's start or the head's oldest sample, null when empty; cheap, unlike stats(). */
  startTime(): number | null;
  close(): void;
  appendExemplars(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, labelSets: Uint8Array): NativeExemplarAppendResult;
  selectExemplars(matcherSets: NativeMatcher[][], mint: number, maxt: number): NativeExemplars;
  setMaxExemplars(n: number): void;
  setRetention(retentionMs: number, retentionBytes: number): void;
  setXor2Chunks(on: boolean): void;
  exemplarStats(): NativeExemplarStats;
  /** exemplarStats on the thread pool (it waits for the head's state lock, which a head cut holds). */
  exemplarStatsAsync(): Promise<NativeExemplarStats>;
  /** WAL segments from this one on survive head truncation (remote-write queues still read them); null: no floor. */
  setWalRetentionFloor(segment: number | null): void;
  /** Agent mode's WAL truncation at `mint` (ms), on a worker thread. */
  truncateAgentWal(mint: number): Promise<AgentTruncation>;
  /** Histograms encoded by storage/histogram-codec.ts, one per ref. */
  appendHistograms(refs: Uint32Array, timestamps: Float64Array, histograms: Uint8Array, startTimestamps?: Float64Array): NativeAppendResult;
  /** What `new NativeDb(id)` attaches with from another thread of this process. */
  id(): number;
  /**
   * Test hook: a helper thread takes the write lock that appends and queries wait for (settles once
   * it holds it) and keeps it until releaseWritesForTest() or `maxMs` has passed.
   */
  holdWritesForTest(maxMs: number): Promise<void>;
  releaseWritesForTest(): void;
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
  /** On the thread pool: null when every line was handled; else the residue (handled lines blanked) for the full parser. The body is read in place (not copied): not to be written until the promise settles. */
  scan(body: Uint8Array, scrapeTs: number, honorTimestamps: boolean, trackTimestampsStaleness: boolean): Promise<string | null>;
  /**
   * On the thread pool (the append included). `adoptPrevious`: series another cache's earlier
   * scrapes had, which go stale unless this scrape has them.
   */
  finish(db: NativeDb, series: Uint8Array, refs: Uint32Array, timestamps: Float64Array, values: Float64Array, scrapeTs: number, sampleLimit: number, adoptPrevious?: Uint32Array, untracked?: Uint32Array): Promise<NativeScrapeFinish | { sampleLimitExceeded: true }>;
  /** On the thread pool: the target's report series (`up`, ...) appended. */
  appendReport(db: NativeDb, refs: Uint32Array, timestamps: Float64Array, values: Float64Array): Promise<NativeAppendResult>;
  /** On the thread pool: stale markers for the previous scrape's series; `except`: series another cache's scrape appended at `ts`. */
  fail(db: NativeDb, ts: number, except?: Uint32Array): Promise<number>;
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
  /**
   * A dense range-query result as the API's JSON: `prefix`, the rows in `order` (rows without a
   * present value left out), `suffix`. `metrics` holds each row's metric object as JSON, joined by
   * newlines; values and present are rows x steps, row-major. Written into `into` (a view of its
   * first bytes is returned) when it is large enough, else into a new buffer with room to spare.
   */
  encodeMatrixJson(prefix: string, metrics: string, values: Float64Array, present: Uint8Array, order: Uint32Array, steps: number, startMs: number, stepMs: number, suffix: string, into?: Uint8Array): Uint8Array;
  /** Range functions over CSR samples; with a modifier, as NativeSelection.evalRange takes it. */
  evalRangeSamples(fn: string, params: number[], offsets: Uint32Array, t: Float64Array, v: Float64Array, start: number, end: number, step: number, range: number, modifier?: 'anchored' | 'smoothed', lookback?: number): NativeMatrix;
  /** A smoothed instant selector over CSR samples. */
  instantSmoothedSamples(offsets: Uint32Array, t: Float64Array, v: Float64Array, start: number, end: number, step: number, lookback: number): Required<NativeMatrix>;
  nativeVersion: string;
  /** How often native code that freed much memory asked for its pages to be returned (crates/tsdb-node/src/memory.rs). */
  memoryTrimRequests(): number;
  /**
   * glibc's malloc_trim on a worker thread: [heap bytes before, free heap bytes before, heap bytes
   * after, free heap bytes after, microseconds the trim took] (zeros off glibc).
   */
  releaseFreeMemory(): Promise<Float64Array>;
  /** The calling thread's own CPU time (ms); NaN where the platform has no per-thread clock. */
  threadCpuMs(): number;
  /** A snappy-compressed ReadRequest, decoded (throws ERR_REMOTE_BAD_DATA or ERR_REMOTE_TOO_LARGE). */
  remoteReadDecode(body: Uint8Array, maxDecompressedBytes: number): NativeReadRequest;
  /** A snappy-compressed ReadResponse (the client's side), decoded on a worker thread: one CSR result per query. */
  remoteReadDecodeResponse(body: Uint8Array, maxDecompressedBytes: number): Promise<NativeReadResult[]>;
  /**
   * A STREAMED_XOR_CHUNKS body (all its frames), decoded on a worker thread: one CSR result per
   * query; `ranges` holds each query's start and end (ms). Rejects with ERR_REMOTE_BAD_DATA.
   */
  remoteReadDecodeChunked(body: Uint8Array, ranges: Float64Array, maxSamples: number): Promise<NativeReadResult[]>;
  /** One `QueryResult` message of these series (label-set buffer) and samples (CSR). */
  remoteReadEncodeSamples(labelSets: Uint8Array, offsets: Uint32Array, t: Float64Array, v: Float64Array): Uint8Array;
  /** One query's `ChunkedReadResponse` frames (XOR chunks, at most maxFrameBytes per frame where possible). */
  remoteReadEncodeChunks(labelSets: Uint8Array, offsets: Uint32Array, t: Float64Array, v: Float64Array, queryIndex: number, maxFrameBytes: number): Uint8Array;
  /** A cancel flag any thread can set; its id. */
  newCancelToken(): number;
  /** Stops the query using the token at its next check; false if there is no such token. */
  cancelQuery(token: number): boolean;
  releaseCancelToken(token: number): void;
  /** Limits the native work of this thread until endQuery (0 = no limit). */
  beginQuery(token: number, timeoutMs: number, maxSamples: number, maxBytes: number): void;
  /** Counts memory the JavaScript side is about to allocate against the query's limits (throws when past them). */
  reserveQuery(samples: number, bytes: number): void;
  endQuery(): void;
  /** Tails the WAL for one remote-write queue (src/remote/). */
  NativeWalWatcher: new (walDir: string, start: Float64Array | null, options: NativeWalWatcherOptions) => NativeWalWatcher;
  /** Snappy block compression (remote write's bodies). */
  snappyCompress(data: Uint8Array): Uint8Array;
  /** adjtimex(2), read only: see NativeHostTimex for the order (throws with code EPERM and the like). */
  hostTimex(): Float64Array;
  /** The ethtool ioctls on one interface (see NativeEthtoolAnswer). */
  hostEthtool(device: string): NativeEthtoolAnswer;
  /** The route dump over rtnetlink: one line per route or next hop, see crates/tsdb-node/src/host.rs. */
  hostRoutes(): string;
  /** TCP sockets of one family (2 or 10) over sock_diag: 256 per-state counts, then rx queued, tx queued, sockets. */
  hostTcpStates(family: number): Float64Array;
  /** The qdisc dump over rtnetlink: device and kind of each NUL-separated, nine numbers each (see crates/tsdb-node/src/host.rs). */
  hostQdiscs(): { names: string; values: Float64Array };
  /** nl80211's WiFi interfaces, or why nl80211 could not be opened (see NativeWifiInterfaces). */
  hostWifiInterfaces(): NativeWifiInterfaces;
  /** The BSS a WiFi interface (index, address or null) is in, null when none; throws with the errno name. */
  hostWifiBss(index: number, mac: Uint8Array | null): { bssid: string; ssid: string; status: number } | null;
  /** A WiFi interface's stations, null when none: addresses NUL-separated, ten numbers each (see crates/tsdb-node/src/host.rs). */
  hostWifiStations(index: number, mac: Uint8Array | null): { macs: string; values: Float64Array } | null;
  /** perf_event_open counters per CPU: cpus, (type, config) pairs, tracepoint ids. */
  NativePerfCounters: new (cpus: Int32Array, events: Float64Array, tracepoints: Float64Array) => NativePerfCounters;
}

/** One interface's ethtool answers; each part may fail on its own (errors: errno, -1 otherwise, 0 answered). */
export interface NativeEthtoolAnswer {
  /** [driver info, link settings, statistics]. */
  errors: Int32Array;
  /** The three failures' reasons, NUL-separated ('' for a part that answered). */
  messages: string;
  /** Driver, version, firmware version, bus info, expansion ROM version, NUL-separated. */
  driver: string;
  /** [supported link modes, advertised link modes, autonegotiation on]. */
  link: Float64Array;
  /** Statistic names, NUL-separated, in the order of statValues. */
  statNames: string;
  statValues: Float64Array;
}

/** nl80211's interfaces; when it cannot be opened, openError is the code (ENOENT: no WiFi driver) and the rest empty. */
export interface NativeWifiInterfaces {
  openError: string;
  openMessage: string;
  /** Interface names, NUL-separated ('' for one without a network device). */
  names: string;
  /** Per interface: index, nl80211 type, frequency in MHz, address length (-1: none). */
  values: Float64Array;
  /** The addresses one after another. */
  macs: Uint8Array;
}

export interface NativePerfCounters {
  /** errno per (cpu, event) that could not be opened, 0 for the open ones. */
  openErrors(): Int32Array;
  /** cpus x events counts (NaN where not open), then cpus x tracepoints; throws when a read fails. */
  read(): Float64Array;
}

export interface NativeWalWatcherOptions {
  /** 1: prometheus.WriteRequest, 2: io.prometheus.write.v2.Request. */
  protocol: 1 | 2;
  sendExemplars: boolean;
  /** send_native_histograms: histogram records are read and sent (else skipped). */
  sendHistograms?: boolean;
  maxSamples: number;
  shards: number;
  compress: boolean;
}

/** Ready batches: one payload buffer cut at `ends`; `starts` holds [segment, offset, skip] per batch. */
export interface NativeWalBatches {
  payload: Uint8Array;
  ends: Uint32Array;
  shard: Uint32Array;
  samples: Uint32Array;
  exemplars: Uint32Array;
  histograms: Uint32Array;
  maxT: Float64Array;
  starts: Float64Array;
}

export interface NativeWalWatcherStats {
  recordsSeries: number;
  recordsSamples: number;
  recordsExemplars: number;
  recordsHistograms: number;
  recordsOther: number;
  unknownRef: number;
  tooOld: number;
  histogramsUnknownRef: number;
  histogramsTooOld: number;
  skippedSamples: number;
  segmentsLost: number;
  corruptions: number;
}

export interface NativeWalWatcher {
  /** Reads the series before the start, on a worker thread; once. */
  open(): Promise<void>;
  /** New series to relabel (label sets, at most 8192), ready batches, or null when caught up; on a worker thread. */
  read(flush: boolean, minT: number): Promise<{ series: Uint8Array } | NativeWalBatches | null>;
  /** One byte per new series (1 kept), the kept ones' labels, optionally their metadata as label sets {type, help, unit}. */
  resolve(keep: Uint8Array, labels: Uint8Array, metadata?: Uint8Array): void;
  /** [segment, offset, skip] of the next record to read. */
  position(): Float64Array;
  heldStart(): Float64Array | null;
  heldSamples(): number;
  setShards(n: number): void;
  setProtocol(p: 1 | 2): void;
  skipTo(segment: number): Promise<void>;
  stats(): NativeWalWatcherStats;
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
