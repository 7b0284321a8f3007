// Raw native-histogram samples of a selection (CSR: series i at offsets[i]..offsets[i+1]) and
// what the evaluator derives from them: the histogram an instant selector picks per step, and
// the samples of one range window.
import type { FloatHistogram } from '../../model/histogram.js';
import { CounterResetHint } from '../../model/histogram.js';
import type { Selection, Steps } from '../../storage/storage.js';
import type { Expr, VectorSelector } from '../parser/ast.js';
import { detectReset } from './arithmetic.js';

export interface HistogramSamples {
  offsets: Uint32Array;
  t: Float64Array;
  h: FloatHistogram[];
  /** The samples' start timestamps (ms, 0 = none), where the storage keeps them. */
  starts?: Float64Array;
}

/** What a selection offers for histograms (the native storage's Selection, or a test double). */
interface HistogramSource {
  histogramSamples?: () => HistogramSamples;
}

export function emptyHistogramSamples(series: number): HistogramSamples {
  return { offsets: new Uint32Array(series + 1), t: new Float64Array(), h: [] };
}

/** The selection's histogram samples; none when the storage holds no histograms. */
export function histogramSamplesOf(sel: Selection | HistogramSource, series: number): HistogramSamples {
  const src = sel as HistogramSource;
  return typeof src.histogramSamples === 'function' ? src.histogramSamples() : emptyHistogramSamples(series);
}

/**
 * Per step, the index (into `hs.t`/`hs.h`) of the latest histogram sample of series `i` in
 * (t - lookback, t], or -1. Steps are ascending, so one pass over the samples suffices.
 */
export function pickInstantHistograms(hs: HistogramSamples, i: number, steps: Steps, n: number, lookbackMs: number): Int32Array {
  const out = new Int32Array(n).fill(-1);
  const lo = hs.offsets[i]!;
  const hi = hs.offsets[i + 1]!;
  if (lo === hi) return out;
  let k = lo;
  for (let j = 0; j < n; j++) {
    const t = steps.start + j * steps.step;
    while (k < hi && hs.t[k]! <= t) k++;
    const last = k - 1;
    if (last >= lo && hs.t[last]! > t - lookbackMs) out[j] = last;
  }
  return out;
}

/** The first index in [lo, hi) whose time is above `t` (times ascending). */
function firstAfter(t: ArrayLike<number>, lo: number, hi: number, at: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index range [from, to) of series i's samples with from < t <= to in time (binary search). */
export function windowRange(hs: { offsets: Uint32Array; t: Float64Array }, i: number, from: number, to: number): [number, number] {
  const lo = hs.offsets[i]!;
  const hi = hs.offsets[i + 1]!;
  const a = firstAfter(hs.t, lo, hi, from);
  return [a, firstAfter(hs.t, a, hi, to)];
}

/**
 * The counter-reset hints a query sees, as Prometheus's iterators give them. Reading chunks,
 * the first sample after a reset comes back with an unknown hint, never "reset". Under
 * histogram_count/histogram_sum/histogram_avg, Prometheus reads with a statistics iterator that
 * detects resets against the previous sample on the fly, so hints are "reset" or "not reset"
 * there (gauges stay gauges).
 */
export function withQueryHints(hs: HistogramSamples, detectOnTheFly: boolean): HistogramSamples {
  const h = hs.h.slice();
  for (let i = 0; i + 1 < hs.offsets.length; i++) {
    for (let k = hs.offsets[i]!; k < hs.offsets[i + 1]!; k++) {
      const cur = h[k]!;
      if (cur.counterResetHint === CounterResetHint.Gauge) continue;
      if (!detectOnTheFly) {
        if (cur.counterResetHint === CounterResetHint.CounterReset) h[k] = { ...cur, counterResetHint: CounterResetHint.Unknown };
        continue;
      }
      // The first sample read keeps the hint its chunk gives it.
      if (k === hs.offsets[i]) continue;
      if (cur.counterResetHint === CounterResetHint.NotCounterReset) continue;
      const reset = detectReset({ ...cur, counterResetHint: CounterResetHint.Unknown }, hs.h[k - 1]!);
      h[k] = { ...cur, counterResetHint: reset ? CounterResetHint.CounterReset : CounterResetHint.NotCounterReset };
    }
  }
  return { offsets: hs.offsets, t: hs.t, h, ...(hs.starts ? { starts: hs.starts } : {}) };
}

/** Functions whose argument's selectors are read with the statistics iterator (no buckets needed). */
const STATS_FUNCTIONS = new Set(['histogram_count', 'histogram_sum', 'histogram_avg']);

/**
 * The vector selectors Prometheus reads with its statistics iterator: those whose nearest
 * enclosing histogram function is histogram_count/sum/avg, not across a binary operator or a
 * subquery (which both decide afresh).
 */
export function statsSelectors(e: Expr, out = new Set<VectorSelector>(), stats = false): Set<VectorSelector> {
  switch (e.type) {
    case 'VectorSelector':
      if (stats) out.add(e);
      break;
    case 'MatrixSelector':
      statsSelectors(e.vector, out, stats);
      break;
    case 'SubqueryExpr':
      statsSelectors(e.expr, out, false);
      break;
    case 'ParenExpr':
    case 'UnaryExpr':
      statsSelectors(e.expr, out, stats);
      break;
    case 'AggregateExpr':
      statsSelectors(e.expr, out, stats);
      if (e.param) statsSelectors(e.param, out, false);
      break;
    case 'BinaryExpr':
      statsSelectors(e.lhs, out, false);
      statsSelectors(e.rhs, out, false);
      break;
    case 'Call': {
      const mode = STATS_FUNCTIONS.has(e.name) ? true : e.name.startsWith('histogram_') ? false : stats;
      for (const a of e.args) statsSelectors(a, out, mode);
      break;
    }
    default:
      break;
  }
  return out;
}
