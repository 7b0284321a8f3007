// A test double for the engine's storage: float samples stay in the native Storage, native
// histograms are kept here in memory, and a selection is the union of both (sorted by labels as
// the native one is), with `histogramSamples()` as the native Selection offers it. It lets the
// evaluator's histogram paths be exercised on their own.
import type { FloatHistogram } from '../../src/model/histogram.js';
import { CounterResetHint } from '../../src/model/histogram.js';
import { detectReset } from '../../src/promql/histogram/arithmetic.js';
import type { Labels } from '../../src/model/labels.js';
import { labelsKey } from '../../src/model/labels.js';
import type { LabelMatcher } from '../../src/storage/matchers.js';
import { matcherFunction } from '../../src/storage/matchers.js';
import type { Selection, Steps } from '../../src/storage/storage.js';
import type { NativeMatrix, NativeSamples } from '../../src/storage/native.js';
import type { Queryable } from '../../src/promql/context.js';
import { compareLabels } from '../../src/promql/context.js';
import type { HistogramSamples } from '../../src/promql/histogram/samples.js';

interface StoredHistograms {
  labels: Labels;
  t: number[];
  h: FloatHistogram[];
}

function matches(labels: Labels, matchers: readonly LabelMatcher[]): boolean {
  return matchers.every((m) => matcherFunction(m)(labels[m.name] ?? ''));
}

/** Copies rows of a series x k matrix into the union's rows. */
function remap<T extends Float64Array | Uint8Array>(src: T, rows: number[], total: number, k: number, make: (n: number) => T): T {
  const out = make(total * k);
  rows.forEach((to, from) => out.set(src.subarray(from * k, (from + 1) * k), to * k));
  return out;
}

export class HistogramOverlay implements Queryable {
  private readonly stored = new Map<string, StoredHistograms>();

  constructor(private readonly floats: Queryable) {}

  /**
   * Adds a histogram sample after the series' last one. Its hint is what a read from Prometheus's
   * chunks gives: gauge stays gauge; otherwise unknown for a series' first sample, a counter
   * reset where one is detected against the previous sample (a new chunk), not-a-reset elsewhere.
   */
  add(labels: Labels, t: number, sample: FloatHistogram): void {
    const key = labelsKey(labels);
    let s = this.stored.get(key);
    if (!s) this.stored.set(key, (s = { labels, t: [], h: [] }));
    const prev = s.h[s.h.length - 1];
    let hint: CounterResetHint = CounterResetHint.Gauge;
    if (sample.counterResetHint !== CounterResetHint.Gauge) {
      if (!prev) hint = CounterResetHint.Unknown;
      else hint = detectReset({ ...sample, counterResetHint: CounterResetHint.Unknown }, prev) ? CounterResetHint.CounterReset : CounterResetHint.NotCounterReset;
    }
    const h = { ...sample, counterResetHint: hint };
    const at = s.t.findIndex((x) => x >= t);
    if (at < 0) {
      s.t.push(t);
      s.h.push(h);
    } else if (s.t[at] === t) s.h[at] = h;
    else {
      s.t.splice(at, 0, t);
      s.h.splice(at, 0, h);
    }
  }

  get empty(): boolean {
    return this.stored.size === 0;
  }

  select(matchers: readonly LabelMatcher[], mint: number, maxt: number): Selection {
    const base = this.floats.select(matchers, mint, maxt);
    if (this.stored.size === 0) return base;
    const baseLabels = base.labels;
    const all = new Map<string, Labels>();
    for (const l of baseLabels) all.set(labelsKey(l), l);
    const hist = new Map<string, StoredHistograms>();
    for (const [key, s] of this.stored) {
      if (!matches(s.labels, matchers)) continue;
      if (!s.t.some((t) => t >= mint && t <= maxt)) continue;
      hist.set(key, s);
      if (!all.has(key)) all.set(key, s.labels);
    }
    const labels = [...all.values()].sort(compareLabels);
    const index = new Map(labels.map((l, i) => [labelsKey(l), i]));
    const rows = baseLabels.map((l) => index.get(labelsKey(l))!);
    const total = labels.length;
    const matrix = <M extends NativeMatrix>(m: M, k: number): M => {
      const out = { ...m, values: remap(m.values, rows, total, k, (n) => new Float64Array(n)), present: remap(m.present, rows, total, k, (n) => new Uint8Array(n)) };
      for (const key of ['timestamps', 'starts'] as const) {
        const v = (m as unknown as Record<string, Float64Array | undefined>)[key];
        if (v) (out as unknown as Record<string, Float64Array>)[key] = remap(v, rows, total, k, (n) => new Float64Array(n));
      }
      return out;
    };
    const stepsOf = (s: Steps): number => Math.floor((s.end - s.start) / s.step) + 1;
    const sel = {
      length: total,
      labels,
      samples(): NativeSamples {
        const s = base.samples();
        const offsets = new Uint32Array(total + 1);
        const t: number[] = [];
        const v: number[] = [];
        const from = new Map(rows.map((to, f) => [to, f]));
        for (let i = 0; i < total; i++) {
          const f = from.get(i);
          if (f !== undefined) for (let j = s.offsets[f]!; j < s.offsets[f + 1]!; j++) (t.push(s.t[j]!), v.push(s.v[j]!));
          offsets[i + 1] = t.length;
        }
        return { offsets, t: Float64Array.from(t), v: Float64Array.from(v) };
      },
      instant: (steps: Steps, lookback: number, modifier?: 'smoothed') => matrix(base.instant(steps, lookback, modifier), stepsOf(steps)),
      instantWithStartTimestamps: (steps: Steps, lookback: number) => matrix(base.instantWithStartTimestamps(steps, lookback), stepsOf(steps)),
      evalRange: (fn: string, params: number[], steps: Steps, range: number, extended?: { modifier: 'anchored' | 'smoothed'; lookbackMs: number }) => matrix(base.evalRange(fn, params, steps, range, extended), stepsOf(steps)),
      evalRangeWithStartTimestamps: (fn: string, params: number[], steps: Steps, range: number) => {
        const m = base.evalRangeWithStartTimestamps(fn, params, steps, range);
        return { ...matrix(m, stepsOf(steps)), overlaps: Uint32Array.from([...m.overlaps].map((i) => rows[i]!)) };
      },
      histogramSamples(): HistogramSamples {
        const offsets = new Uint32Array(total + 1);
        const t: number[] = [];
        const h: FloatHistogram[] = [];
        labels.forEach((l, i) => {
          const s = hist.get(labelsKey(l));
          if (s) {
            for (let j = 0; j < s.t.length; j++) {
              if (s.t[j]! >= mint && s.t[j]! <= maxt) {
                t.push(s.t[j]!);
                h.push(s.h[j]!);
              }
            }
          }
          offsets[i + 1] = t.length;
        });
        return { offsets, t: Float64Array.from(t), h };
      },
    };
    return sel as unknown as Selection;
  }
}
