// Range functions over windows that hold native-histogram samples, as Prometheus 3 defines them:
// rate/increase/delta (with counter-reset handling and extrapolation), irate/idelta,
// resets/changes across floats and histograms, and the *_over_time functions that accept
// histograms (sum, avg, count, last, first, present). Windows without histograms stay with the
// native float kernels; the functions that read floats only get an info annotation when they
// skip histograms.
import type { FloatHistogram } from '../../model/histogram.js';
import { CounterResetHint } from '../../model/histogram.js';
import { IncompatibleSchemaError, addHistograms, detectReset, divideHistogram, histogramsEqual, scaleHistogram } from './arithmetic.js';
import { compact, copyHistogram, reduceResolution, usesCustomBuckets } from './buckets.js';
import { sumHistograms } from './aggregate.js';
import { mixWarning, mixedSchemasWarning, notCounterWarning, notGaugeWarning, reconciledInfo } from './annotations.js';
import type { Annotate } from './annotations.js';
import { isStartTimestampReset, startTimeOverlaps, startTimeOverlapWarning } from './start-timestamps.js';

/** The samples of one series inside one window, floats and histograms apart, each in time order. */
export interface WindowSamples {
  ft: ArrayLike<number>;
  fv: ArrayLike<number>;
  ht: ArrayLike<number>;
  hh: readonly FloatHistogram[];
  /**
   * The histograms' start timestamps (ms, 0 = none), with use-start-timestamps for the functions
   * that read them (rate, increase, irate, resets); absent otherwise.
   */
  hst?: ArrayLike<number>;
}

export type WindowResult = { kind: 'keep' } | { kind: 'none' } | { kind: 'float'; v: number } | { kind: 'histogram'; h: FloatHistogram };


const KEEP: WindowResult = { kind: 'keep' };
const NONE: WindowResult = { kind: 'none' };

/** Functions that read float samples only; histograms in a window with floats are skipped with an info. */
const FLOAT_ONLY = new Set(['max_over_time', 'min_over_time', 'quantile_over_time', 'stddev_over_time', 'stdvar_over_time', 'mad_over_time', 'deriv', 'predict_linear', 'double_exponential_smoothing', 'holt_winters']);


/**
 * The increase of a run of histograms (Prometheus's histogramRate). For counters it is the sum of
 * the differences of consecutive samples, where a sample after a counter reset counts whole;
 * a change between exponential and custom buckets counts as a reset, but the samples between the
 * first and the last must not mix the two kinds. Gauges give last − first.
 */
function histogramIncrease(points: readonly FloatHistogram[], isCounter: boolean, name: string, ann: Annotate, times?: ArrayLike<number>, starts?: ArrayLike<number>): FloatHistogram | undefined {
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const custom = usesCustomBuckets(first);
  for (const p of points.slice(1, -1)) {
    if (usesCustomBuckets(p) !== custom) {
      ann.warn(mixedSchemasWarning(name));
      return undefined;
    }
  }
  let reconciled = false;
  let h: FloatHistogram;
  if (isCounter) {
    if (points.some((p) => p.counterResetHint === CounterResetHint.Gauge)) ann.warn(notCounterWarning(name));
    let minSchema = last.schema;
    for (const p of points) if (!usesCustomBuckets(p)) minSchema = Math.min(minSchema, p.schema);
    // The differences of consecutive samples, a sample after a reset (seen in the counts or
    // told by its start timestamp) counting whole.
    let acc: FloatHistogram | undefined;
    let overlapWarned = false;
    for (let i = 1; i < points.length; i++) {
      const cur = points[i]!;
      const prev = points[i - 1]!;
      let stReset = false;
      if (starts && times) {
        if (!overlapWarned && startTimeOverlaps(starts[i - 1]!, times[i - 1]!, starts[i]!)) {
          ann.warn(startTimeOverlapWarning(name));
          overlapWarned = true;
        }
        stReset = isStartTimestampReset(starts[i - 1]!, times[i - 1]!, starts[i]!, times[i]!);
      }
      let step: FloatHistogram;
      if (stReset || detectReset(cur, prev)) step = cur;
      else {
        const r = addHistograms(cur, prev, -1);
        reconciled ||= r.boundsReconciled;
        step = r.h;
      }
      if (!acc) acc = reduceResolution(step, minSchema);
      else {
        const r = addHistograms(acc, step);
        reconciled ||= r.boundsReconciled;
        acc = r.h;
      }
    }
    h = acc ?? reduceResolution(copyHistogram(last), minSchema);
  } else {
    const r = addHistograms(last, first, -1);
    reconciled ||= r.boundsReconciled;
    h = r.h;
    if (first.counterResetHint !== CounterResetHint.Gauge || last.counterResetHint !== CounterResetHint.Gauge) ann.warn(notGaugeWarning(name));
  }
  if (reconciled) ann.info(reconciledInfo('subtraction'));
  return compact({ ...h, counterResetHint: CounterResetHint.Gauge });
}

/** rate, increase and delta over a window of histograms, extrapolated as for floats. */
function extrapolatedHistogramRate(w: WindowSamples, rangeStart: number, rangeEnd: number, isCounter: boolean, isRate: boolean, name: string, ann: Annotate): WindowResult {
  const n = w.hh.length - 1;
  const firstT = w.ht[0]!;
  const lastT = w.ht[n]!;
  // A counter whose first sample started inside the window: a zero is assumed at that start
  // instead of extrapolating to the left (then one sample is enough).
  const s0 = isCounter && w.hst ? w.hst[0]! : 0;
  const startInside = s0 !== 0 && s0 > rangeStart && s0 < firstT;
  if (n < 1 && !startInside) return NONE;
  let h: FloatHistogram | undefined;
  try {
    if (n >= 1) h = histogramIncrease(w.hh, isCounter, name, ann, w.ht, isCounter ? w.hst : undefined);
    if (n >= 1 && !h) return NONE;
    if (startInside) {
      if (!h) h = compact({ ...copyHistogram(w.hh[0]!), counterResetHint: CounterResetHint.Gauge });
      else {
        const r = addHistograms(h, w.hh[0]!);
        if (r.boundsReconciled) ann.info(reconciledInfo('addition'));
        h = r.h;
      }
    }
  } catch (e) {
    if (e instanceof IncompatibleSchemaError) {
      ann.warn(mixedSchemasWarning(name));
      return NONE;
    }
    throw e;
  }
  if (!h) return NONE;
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  let sampledInterval = (lastT - firstT) / 1000;
  const averageBetween = n > 0 ? sampledInterval / n : 0;
  const threshold = averageBetween * 1.1;
  if (startInside) {
    durationToStart = 0;
    sampledInterval = (lastT - s0) / 1000;
  } else {
    if (durationToStart >= threshold) durationToStart = averageBetween / 2;
    if (isCounter && h.count > 0 && w.hh[0]!.count >= 0) {
      // Counters cannot go below zero: do not extrapolate past the point the count would reach zero.
      const durationToZero = sampledInterval * (w.hh[0]!.count / h.count);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
  }
  if (durationToEnd >= threshold) durationToEnd = averageBetween / 2;
  let factor = sampledInterval !== 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1;
  if (isRate) factor /= (rangeEnd - rangeStart) / 1000;
  return { kind: 'histogram', h: { ...scaleHistogram(h, factor), counterResetHint: CounterResetHint.Gauge } };
}

interface Merged {
  t: number;
  f: number;
  h: FloatHistogram | undefined;
  /** Start timestamp (histograms with `hst` only; 0 = none). */
  st: number;
}

/** Floats and histograms of a window in one time order. */
function merged(w: WindowSamples): Merged[] {
  const out: Merged[] = [];
  let i = 0;
  let j = 0;
  while (i < w.ft.length || j < w.ht.length) {
    if (j >= w.ht.length || (i < w.ft.length && w.ft[i]! < w.ht[j]!)) {
      out.push({ t: w.ft[i]!, f: w.fv[i]!, h: undefined, st: 0 });
      i++;
    } else {
      out.push({ t: w.ht[j]!, f: NaN, h: w.hh[j]!, st: w.hst ? w.hst[j]! : 0 });
      j++;
    }
  }
  return out;
}

/** irate and idelta over the last two samples. */
function instantHistogramValue(w: WindowSamples, isRate: boolean, name: string, ann: Annotate): WindowResult {
  const all = merged(w);
  if (all.length < 2) return NONE;
  const prev = all[all.length - 2]!;
  const cur = all[all.length - 1]!;
  if (!prev.h && !cur.h) return KEEP;
  if (!prev.h || !cur.h) {
    ann.warn(mixWarning(name));
    return NONE;
  }
  if (isRate && (cur.h.counterResetHint === CounterResetHint.Gauge || prev.h.counterResetHint === CounterResetHint.Gauge)) ann.warn(notCounterWarning(name));
  if (!isRate && (cur.h.counterResetHint !== CounterResetHint.Gauge || prev.h.counterResetHint !== CounterResetHint.Gauge)) ann.warn(notGaugeWarning(name));
  let h = copyHistogram(cur.h);
  if (!isRate || !(isStartTimestampReset(prev.st, prev.t, cur.st, cur.t) || detectReset(cur.h, prev.h))) {
    try {
      const r = addHistograms(h, prev.h, -1);
      if (r.boundsReconciled) ann.info(reconciledInfo('subtraction'));
      h = r.h;
    } catch (e) {
      if (e instanceof IncompatibleSchemaError) {
        ann.warn(mixedSchemasWarning(name));
        return NONE;
      }
      throw e;
    }
  }
  h = compact({ ...h, counterResetHint: CounterResetHint.Gauge });
  if (isRate) h = divideHistogram(h, (cur.t - prev.t) / 1000);
  return { kind: 'histogram', h };
}

function resetsOrChanges(w: WindowSamples, changes: boolean): WindowResult {
  const all = merged(w);
  if (all.length === 0) return NONE;
  let n = 0;
  for (let i = 1; i < all.length; i++) {
    const p = all[i - 1]!;
    const c = all[i]!;
    if (!p.h && !c.h) {
      if (changes ? !(c.f === p.f || (Number.isNaN(c.f) && Number.isNaN(p.f))) : c.f < p.f) n++;
    } else if (!p.h || !c.h) n++;
    else if (changes ? !histogramsEqual(c.h, p.h) : isStartTimestampReset(p.st, p.t, c.st, c.t) || detectReset(c.h, p.h)) n++;
  }
  return { kind: 'float', v: n };
}

/**
 * The value of range function `fn` for one window of one series that holds histogram samples
 * (`keep`: the float kernel's answer stands).
 */
export function histogramWindow(fn: string, w: WindowSamples, rangeStart: number, rangeEnd: number, name: string, ann: Annotate): WindowResult {
  const hasFloats = w.ft.length > 0;
  const hasHistograms = w.hh.length > 0;
  if (!hasHistograms) return KEEP;
  if (FLOAT_ONLY.has(fn)) {
    if (hasFloats) ann.info(`PromQL info: ignored histograms in a range containing both floats and histograms for metric name ${JSON.stringify(name)}`);
    return KEEP;
  }
  switch (fn) {
    case 'rate':
    case 'increase':
    case 'delta':
      if (hasFloats) {
        ann.warn(mixWarning(name));
        return NONE;
      }
      return extrapolatedHistogramRate(w, rangeStart, rangeEnd, fn !== 'delta', fn === 'rate', name, ann);
    case 'irate':
    case 'idelta':
      return instantHistogramValue(w, fn === 'irate', name, ann);
    case 'resets':
    case 'changes':
      return resetsOrChanges(w, fn === 'changes');
    case 'count_over_time':
      return { kind: 'float', v: w.ft.length + w.hh.length };
    case 'present_over_time':
      return { kind: 'float', v: 1 };
    case 'last_over_time': {
      const lastH = w.ht[w.ht.length - 1]!;
      if (hasFloats && w.ft[w.ft.length - 1]! > lastH) return KEEP;
      return { kind: 'histogram', h: w.hh[w.hh.length - 1]! };
    }
    case 'ts_of_last_over_time': {
      const lastH = w.ht[w.ht.length - 1]!;
      if (hasFloats && w.ft[w.ft.length - 1]! > lastH) return KEEP;
      return { kind: 'float', v: lastH / 1000 };
    }
    case 'ts_of_first_over_time': {
      if (hasFloats && w.ft[0]! < w.ht[0]!) return KEEP;
      return { kind: 'float', v: w.ht[0]! / 1000 };
    }
    case 'first_over_time': {
      if (hasFloats && w.ft[0]! < w.ht[0]!) return KEEP;
      return { kind: 'histogram', h: w.hh[0]! };
    }
    case 'sum_over_time':
    case 'avg_over_time': {
      if (hasFloats) {
        ann.warn(mixWarning(name));
        return NONE;
      }
      const h = sumHistograms(w.hh, name, ann, fn === 'sum_over_time' ? 'sum' : 'avg');
      return h ? { kind: 'histogram', h } : NONE;
    }
    default:
      // Functions of timestamps and the rest read floats only.
      return KEEP;
  }
}
