// Estimates from one native histogram, as Prometheus 3 computes them: quantiles and fractions
// (interpolating exponentially inside exponential buckets, linearly inside custom buckets and the
// zero bucket), and the standard deviation/variance from bucket midpoints.
import type { FloatHistogram } from '../../model/histogram.js';
import type { BucketWithBounds } from './buckets.js';
import { allBuckets, usesCustomBuckets } from './buckets.js';

export interface QuantileResult {
  value: number;
  /** The histogram holds NaN observations (count beyond its buckets): an info annotation applies. */
  nanObservations?: 'nan' | 'skewed';
}

/** The zero bucket narrowed to one side of zero when the histogram has buckets only on that side. */
function effectiveBounds(h: FloatHistogram, b: BucketWithBounds): BucketWithBounds {
  if (!b.zero) return b;
  const hasNegative = h.negativeBuckets.length > 0;
  const hasPositive = h.positiveBuckets.length > 0;
  if (!hasNegative && hasPositive) return { ...b, lower: 0 };
  if (hasNegative && !hasPositive) return { ...b, upper: 0 };
  return b;
}

/** histogram_quantile over a native histogram. */
export function histogramQuantile(q: number, h: FloatHistogram): QuantileResult {
  if (q < 0) return { value: -Infinity };
  if (q > 1) return { value: Infinity };
  if (h.count === 0 || Number.isNaN(q)) return { value: NaN };
  const buckets = allBuckets(h);
  // NaN observations count towards the total but sit in no bucket; walking from the top would
  // find the wrong bucket, so histograms with a NaN sum are always walked from the bottom.
  const forward = Number.isNaN(h.sum) || q < 0.5;
  const rank = forward ? q * h.count : (1 - q) * h.count;
  let count = 0;
  let bucket: BucketWithBounds | undefined;
  const order = forward ? buckets : [...buckets].reverse();
  for (const b of order) {
    if (b.count === 0) continue;
    bucket = b;
    count += b.count;
    if (count >= rank) break;
  }
  if (!bucket) return Number.isNaN(h.sum) ? { value: NaN, nanObservations: 'nan' } : { value: NaN };
  let b = effectiveBounds(h, bucket);
  if (usesCustomBuckets(h)) {
    if (b.lower === -Infinity) {
      if (b.upper <= 0) return { value: b.upper };
      b = { ...b, lower: 0 };
    } else if (b.upper === Infinity) return { value: b.lower };
  }
  if (count > h.count) count = h.count;
  if (count < rank) {
    // Only NaN observations are left above the highest populated bucket.
    return { value: NaN, nanObservations: 'nan' };
  }
  let fraction: number;
  if (forward) fraction = (rank - (count - b.count)) / b.count;
  else fraction = 1 - (rank - (count - b.count)) / b.count;
  const skewed = Number.isNaN(h.sum) ? ('skewed' as const) : undefined;
  const withFlag = (value: number): QuantileResult => (skewed ? { value, nanObservations: skewed } : { value });
  if (usesCustomBuckets(h) || (b.lower <= 0 && b.upper >= 0)) return withFlag(b.lower + (b.upper - b.lower) * fraction);
  const logLower = Math.log2(Math.abs(b.lower));
  const logUpper = Math.log2(Math.abs(b.upper));
  if (b.lower > 0) return withFlag(2 ** (logLower + (logUpper - logLower) * fraction));
  return withFlag(-(2 ** (logUpper + (logLower - logUpper) * (1 - fraction))));
}

/** histogram_fraction over a native histogram: the estimated share of observations in [lower, upper]. */
export function histogramFraction(lower: number, upper: number, h: FloatHistogram): { value: number; nanObservations: boolean } {
  const nanObservations = Number.isNaN(h.sum);
  if (h.count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return { value: NaN, nanObservations: false };
  if (lower >= upper) return { value: 0, nanObservations };
  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  const custom = usesCustomBuckets(h);
  for (const raw of allBuckets(h)) {
    if (custom && raw.lower === -Infinity && raw.upper <= 0) {
      // The unbounded first bucket below zero has no width to interpolate in: a cut inside it
      // counts none of it (only -Inf as the lower end takes it whole).
      if (!lowerSet && lower <= raw.upper) {
        lowerRank = lower === -Infinity ? rank : rank + raw.count;
        lowerSet = true;
      }
      if (!upperSet && upper < raw.upper) {
        upperRank = rank;
        upperSet = true;
      }
      if (lowerSet && upperSet) break;
      rank += raw.count;
      continue;
    }
    let b = effectiveBounds(h, raw);
    if (custom && b.lower === -Infinity) b = { ...b, lower: 0 };
    const linear = (v: number): number => rank + (b.count * (v - b.lower)) / (b.upper - b.lower);
    const exponential = (v: number): number => {
      const logLower = Math.log2(Math.abs(b.lower));
      const logUpper = Math.log2(Math.abs(b.upper));
      const logV = Math.log2(Math.abs(v));
      const fraction = v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper);
      return rank + b.count * fraction;
    };
    const interpolate = (v: number): number => {
      // The +Inf custom bucket has no width to interpolate in: values in it count from its lower bound.
      if (b.upper === Infinity) return rank;
      return custom || b.zero ? linear(v) : exponential(v);
    };
    if (!lowerSet && b.lower >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && b.lower >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && b.lower < lower && b.upper > lower) {
      lowerRank = interpolate(lower);
      lowerSet = true;
    }
    if (!upperSet && b.lower < upper && b.upper > upper) {
      upperRank = interpolate(upper);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    rank += b.count;
  }
  // NaN observations are in no bucket: bounds past the last bucket reach only the bucketed ones.
  if (!lowerSet) lowerRank = rank;
  if (!upperSet) upperRank = rank;
  if (lowerRank > h.count) lowerRank = h.count;
  if (upperRank > h.count) upperRank = h.count;
  return { value: (upperRank - lowerRank) / h.count, nanObservations };
}

/** The variance of the observations estimated from bucket midpoints (geometric in exponential buckets). */
export function histogramVariance(h: FloatHistogram): number {
  const mean = h.sum / h.count;
  let variance = 0;
  let compensation = 0;
  const custom = usesCustomBuckets(h);
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    let v: number;
    if (custom) {
      // The open-ended custom buckets are represented by their finite bound.
      if (b.lower === -Infinity) v = b.upper;
      else if (b.upper === Infinity) v = b.lower;
      else v = (b.upper + b.lower) / 2;
    } else if (b.lower <= 0 && b.upper >= 0) v = 0;
    else {
      v = Math.sqrt(b.upper * b.lower);
      if (b.upper < 0) v = -v;
    }
    const delta = v - mean;
    // Kahan summation as Prometheus does, so sums of many buckets agree to the last bits.
    const term = b.count * delta * delta;
    const t = variance + term;
    if (!Number.isFinite(t)) compensation = 0;
    else if (Math.abs(variance) >= Math.abs(term)) compensation += variance - t + term;
    else compensation += term - t + variance;
    variance = t;
  }
  return (variance + compensation) / h.count;
}
