// Remote series merged into queries. The engine reads storage synchronously through
// `Queryable.select`, and remote reads are HTTP round trips, so a query with remote_read runs in
// two passes: a dry run against empty selections records every selection the query makes (they
// depend on the expression and the times only, never on data), the remotes are asked for those
// in one request each, and the real run reads a `Queryable` that merges the local selection with
// the remote series. Series with identical label sets are merged, samples deduplicated by
// timestamp (the local sample wins). Merged selections keep their samples in typed arrays and
// evaluate range functions with the native kernels (`evalRangeSamples`).
import type { Labels } from '../../model/labels.js';
import { sortedPairs } from '../../model/labels.js';
import type { LabelMatcher } from '../../storage/matchers.js';
import type { NativeMatrix, NativeSamples } from '../../storage/native.js';
import { evalRangeSamples, instantSmoothedSamples, Selection, type Steps } from '../../storage/storage.js';
import type { Queryable } from '../../promql/context.js';
import { reserveQuery } from '../../storage/query-limits.js';
import { compareLabelPairs } from './server.js';
import type { ReadOptions, RemoteReadClient, SelectRequest, SeriesData } from './client.js';

/** The key of one selection (what the engine asks the storage for). */
export function requestKey(matchers: readonly LabelMatcher[], mint: number, maxt: number): string {
  return JSON.stringify([matchers.map((m) => [m.type, m.name, m.value]), mint, maxt]);
}

/** Records the selections of a dry run; every selection it returns is empty. */
export class SelectRecorder implements Queryable {
  readonly requests = new Map<string, SelectRequest>();
  select(matchers: readonly LabelMatcher[], mint: number, maxt: number): Selection {
    this.requests.set(requestKey(matchers, mint, maxt), { matchers, mint, maxt });
    return new Selection(undefined);
  }
}

/** The selections a query makes: `run` evaluates it over the recorder (its errors are left to the real run, which reports them). */
export function recordSelections(run: (recorder: SelectRecorder) => unknown): SelectRequest[] {
  const recorder = new SelectRecorder();
  try {
    run(recorder);
  } catch {
    // The real run reports the query's errors.
  }
  return [...recorder.requests.values()];
}

function stepCount(s: Steps): number {
  return Math.floor((s.end - s.start) / s.step) + 1;
}

/** Whether value k of a Float64Array (seen as its 32-bit words, little-endian) is Prometheus's stale marker. */
function isStaleMarker(words: Uint32Array, k: number): boolean {
  return words[2 * k] === 0x00000002 && words[2 * k + 1] === 0x7ff00000;
}

function wordsOf(v: Float64Array): Uint32Array {
  return new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
}

/** The samples without stale markers (what range functions and raw range vectors see). */
export function withoutStaleMarkers(data: NativeSamples): NativeSamples {
  const words = wordsOf(data.v);
  let stale = 0;
  for (let k = 0; k < data.v.length; k++) if (isStaleMarker(words, k)) stale++;
  if (stale === 0) return data;
  const offsets = new Uint32Array(data.offsets.length);
  const t = new Float64Array(data.t.length - stale);
  const v = new Float64Array(data.v.length - stale);
  let at = 0;
  for (let i = 0; i + 1 < data.offsets.length; i++) {
    for (let k = data.offsets[i]!; k < data.offsets[i + 1]!; k++) {
      if (isStaleMarker(words, k)) continue;
      t[at] = data.t[k]!;
      v[at] = data.v[k]!;
      at++;
    }
    offsets[i + 1] = at;
  }
  return { offsets, t, v };
}

/**
 * A selection whose series and samples are in memory (local and remote merged). The samples keep
 * their stale markers: at an instant, a series whose newest sample in the lookback window is a
 * stale marker has no value, as in Prometheus; range functions and raw samples never see them.
 */
export class MaterializedSelection extends Selection {
  private clean: NativeSamples | undefined;

  constructor(
    private readonly series: Labels[],
    private readonly data: NativeSamples,
  ) {
    super(undefined);
  }

  private fresh(): NativeSamples {
    return (this.clean ??= withoutStaleMarkers(this.data));
  }

  override get length(): number {
    return this.series.length;
  }

  override get labels(): Labels[] {
    return this.series;
  }

  override samples(keepStaleMarkers = false): NativeSamples {
    return keepStaleMarkers ? this.data : this.fresh();
  }

  /** The latest sample in (t - lookback, t] at every step. */
  override instant(steps: Steps, lookbackMs: number, modifier?: 'smoothed'): Required<NativeMatrix> {
    if (modifier === 'smoothed') return instantSmoothedSamples(this.data, steps, lookbackMs);
    const n = stepCount(steps);
    const size = this.series.length * n;
    const out = { values: new Float64Array(size), present: new Uint8Array(size), timestamps: new Float64Array(size) };
    const { offsets, t, v } = this.data;
    const words = wordsOf(v);
    for (let i = 0; i < this.series.length; i++) {
      let j = offsets[i]!;
      const end = offsets[i + 1]!;
      for (let k = 0; k < n; k++) {
        const at = steps.start + k * steps.step;
        while (j < end && t[j]! <= at) j++;
        // j - 1 is the last sample at or before the step.
        if (j > offsets[i]! && t[j - 1]! > at - lookbackMs && !isStaleMarker(words, j - 1)) {
          out.values[i * n + k] = v[j - 1]!;
          out.timestamps[i * n + k] = t[j - 1]!;
          out.present[i * n + k] = 1;
        }
      }
    }
    return out;
  }

  override instantWithStartTimestamps(steps: Steps, lookbackMs: number): Required<NativeMatrix> & { starts: Float64Array } {
    const m = this.instant(steps, lookbackMs);
    return { ...m, starts: new Float64Array(m.values.length) };
  }

  override evalRange(fn: string, params: number[], steps: Steps, rangeMs: number, extended?: { modifier: 'anchored' | 'smoothed'; lookbackMs: number }): NativeMatrix {
    // The kernels leave stale markers out themselves, as they do for a stored selection.
    if (extended !== undefined) return evalRangeSamples(fn, params, this.data, steps, rangeMs, extended);
    if (fn !== 'absent_over_time') return evalRangeSamples(fn, params, this.fresh(), steps, rangeMs);
    // One row: present (1) where no series has a sample in the range.
    const counts = evalRangeSamples('count_over_time', [], this.fresh(), steps, rangeMs);
    const n = stepCount(steps);
    const out = { values: new Float64Array(n), present: new Uint8Array(n) };
    for (let k = 0; k < n; k++) {
      let any = false;
      for (let i = 0; i < this.series.length && !any; i++) any = counts.present[i * n + k] === 1;
      if (!any) {
        out.values[k] = 1;
        out.present[k] = 1;
      }
    }
    return out;
  }

  override evalRangeWithStartTimestamps(fn: string, params: number[], steps: Steps, rangeMs: number): NativeMatrix & { overlaps: Uint32Array } {
    return { ...this.evalRange(fn, params, steps, rangeMs), overlaps: new Uint32Array() };
  }
}

/** Series of several sources merged by label set; samples deduplicated by timestamp, earlier sources win. */
export function mergeSeries(sources: readonly SeriesData[]): { labels: Labels[]; samples: NativeSamples } {
  const byKey = new Map<string, { labels: Labels; pairs: [string, string][]; runs: { t: Float64Array; v: Float64Array }[] }>();
  for (const src of sources) {
    src.labels.forEach((labels, i) => {
      const pairs = sortedPairs(labels);
      const key = JSON.stringify(pairs);
      let entry = byKey.get(key);
      if (entry === undefined) byKey.set(key, (entry = { labels, pairs, runs: [] }));
      const from = src.samples.offsets[i]!;
      const to = src.samples.offsets[i + 1]!;
      entry.runs.push({ t: src.samples.t.subarray(from, to), v: src.samples.v.subarray(from, to) });
    });
  }
  const entries = [...byKey.values()].sort((a, b) => compareLabelPairs(a.pairs, b.pairs));
  const total = entries.reduce((n, e) => n + e.runs.reduce((m, r) => m + r.t.length, 0), 0);
  const offsets = new Uint32Array(entries.length + 1);
  const t = new Float64Array(total);
  const v = new Float64Array(total);
  // Values are copied as 64-bit words, so a stale marker's NaN payload survives.
  const vBits = new BigUint64Array(v.buffer);
  const runBits = (r: { v: Float64Array }): BigUint64Array => new BigUint64Array(r.v.buffer, r.v.byteOffset, r.v.length);
  let at = 0;
  entries.forEach((e, i) => {
    if (e.runs.length === 1) {
      t.set(e.runs[0]!.t, at);
      v.set(e.runs[0]!.v, at);
      at += e.runs[0]!.t.length;
    } else {
      // k-way merge of sorted runs; on equal timestamps the first run's sample is kept.
      const pos = e.runs.map(() => 0);
      const bits = e.runs.map(runBits);
      for (;;) {
        let best = -1;
        for (let r = 0; r < e.runs.length; r++) {
          if (pos[r]! < e.runs[r]!.t.length && (best < 0 || e.runs[r]!.t[pos[r]!]! < e.runs[best]!.t[pos[best]!]!)) best = r;
        }
        if (best < 0) break;
        const ts = e.runs[best]!.t[pos[best]!]!;
        t[at] = ts;
        vBits[at] = bits[best]![pos[best]!]!;
        at++;
        for (let r = 0; r < e.runs.length; r++) while (pos[r]! < e.runs[r]!.t.length && e.runs[r]!.t[pos[r]!] === ts) pos[r]!++;
      }
    }
    offsets[i + 1] = at;
  });
  return { labels: entries.map((e) => e.labels), samples: { offsets, t: t.subarray(0, at), v: v.subarray(0, at) } };
}

/** What a merged query reads: local selections plus the remote series fetched for them. */
export class MergedQueryable implements Queryable {
  constructor(
    private readonly local: Queryable,
    /** The remotes' answers by selection (`requestKey`); read to ship them to a query worker. */
    readonly remote: ReadonlyMap<string, readonly SeriesData[]>,
    /** Remotes that failed: the query goes on without them, as Prometheus's secondary queriers do. */
    readonly warnings: readonly string[] = [],
  ) {}

  select(matchers: readonly LabelMatcher[], mint: number, maxt: number): Selection {
    const local = this.local.select(matchers, mint, maxt);
    const remote = this.remote.get(requestKey(matchers, mint, maxt)) ?? [];
    if (remote.every((r) => r.labels.length === 0)) return local;
    // The remote samples count against the query's sample limit and, with the merged copy, its
    // memory budget, as a native selection's samples do.
    const remoteSamples = remote.reduce((n, r) => n + r.samples.t.length, 0);
    const localSamples = local.samples(true);
    reserveQuery(remoteSamples, (remoteSamples + localSamples.t.length) * 16);
    const merged = mergeSeries([{ labels: local.labels, samples: localSamples }, ...remote]);
    return new MaterializedSelection(merged.labels, merged.samples);
  }
}

/**
 * Asks every remote that wants them for the recorded selections (one request per remote) and
 * returns the merged queryable. A remote that fails becomes a warning and the query runs on the
 * rest, as Prometheus treats remote storage (a secondary querier); the query's own abort
 * (timeout) fails it.
 */
export async function fetchRemote(local: Queryable, clients: readonly RemoteReadClient[], requests: Iterable<SelectRequest>, localMinTime: number | null, opts: ReadOptions = {}): Promise<MergedQueryable> {
  const all = [...requests];
  const remote = new Map<string, SeriesData[]>();
  const warnings: string[] = [];
  await Promise.all(
    clients.map(async (c) => {
      const wanted = all.filter((r) => c.wants(r, localMinTime));
      if (wanted.length === 0) return;
      let answers;
      try {
        answers = await c.read(wanted, opts);
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        warnings.push((e as Error).message);
        return;
      }
      wanted.forEach((r, i) => {
        const key = requestKey(r.matchers, r.mint, r.maxt);
        const list = remote.get(key) ?? [];
        list.push(answers[i]!);
        remote.set(key, list);
      });
    }),
  );
  return new MergedQueryable(local, remote, warnings);
}
