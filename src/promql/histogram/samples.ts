// Raw native-histogram samples of a selection (CSR: series i at offsets[i]..offsets[i+1]) and
// what the evaluator derives from them: the histogram an instant selector picks per step, and
// the samples of one range window.
import type { FloatHistogram } from '../../model/histogram.js';
import type { Selection, Steps } from '../../storage/storage.js';

export interface HistogramSamples {
  offsets: Uint32Array;
  t: Float64Array;
  h: FloatHistogram[];
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

/** The index range [from, to) of series i's samples with from < t <= to in time. */
export function windowRange(hs: { offsets: Uint32Array; t: Float64Array }, i: number, from: number, to: number): [number, number] {
  let a = hs.offsets[i]!;
  const end = hs.offsets[i + 1]!;
  while (a < end && hs.t[a]! <= from) a++;
  let b = a;
  while (b < end && hs.t[b]! <= to) b++;
  return [a, b];
}
