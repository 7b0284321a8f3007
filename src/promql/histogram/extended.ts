// Prometheus 3's extended range selectors (`x[1m] anchored`, `x[1m] smoothed`, `x smoothed`) over
// native histograms. The float versions live in the Rust kernels (kernels/extended.rs); these
// follow the same picks of the window's edge samples, with histogram arithmetic and the
// histogram's counter-reset rules in place of float comparisons.
import type { FloatHistogram } from '../../model/histogram.js';
import { CounterResetHint } from '../../model/histogram.js';
import { IncompatibleSchemaError, addHistograms, detectReset, scaleHistogram } from './arithmetic.js';
import { compact, copyHistogram, usesCustomBuckets } from './buckets.js';
import { mixWarning, mixedSchemasWarning, notCounterWarning, notGaugeWarning, reconciledInfo } from './annotations.js';
import type { Annotate } from './annotations.js';
import type { WindowResult, WindowSamples } from './range-functions.js';

/**
 * The histogram at time `t` between samples (t1, h1) and (t2, h2). For a counter whose second
 * sample is a reset, the counter restarted from zero in between, so the value is a fraction of
 * h2 (keeping h2's reset hint); otherwise it is the straight line between the two.
 */
export function interpolateHistogram(t1: number, h1: FloatHistogram, t2: number, h2: FloatHistogram, t: number, isCounter: boolean): { h: FloatHistogram; crossedReset: boolean; reconciled: boolean } {
  const fraction = (t - t1) / (t2 - t1);
  if (isCounter && detectReset(h2, h1)) return { h: { ...scaleHistogram(h2, fraction), counterResetHint: h2.counterResetHint }, crossedReset: true, reconciled: false };
  const step = addHistograms(h2, h1, -1);
  const r = addHistograms(h1, scaleHistogram(step.h, fraction));
  return { h: compact({ ...r.h, counterResetHint: h1.counterResetHint }), crossedReset: false, reconciled: step.boundsReconciled || r.boundsReconciled };
}

const bits = new Float64Array(1);
const bitWords = new Uint32Array(bits.buffer);

/** Whether a float is Prometheus's stale marker (a NaN with bits 0x7ff0000000000002). */
function isStaleMarker(v: number): boolean {
  bits[0] = v;
  return bitWords[0] === 0x2 && bitWords[1] === 0x7ff0_0000;
}

/** The window with the float stale markers left out (histogram windows carry none). */
function withoutStaleFloats(w: WindowSamples): WindowSamples {
  let stale = 0;
  for (let k = 0; k < w.fv.length; k++) if (isStaleMarker(w.fv[k]!)) stale++;
  if (stale === 0) return w;
  const ft: number[] = [];
  const fv: number[] = [];
  for (let k = 0; k < w.fv.length; k++) {
    if (isStaleMarker(w.fv[k]!)) continue;
    ft.push(w.ft[k]!);
    fv.push(w.fv[k]!);
  }
  return { ...w, ft, fv };
}

/** Index of the first element of `t` in [lo, hi) that is >= (or, with `strict`, >) `at`; hi if none. */
function search(t: ArrayLike<number>, lo: number, hi: number, at: number, strict: boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? t[mid]! <= at : t[mid]! < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One point of the chain an extended increase walks: a sample, or an edge value interpolated between two. */
interface ChainPoint {
  h: FloatHistogram;
  /** An interpolated left edge: the next point lies on the same segment, so no reset can follow it. */
  leftInterpolated?: boolean;
  /** An interpolated right edge: a reset before it is exactly a reset its interpolation crossed. */
  rightCrossedReset?: boolean;
}

/**
 * rate/increase/delta over an anchored or smoothed window of histograms (Prometheus's extended
 * rate): the difference of the values at the window's edges — the last sample at or before the
 * start and the last one in the window, or with `smoothed` both interpolated at the edges — plus,
 * for counters, the value before every counter reset in between. Not extrapolated. The window's
 * samples reach one lookback before its start (and after its end when smoothed).
 */
export function extendedHistogramRate(window: WindowSamples, rangeStart: number, rangeEnd: number, smoothed: boolean, isCounter: boolean, isRate: boolean, name: string, ann: Annotate): WindowResult {
  const w = withoutStaleFloats(window);
  const { ht: t, hh: h } = w;
  if (h.length === 0) return { kind: 'keep' };
  let last = h.length - 1;
  let first = Math.max(0, search(t, 0, last, rangeStart, true) - 1);
  if (smoothed) last = search(t, 0, last, rangeEnd, false);
  if (t[last]! <= rangeStart) return { kind: 'none' };
  if (smoothed && t[first]! > rangeEnd) return { kind: 'none' };
  // A float counts when it would be an edge sample or lie between them: not before a histogram
  // anchor at or before the start, not after a histogram at or after the end.
  for (let k = 0; k < w.ft.length; k++) {
    const ft = w.ft[k]!;
    if ((ft >= t[first]! || t[first]! > rangeStart) && (ft <= t[last]! || t[last]! < rangeEnd)) {
      ann.warn(mixWarning(name));
      return { kind: 'none' };
    }
  }
  // Every sample the answer reads, interpolation partners included, must be of one bucket kind.
  const custom = usesCustomBuckets(h[first]!);
  for (let k = first; k <= last; k++) {
    if (usesCustomBuckets(h[k]!) !== custom) {
      ann.warn(mixedSchemasWarning(name));
      return { kind: 'none' };
    }
  }
  if (isCounter) {
    for (let k = first; k <= last; k++) {
      if (h[k]!.counterResetHint === CounterResetHint.Gauge) {
        ann.warn(notCounterWarning(name));
        break;
      }
    }
  } else if (h[first]!.counterResetHint !== CounterResetHint.Gauge || h[last]!.counterResetHint !== CounterResetHint.Gauge) {
    ann.warn(notGaugeWarning(name));
  }
  let reconciled = false;
  try {
    const leftInterpolated = smoothed && t[first]! < rangeStart;
    const rightInterpolated = smoothed && last > 0 && t[last]! > rangeEnd;
    let left: FloatHistogram = h[first]!;
    if (leftInterpolated) {
      const r = interpolateHistogram(t[first]!, h[first]!, t[first + 1]!, h[first + 1]!, rangeStart, isCounter);
      reconciled ||= r.reconciled;
      left = r.h;
    }
    let right: FloatHistogram = h[last]!;
    let rightCrossedReset = false;
    if (rightInterpolated) {
      const r = interpolateHistogram(t[last - 1]!, h[last - 1]!, t[last]!, h[last]!, rangeEnd, isCounter);
      reconciled ||= r.reconciled;
      right = r.h;
      rightCrossedReset = r.crossedReset;
    }
    const diff = addHistograms(right, left, -1);
    reconciled ||= diff.boundsReconciled;
    let result = diff.h;
    if (isCounter) {
      // left, the samples strictly between the edges' samples, right. An edge that is a sample
      // itself is not repeated (a reset hint on it would otherwise count twice), and a single
      // sample is its own left and right.
      const chain: ChainPoint[] = [{ h: left, leftInterpolated }];
      if (last > first) {
        for (let k = first + 1; k < last; k++) chain.push({ h: h[k]! });
        chain.push(rightInterpolated ? { h: right, rightCrossedReset } : { h: right });
      }
      for (let k = 1; k < chain.length; k++) {
        const prev = chain[k - 1]!;
        const cur = chain[k]!;
        let reset: boolean;
        if (prev.leftInterpolated) reset = false;
        else if (cur.rightCrossedReset !== undefined) reset = cur.rightCrossedReset;
        else reset = detectReset(cur.h, prev.h);
        if (reset) {
          const r = addHistograms(result, prev.h);
          reconciled ||= r.boundsReconciled;
          result = r.h;
        }
      }
    }
    if (reconciled) ann.info(reconciledInfo('subtraction'));
    // Not extrapolated: a rate is the increase per second of the whole range.
    if (isRate) result = scaleHistogram(result, 1000 / (rangeEnd - rangeStart));
    return { kind: 'histogram', h: compact({ ...result, counterResetHint: CounterResetHint.Gauge }) };
  } catch (e) {
    if (e instanceof IncompatibleSchemaError) {
      ann.warn(mixedSchemasWarning(name));
      return { kind: 'none' };
    }
    throw e;
  }
}

/**
 * A `smoothed` instant selector at `at` over one series' samples (floats with their stale markers
 * dropped, and histograms), within a lookback on either side: the sample at `at`, else the value
 * interpolated between its neighbours (a counter across a reset restarting from zero), else the
 * last one before. `keep` leaves the float kernel's answer (floats only on the sides that count).
 */
export function smoothedHistogramAt(window: WindowSamples, at: number, lookback: number, name: string, ann: Annotate): WindowResult {
  const w = withoutStaleFloats(window);
  const lo = at - lookback;
  const hi = at + lookback;
  const hNext = search(w.ht, 0, w.ht.length, at, false);
  const fNext = search(w.ft, 0, w.ft.length, at, false);
  // The latest sample before `at` and the earliest at or after it, of either kind, within the lookback.
  type Neighbour = { t: number; h: FloatHistogram | undefined } | undefined;
  const beforeH = hNext > 0 && w.ht[hNext - 1]! >= lo ? hNext - 1 : -1;
  const beforeF = fNext > 0 && w.ft[fNext - 1]! >= lo ? fNext - 1 : -1;
  let prev: Neighbour;
  if (beforeH >= 0 && (beforeF < 0 || w.ht[beforeH]! > w.ft[beforeF]!)) prev = { t: w.ht[beforeH]!, h: w.hh[beforeH]! };
  else if (beforeF >= 0) prev = { t: w.ft[beforeF]!, h: undefined };
  const afterH = hNext < w.ht.length && w.ht[hNext]! <= hi ? hNext : -1;
  const afterF = fNext < w.ft.length && w.ft[fNext]! <= hi ? fNext : -1;
  let next: Neighbour;
  if (afterH >= 0 && (afterF < 0 || w.ht[afterH]! < w.ft[afterF]!)) next = { t: w.ht[afterH]!, h: w.hh[afterH]! };
  else if (afterF >= 0) next = { t: w.ft[afterF]!, h: undefined };
  if (next && next.t === at) return next.h ? { kind: 'histogram', h: next.h } : { kind: 'keep' };
  if (prev && next) {
    if (!prev.h && !next.h) return { kind: 'keep' };
    if (!prev.h || !next.h) {
      ann.warn(mixWarning(name));
      return { kind: 'none' };
    }
    if (usesCustomBuckets(prev.h) !== usesCustomBuckets(next.h)) {
      ann.warn(mixedSchemasWarning(name));
      return { kind: 'none' };
    }
    try {
      const r = interpolateHistogram(prev.t, prev.h, next.t, next.h, at, next.h.counterResetHint !== CounterResetHint.Gauge);
      if (r.reconciled) ann.info(reconciledInfo('subtraction'));
      return { kind: 'histogram', h: r.h };
    } catch (e) {
      if (e instanceof IncompatibleSchemaError) {
        ann.warn(mixedSchemasWarning(name));
        return { kind: 'none' };
      }
      throw e;
    }
  }
  if (prev) return prev.h ? { kind: 'histogram', h: copyHistogram(prev.h) } : { kind: 'keep' };
  return { kind: 'keep' };
}
