// The typed face of the native TSDB: open a data directory, append batches, select series and
// evaluate instant sampling and range functions over them in one native call each.
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Labels } from '../model/labels.js';
import type { FloatHistogram } from '../model/histogram.js';
import { decodeHistograms, encodeHistograms } from './histogram-codec.js';
import { decodeInternedLabelSets, decodeLabelSets, encodeLabelSets, LabelSetWriter } from './label-codec.js';
import { loadNative } from './native.js';
import type { AgentTruncation, NativeAppendResult, NativeRemoteWriteOutcome, NativeExemplarAppendResult, NativeExemplarStats, NativeDb, NativeMatrix, NativeReplayInfo, NativeSamples, NativeSelection, NativeStats } from './native.js';
import { resolveMatchers } from './matchers.js';
import { TextScrapeCache } from './text-scrape-cache.js';
import type { LabelMatcher } from './matchers.js';
import type { StorageOptions } from './options.js';

/** Label sets encoded between two turns of the event loop by seriesRefsAsync (~8 ms of work). */
const ENCODE_SLICE = 4096;

export type { StorageOptions } from './options.js';

/** An exemplar: a sample of a request that contributed to a series' value (e.g. its trace id). */
export interface StoredExemplar {
  labels: Labels;
  value: number;
  /** ms */
  t: number;
}

export interface SeriesExemplars {
  seriesLabels: Labels;
  exemplars: StoredExemplar[];
}

export type ExemplarAppendResult = NativeExemplarAppendResult;
export type ExemplarStats = NativeExemplarStats;

export type AppendResult = NativeAppendResult;
export type RemoteWriteOutcome = NativeRemoteWriteOutcome;
export type StorageStats = NativeStats;
export type ReplayInfo = NativeReplayInfo;
export type { AgentTruncation } from './native.js';

/** Histogram samples of a batch, the series given by ref or (pending) by labels. */
interface PendingHistograms {
  refs: number[];
  ts: number[];
  /** Start timestamps (0 = none); passed on only when `anyStart`. */
  sts: number[];
  anyStart: boolean;
  hs: FloatHistogram[];
}

/** The sums of several native appends' outcomes. */
function addResults(a: AppendResult, b: AppendResult): AppendResult {
  return { appended: a.appended + b.appended, outOfOrder: a.outOfOrder + b.outOfOrder, duplicate: a.duplicate + b.duplicate, tooOld: a.tooOld + b.tooOld, outOfBounds: a.outOfBounds + b.outOfBounds, unknownRef: a.unknownRef + b.unknownRef };
}

const NO_RESULT: AppendResult = { appended: 0, outOfOrder: 0, duplicate: 0, tooOld: 0, outOfBounds: 0, unknownRef: 0 };

/**
 * A batch of samples for many series, committed in one native call per kind of sample (float,
 * histogram) and per switch between them, so a series may change kind within a batch.
 */
export class Appender {
  private readonly pendingLabels: Labels[] = [];
  private readonly pendingIndex: number[] = [];
  /** Histogram samples added by labels: their positions in `hist` and their labels. */
  private readonly pendingHistLabels: Labels[] = [];
  private readonly pendingHistIndex: number[] = [];
  private hist: PendingHistograms = { refs: [], ts: [], sts: [], anyStart: false, hs: [] };
  /** (floats, histograms) added before each switch of kind, to commit in the order added. */
  private switches: [number, number][] = [];
  private lastKind: 'float' | 'histogram' | undefined;
  private firstKind: 'float' | 'histogram' = 'float';
  // Typed arrays, not JS arrays: V8 would rewrite the stale marker's NaN bits in a number[].
  private refs = new Uint32Array(64);
  private ts = new Float64Array(64);
  private vs = new Float64Array(64);
  /** Start timestamps (0 = none); allocated by the first sample that has one. */
  private sts: Float64Array | undefined;
  private n = 0;

  constructor(private readonly storage: Storage) {}

  private noteKind(kind: 'float' | 'histogram'): void {
    if (this.lastKind === undefined) this.firstKind = kind;
    else if (this.lastKind !== kind) this.switches.push([this.n, this.hist.refs.length]);
    this.lastKind = kind;
  }

  private push(ref: number, t: number, v: number, st: number): void {
    this.noteKind('float');
    if (st !== 0 && !this.sts) this.sts = new Float64Array(this.refs.length);
    if (this.n === this.refs.length) {
      const grow = <T extends Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a as never);
        return b;
      };
      this.refs = grow(this.refs, (k) => new Uint32Array(k));
      this.ts = grow(this.ts, (k) => new Float64Array(k));
      this.vs = grow(this.vs, (k) => new Float64Array(k));
      if (this.sts) this.sts = grow(this.sts, (k) => new Float64Array(k));
    }
    this.refs[this.n] = ref;
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    if (this.sts) this.sts[this.n] = st;
    this.n++;
  }

  /**
   * Adds a sample for the series with these labels (created on commit if new). `startMs` is
   * the sample's start timestamp (when its counter started counting; 0 = unknown).
   */
  add(labels: Labels, timestampMs: number, value: number, startMs = 0): this {
    this.pendingIndex.push(this.n);
    this.pendingLabels.push(labels);
    this.push(0, timestampMs, value, startMs);
    return this;
  }

  /** Adds a sample for a series ref returned by `Storage.seriesRefs` or an earlier commit. */
  addRef(ref: number, timestampMs: number, value: number, startMs = 0): this {
    this.push(ref, timestampMs, value, startMs);
    return this;
  }

  /**
   * Adds a native-histogram sample for the series with these labels (created on commit if new);
   * `startMs` as for `add`.
   */
  addHistogram(labels: Labels, timestampMs: number, h: FloatHistogram, startMs = 0): this {
    this.pendingHistIndex.push(this.hist.refs.length);
    this.pendingHistLabels.push(labels);
    return this.addHistogramRef(0, timestampMs, h, startMs);
  }

  /** Adds a native-histogram sample for a series ref. */
  addHistogramRef(ref: number, timestampMs: number, h: FloatHistogram, startMs = 0): this {
    this.noteKind('histogram');
    this.hist.refs.push(ref);
    this.hist.ts.push(timestampMs);
    this.hist.sts.push(startMs);
    if (startMs !== 0) this.hist.anyStart = true;
    this.hist.hs.push(h);
    return this;
  }

  /** Samples of both kinds in the batch. */
  get size(): number {
    return this.n + this.hist.refs.length;
  }

  /** Writes the batch to the WAL and the head; durable against a crash when it returns. */
  commit(): AppendResult {
    const labels = [...this.pendingLabels, ...this.pendingHistLabels];
    if (labels.length > 0) {
      const created = this.storage.seriesRefs(labels);
      this.pendingIndex.forEach((at, i) => {
        this.refs[at] = created[i] ?? 0;
      });
      this.pendingHistIndex.forEach((at, i) => {
        this.hist.refs[at] = created[this.pendingLabels.length + i] ?? 0;
      });
    }
    const hist = this.hist;
    let result = NO_RESULT;
    let [f0, h0] = [0, 0];
    // Runs of one kind, in the order added: a float after a histogram of the same series must
    // not reach the head before it.
    let kind = this.firstKind;
    for (const [f1, h1] of [...this.switches, [this.n, hist.refs.length] as [number, number]]) {
      if (kind === 'float' && f1 > f0) {
        result = addResults(result, this.storage.append(this.refs.subarray(f0, f1), this.ts.subarray(f0, f1), this.vs.subarray(f0, f1), this.sts?.subarray(f0, f1)));
      } else if (kind === 'histogram' && h1 > h0) {
        const starts = hist.anyStart ? Float64Array.from(hist.sts.slice(h0, h1)) : undefined;
        result = addResults(result, this.storage.appendHistograms(Uint32Array.from(hist.refs.slice(h0, h1)), Float64Array.from(hist.ts.slice(h0, h1)), hist.hs.slice(h0, h1), starts));
      }
      [f0, h0] = [f1, h1];
      kind = kind === 'float' ? 'histogram' : 'float';
    }
    this.pendingLabels.length = 0;
    this.pendingIndex.length = 0;
    this.pendingHistLabels.length = 0;
    this.pendingHistIndex.length = 0;
    this.hist = { refs: [], ts: [], sts: [], anyStart: false, hs: [] };
    this.switches = [];
    this.lastKind = undefined;
    this.n = 0;
    this.sts = undefined;
    return result;
  }
}

/** Evaluation steps: start, start+step, ... <= end (ms). */
export interface Steps {
  start: number;
  end: number;
  step: number;
}

/**
 * This thread's buffer for label sets coming from the native selection (see Selection.labels):
 * a fresh buffer per query would cost a page fault per 4 KiB of it.
 */
let labelScratch: Uint8Array | undefined;
/** A larger buffer is not kept (the next selection gets a fresh one). */
const KEEP_LABEL_SCRATCH_BYTES = 16 << 20;

/** Series that matched a selection, sorted by labels, and the bulk reads over them. */
export class Selection {
  private decoded: Labels[] | undefined;

  constructor(private readonly native: NativeSelection | undefined) {}

  get length(): number {
    return this.native ? this.native.length() : 0;
  }

  /** Label sets of the series, in selection order. */
  get labels(): Labels[] {
    if (this.decoded) return this.decoded;
    if (!this.native) return (this.decoded = []);
    const bytes = this.native.labels(labelScratch);
    this.decoded = decodeInternedLabelSets(bytes);
    // Decoded means copied into strings: the buffer's memory serves the next selection.
    const memory = new Uint8Array(bytes.buffer);
    if (memory.length <= KEEP_LABEL_SCRATCH_BYTES && memory.length > (labelScratch?.length ?? 0)) labelScratch = memory;
    return this.decoded;
  }

  /**
   * Lets go of the native selection's memory now rather than when the garbage collector finds
   * this object (the engine does at the end of each query): the next query's selection then
   * reuses that memory instead of faulting in fresh pages. Reading the selection afterwards
   * throws; the label sets already decoded stay readable.
   */
  release(): void {
    this.native?.release();
  }

  /**
   * `rate`, `increase`, `irate` or `resets` reading the samples' start timestamps
   * (`use-start-timestamps`); `overlaps` lists the series whose samples claimed overlapping intervals.
   */
  evalRangeWithStartTimestamps(fn: string, params: number[], steps: Steps, rangeMs: number): NativeMatrix & { overlaps: Uint32Array } {
    if (!this.native) return { values: new Float64Array(), present: new Uint8Array(), overlaps: new Uint32Array() };
    return this.native.evalRangeWithStartTimestamps(fn, params, steps.start, steps.end, steps.step, rangeMs);
  }

  /**
   * Raw samples in the selected range, stale markers left out unless `keepStaleMarkers` (remote
   * read sends them, and a merge with remote series needs them); series i at offsets[i]..offsets[i+1].
   */
  samples(keepStaleMarkers = false): NativeSamples {
    return this.native ? this.native.samples(keepStaleMarkers) : { offsets: new Uint32Array([0]), t: new Float64Array(), v: new Float64Array() };
  }

  /**
   * Raw histogram samples in the selected range (stale markers left out); series i at
   * offsets[i]..offsets[i+1] of `t` and `h`. A series' float samples are in `samples()`.
   */
  histogramSamples(): { offsets: Uint32Array; t: Float64Array; starts: Float64Array; h: FloatHistogram[] } {
    // No native selection (e.g. samples materialized from a remote read), or no histogram sample
    // in any series (the addon answers null): an empty range per series.
    const got = this.native ? this.native.histogramSamples() : null;
    if (got === null) return { offsets: new Uint32Array(this.length + 1), t: new Float64Array(), starts: new Float64Array(), h: [] };
    return { offsets: got.offsets, t: got.t, starts: got.starts, h: decodeHistograms(got.histograms) };
  }

  /**
   * The histogram each series takes at each step: `index[series * steps + step]` into `h` when
   * the newest sample in the lookback window is a histogram, else -1 (then `instant()` may
   * report a float there). `timestamps` are the samples' own times.
   */
  /**
   * Only `instantHistograms`' index: per series x step, whether a histogram is current there (>= 0)
   * or none is (-1, e.g. after a stale marker). The histograms themselves are not decoded.
   */
  currentHistogramSteps(steps: Steps, lookbackMs: number): Int32Array {
    if (!this.native) return new Int32Array();
    return this.native.instantHistograms(steps.start, steps.end, steps.step, lookbackMs).index;
  }

  instantHistograms(steps: Steps, lookbackMs: number): { index: Int32Array; timestamps: Float64Array; h: FloatHistogram[] } {
    if (!this.native) return { index: new Int32Array(), timestamps: new Float64Array(), h: [] };
    const got = this.native.instantHistograms(steps.start, steps.end, steps.step, lookbackMs);
    return { index: got.index, timestamps: got.timestamps, h: decodeHistograms(got.histograms) };
  }

  /**
   * Instant-vector sampling of float samples at every step, as a dense series x steps matrix;
   * a step whose newest sample is a histogram is not present (see `instantHistograms`).
   */
  instant(steps: Steps, lookbackMs: number, modifier?: 'smoothed'): Required<NativeMatrix> {
    if (!this.native) return { values: new Float64Array(), present: new Uint8Array(), timestamps: new Float64Array() };
    return modifier ? this.native.instant(steps.start, steps.end, steps.step, lookbackMs, modifier) : this.native.instant(steps.start, steps.end, steps.step, lookbackMs);
  }

  /** `instant`, plus the start timestamp (ms, 0 = none) of the sample each step took. */
  instantWithStartTimestamps(steps: Steps, lookbackMs: number): Required<NativeMatrix> & { starts: Float64Array } {
    if (!this.native) return { values: new Float64Array(), present: new Uint8Array(), timestamps: new Float64Array(), starts: new Float64Array() };
    return this.native.instantWithStartTimestamps(steps.start, steps.end, steps.step, lookbackMs);
  }

  /**
   * A range-vector function (`rate`, `quantile_over_time`, ...) at every step, one row per series.
   * `absent_over_time` is the exception: one row, present (1) where no series has samples.
   */
  evalRange(fn: string, params: number[], steps: Steps, rangeMs: number, extended?: { modifier: 'anchored' | 'smoothed'; lookbackMs: number }): NativeMatrix {
    if (!this.native) return { values: new Float64Array(), present: new Uint8Array() };
    if (extended) return this.native.evalRange(fn, params, steps.start, steps.end, steps.step, rangeMs, extended.modifier, extended.lookbackMs);
    return this.native.evalRange(fn, params, steps.start, steps.end, steps.step, rangeMs);
  }
}

/** Range functions over samples already in memory (e.g. a subquery's result), in CSR form; `extended` as Selection.evalRange takes it. */
export function evalRangeSamples(fn: string, params: number[], samples: NativeSamples, steps: Steps, rangeMs: number, extended?: { modifier: 'anchored' | 'smoothed'; lookbackMs: number }): NativeMatrix {
  const n = loadNative();
  if (extended) return n.evalRangeSamples(fn, params, samples.offsets, samples.t, samples.v, steps.start, steps.end, steps.step, rangeMs, extended.modifier, extended.lookbackMs);
  return n.evalRangeSamples(fn, params, samples.offsets, samples.t, samples.v, steps.start, steps.end, steps.step, rangeMs);
}

/** A `smoothed` instant selector over samples in memory, in CSR form. */
export function instantSmoothedSamples(samples: NativeSamples, steps: Steps, lookbackMs: number): Required<NativeMatrix> {
  return loadNative().instantSmoothedSamples(samples.offsets, samples.t, samples.v, steps.start, steps.end, steps.step, lookbackMs);
}

export class Storage {
  private constructor(
    readonly dir: string,
    private readonly db: NativeDb,
  ) {}

  /** Opens (or creates) a data directory; replays its WAL. Throws if another process holds it. */
  static open(dir: string, options: StorageOptions = {}): Storage {
    const { NativeDb } = loadNative();
    return new Storage(dir, new NativeDb(dir, options));
  }

  /**
   * The database another thread of this process opened (its `id`), e.g. from a query worker;
   * closing this handle leaves the database open.
   */
  static attach(id: number, dir = ''): Storage {
    const { NativeDb } = loadNative();
    return new Storage(dir, new NativeDb(id));
  }

  /** What `Storage.attach` takes on another thread. */
  get id(): number {
    return this.db.id();
  }

  /** Refs of the series with these label sets, created when new. */
  seriesRefs(labelSets: readonly Labels[]): Uint32Array {
    return this.db.seriesRefs(encodeLabelSets(labelSets));
  }

  /**
   * `seriesRefs` off the event loop: the sets are encoded a slice at a time with a turn of the
   * event loop between slices (100k sets take ~0.2 s), and the series are created on the thread
   * pool, where the wait for the head's lock and the WAL happens.
   */
  async seriesRefsAsync(labelSets: readonly Labels[]): Promise<Uint32Array> {
    const writer = new LabelSetWriter(labelSets.length);
    for (let i = 0; i < labelSets.length; i++) {
      if (i > 0 && i % ENCODE_SLICE === 0) await nextTurn();
      writer.add(labelSets[i]!);
    }
    return this.db.seriesRefsAsync(writer.finish());
  }

  /**
   * Appends one batch; refused samples are counted by reason, the rest is kept.
   * `startTimestamps` (ms, 0 = none) are stored with the samples (XOR2 chunks, SamplesV2 WAL records).
   */
  append(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, startTimestamps?: Float64Array): AppendResult {
    return startTimestamps ? this.db.append(refs, timestamps, values, startTimestamps) : this.db.append(refs, timestamps, values);
  }

  /** append on the thread pool: the event loop does not wait for the head's lock or the WAL. */
  appendAsync(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, startTimestamps?: Float64Array): Promise<AppendResult> {
    return startTimestamps ? this.db.appendAsync(refs, timestamps, values, startTimestamps) : this.db.appendAsync(refs, timestamps, values);
  }

  /**
   * Appends one snappy-compressed remote-write body (1.0 `WriteRequest` or 2.0 `Request`) in one
   * native call off the main thread. Rejects with code ERR_REMOTE_BAD_DATA (nothing appended) or
   * ERR_REMOTE_TOO_LARGE (the declared decompressed size is above the limit).
   */
  remoteWrite(body: Uint8Array, version: 1 | 2, maxDecompressedBytes: number): Promise<RemoteWriteOutcome> {
    return this.db.remoteWrite(body, version, maxDecompressedBytes);
  }

  /**
   * Appends native-histogram samples, one per ref, as `append` does floats. Integer histograms
   * (`isInteger`) go into integer chunks, others into float-histogram chunks. `startTimestamps`
   * (ms, 0 = none) are stored with the samples (histogram chunks with start timestamps, V2
   * histogram WAL records). An invalid histogram refuses the whole batch with an error naming it.
   */
  appendHistograms(refs: Uint32Array, timestamps: Float64Array, histograms: readonly FloatHistogram[], startTimestamps?: Float64Array): AppendResult {
    if (histograms.length !== refs.length || timestamps.length !== refs.length || (startTimestamps && startTimestamps.length !== refs.length)) {
      throw new RangeError(`refs, timestamps, histograms and start timestamps differ in length (${refs.length}, ${timestamps.length}, ${histograms.length}, ${startTimestamps?.length ?? refs.length})`);
    }
    const encoded = encodeHistograms(histograms);
    return startTimestamps ? this.db.appendHistograms(refs, timestamps, encoded, startTimestamps) : this.db.appendHistograms(refs, timestamps, encoded);
  }

  /** Stores exemplars of existing series (logged in the WAL); refused ones are counted by reason. */
  appendExemplars(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, labels: readonly Labels[]): ExemplarAppendResult {
    return this.db.appendExemplars(refs, timestamps, values, encodeLabelSets(labels));
  }

  /** Exemplars in [mint, maxt] of the series matching any of the matcher sets, sorted by series. */
  selectExemplars(matcherSets: readonly (readonly LabelMatcher[])[], mint: number, maxt: number): SeriesExemplars[] {
    const found = this.db.selectExemplars(matcherSets.map((ms) => this.resolve(ms, mint, maxt)), mint, maxt);
    const series = decodeLabelSets(found.series);
    const labels = decodeLabelSets(found.labels);
    return series.map((seriesLabels, i) => {
      const exemplars: StoredExemplar[] = [];
      for (let k = found.offsets[i]!; k < found.offsets[i + 1]!; k++) exemplars.push({ labels: labels[k]!, value: found.v[k]!, t: found.t[k]! });
      return { seriesLabels, exemplars };
    });
  }

  /** How many exemplars are kept (`storage.exemplars.max_exemplars`); 0 drops them all. */
  setMaxExemplars(n: number): void {
    this.db.setMaxExemplars(n);
  }

  /** Changes the retention (0 = no limit of that kind); blocks beyond it go at the next compaction. */
  setRetention(retentionMs: number, retentionBytes: number): void {
    this.db.setRetention(retentionMs, retentionBytes);
  }

  /** Whether new float chunks are XOR2; chunks being written keep their encoding until cut. */
  setXor2Chunks(on: boolean): void {
    this.db.setXor2Chunks(on);
  }

  /** Keeps WAL segments from `segment` on at head truncation (remote-write backlog); null lifts it. */
  setWalRetentionFloor(segment: number | null): void {
    this.db.setWalRetentionFloor(segment);
  }

  /**
   * Agent mode (opened with `agent: true`) only: drops the series with no sample at or after
   * `mintMs` and checkpoints the closed WAL segments below the retention floor, keeping samples at
   * or after `mintMs` (on a worker thread).
   */
  truncateAgentWal(mintMs: number): Promise<AgentTruncation> {
    return this.db.truncateAgentWal(mintMs);
  }

  /** The WAL directory remote-write queues tail. */
  get walDir(): string {
    return join(this.dir, 'wal');
  }

  exemplarStats(): ExemplarStats {
    return this.db.exemplarStats();
  }

  /** exemplarStats off the event loop: it waits for the head's lock, which a head cut holds for a while. */
  exemplarStatsAsync(): Promise<ExemplarStats> {
    return this.db.exemplarStatsAsync();
  }

  /** A scrape cache for one target whose text-format scrapes are read and appended natively. */
  textScrapeCache(): TextScrapeCache {
    return new TextScrapeCache(this.db);
  }

  appender(): Appender {
    return new Appender(this);
  }

  private resolve(matchers: readonly LabelMatcher[], mint: number, maxt: number) {
    return resolveMatchers(matchers, (name) => this.db.labelValues(name, [], mint, maxt));
  }

  /** Series matching all matchers with samples in [mint, maxt]. */
  select(matchers: readonly LabelMatcher[], mint: number, maxt: number): Selection {
    if (matchers.length === 0) throw new Error('a selection needs at least one matcher');
    const native = this.resolve(matchers, mint, maxt);
    return new Selection(this.db.select(native, mint, maxt));
  }

  labelNames(matchers: readonly LabelMatcher[], mint: number, maxt: number): string[] {
    return this.db.labelNames(this.resolve(matchers, mint, maxt), mint, maxt);
  }

  labelValues(name: string, matchers: readonly LabelMatcher[], mint: number, maxt: number): string[] {
    return this.db.labelValues(name, this.resolve(matchers, mint, maxt), mint, maxt);
  }

  /** Cuts the head into blocks, merges blocks, applies retention (on a worker thread). */
  compact(): Promise<void> {
    return this.db.compact();
  }

  deleteSeries(matchers: readonly LabelMatcher[], mint: number, maxt: number): void {
    this.db.deleteSeries(this.resolve(matchers, mint, maxt), mint, maxt);
  }

  cleanTombstones(): Promise<void> {
    return this.db.cleanTombstones();
  }

  snapshot(dir: string, withHead: boolean): Promise<void> {
    return this.db.snapshot(dir, withHead);
  }

  stats(limit = 10): StorageStats {
    return this.db.stats(limit);
  }

  /** stats(limit), read off the event loop (the head's totals walk every series under its lock). */
  statsAsync(limit = 10): Promise<StorageStats> {
    return this.db.statsAsync(limit);
  }

  /**
   * Where the data starts (ms): the oldest block's start or the head's oldest sample, null when
   * empty (Prometheus's DB.StartTime):
   * a remote_read endpoint without read_recent is only asked for ranges starting before it.
   */
  startTime(): number | null {
    return this.db.startTime();
  }

  /** What the WAL replay at open found (a repaired corruption is reported here). */
  replayInfo(): ReplayInfo {
    return this.db.replayInfo();
  }

  /** Flushes the WAL and releases the directory. */
  close(): void {
    this.db.close();
  }
}
