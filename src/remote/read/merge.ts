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
import { evalRangeSamples, Selection, type Steps } from '../../storage/storage.js';
import type { Queryable } from '../../promql/context.js';
import { compareLabelPairs } from './server.js';
import type { ReadOptions, RemoteReadClient, SelectRequest, SeriesData } from './client.js';

function requestKey(matchers: readonly LabelMatcher[], mint: number, maxt: number): string {
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

function stepCount(s: Steps): number {
  return Math.floor((s.end - s.start) / s.step) + 1;
}

/** A selection whose series and samples are in memory (local and remote merged). */
export class MaterializedSelection extends Selection {
  constructor(
    private readonly series: Labels[],
    private readonly data: NativeSamples,
  ) {
    super(undefined);
  }

  override get length(): number {
    return this.series.length;
  }

  override get labels(): Labels[] {
    return this.series;
  }

  override samples(): NativeSamples {
    return this.data;
  }

  /** The latest sample in (t - lookback, t] at every step. */
  override instant(steps: Steps, lookbackMs: number, modifier?: 'smoothed'): Required<NativeMatrix> {
    if (modifier !== undefined) throw new Error(`the ${modifier} modifier is not supported on series merged from remote_read`);
    const n = stepCount(steps);
    const size = this.series.length * n;
    const out = { values: new Float64Array(size), present: new Uint8Array(size), timestamps: new Float64Array(size) };
    const { offsets, t, v } = this.data;
    for (let i = 0; i < this.series.length; i++) {
      let j = offsets[i]!;
      const end = offsets[i + 1]!;
      for (let k = 0; k < n; k++) {
        const at = steps.start + k * steps.step;
        while (j < end && t[j]! <= at) j++;
        // j - 1 is the last sample at or before the step.
        if (j > offsets[i]! && t[j - 1]! > at - lookbackMs) {
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
    if (extended !== undefined) throw new Error(`the ${extended.modifier} modifier is not supported on series merged from remote_read`);
    if (fn !== 'absent_over_time') return evalRangeSamples(fn, params, this.data, steps, rangeMs);
    // One row: present (1) where no series has a sample in the range.
    const counts = evalRangeSamples('count_over_time', [], this.data, steps, rangeMs);
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
  let at = 0;
  entries.forEach((e, i) => {
    if (e.runs.length === 1) {
      t.set(e.runs[0]!.t, at);
      v.set(e.runs[0]!.v, at);
      at += e.runs[0]!.t.length;
    } else {
      // k-way merge of sorted runs; on equal timestamps the first run's sample is kept.
      const pos = e.runs.map(() => 0);
      for (;;) {
        let best = -1;
        for (let r = 0; r < e.runs.length; r++) {
          if (pos[r]! < e.runs[r]!.t.length && (best < 0 || e.runs[r]!.t[pos[r]!]! < e.runs[best]!.t[pos[best]!]!)) best = r;
        }
        if (best < 0) break;
        const ts = e.runs[best]!.t[pos[best]!]!;
        t[at] = ts;
        v[at] = e.runs[best]!.v[pos[best]!]!;
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
    private readonly remote: Map<string, SeriesData[]>,
    /** Remotes that failed: the query goes on without them, as Prometheus's secondary queriers do. */
    readonly warnings: readonly string[] = [],
  ) {}

  select(matchers: readonly LabelMatcher[], mint: number, maxt: number): Selection {
    const local = this.local.select(matchers, mint, maxt);
    const remote = this.remote.get(requestKey(matchers, mint, maxt)) ?? [];
    if (remote.every((r) => r.labels.length === 0)) return local;
    const merged = mergeSeries([{ labels: local.labels, samples: local.samples() }, ...remote]);
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
