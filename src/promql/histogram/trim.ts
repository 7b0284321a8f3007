// The trim operators of Prometheus 3: `h </ x` keeps the observations below x, `h >/ x` those
// above. A bucket that x cuts keeps the share of its count on the kept side, interpolated
// exponentially in exponential buckets and linearly in custom buckets and the zero bucket.
// When anything was removed the sum is re-estimated from the kept buckets' midpoints (geometric
// in exponential buckets, arithmetic elsewhere); otherwise the original sum stays.
import type { FloatHistogram } from '../../model/histogram.js';
import { copyHistogram, exponentialBound, negativeSparse, positiveSparse, usesCustomBuckets, withBuckets } from './buckets.js';
import type { SparseBuckets } from './buckets.js';

interface Kept {
  /** Share of the bucket's count that stays (0..1). */
  share: number;
  /** The value the kept part stands for in the re-estimated sum. */
  mid: number;
}

/** A finite bucket [lo, hi] trimmed at x, interpolating linearly. */
function linear(lo: number, hi: number, x: number, keepBelow: boolean): Kept {
  if (keepBelow) {
    if (x >= hi) return { share: 1, mid: (lo + hi) / 2 };
    if (x <= lo) return { share: 0, mid: 0 };
    return { share: (x - lo) / (hi - lo), mid: (lo + x) / 2 };
  }
  if (x <= lo) return { share: 1, mid: (lo + hi) / 2 };
  if (x >= hi) return { share: 0, mid: 0 };
  return { share: (hi - x) / (hi - lo), mid: (x + hi) / 2 };
}

/** A bucket of magnitudes (lo, hi] (0 < lo < hi) trimmed at magnitude m, interpolating in log scale. */
function logarithmic(lo: number, hi: number, m: number, keepBelow: boolean): Kept {
  const f = (Math.log2(m) - Math.log2(lo)) / (Math.log2(hi) - Math.log2(lo));
  if (keepBelow) {
    if (m >= hi) return { share: 1, mid: Math.sqrt(lo * hi) };
    if (m <= lo) return { share: 0, mid: 0 };
    return { share: f, mid: Math.sqrt(lo * m) };
  }
  if (m <= lo) return { share: 1, mid: Math.sqrt(lo * hi) };
  if (m >= hi) return { share: 0, mid: 0 };
  return { share: 1 - f, mid: Math.sqrt(m * hi) };
}

/** A custom bucket (lo, hi] (either bound possibly infinite) trimmed at x. */
function customBucket(lo: number, hi: number, x: number, keepBelow: boolean): Kept {
  if (lo === -Infinity && hi === Infinity) {
    // One bucket holding everything: only a trim at the far infinity keeps it.
    return (keepBelow ? x === Infinity : x === -Infinity) ? { share: 1, mid: 0 } : { share: 0, mid: 0 };
  }
  if (hi === Infinity) {
    // No width to interpolate in: kept whole or not at all, standing for its lower bound (or the cut).
    if (keepBelow) return x === Infinity ? { share: 1, mid: lo } : { share: 0, mid: 0 };
    return x === Infinity ? { share: 0, mid: 0 } : { share: 1, mid: Math.max(lo, x) };
  }
  if (lo === -Infinity) {
    // Observations are taken to be non-negative when the first bound is positive; a cut below
    // zero then falls in the bucket's unbounded part, which only the far infinity keeps whole.
    if (hi > 0) {
      if (x < 0) return (keepBelow ? false : x === -Infinity) ? { share: 1, mid: hi / 2 } : { share: 0, mid: 0 };
      return linear(0, hi, x, keepBelow);
    }
    if (keepBelow) return { share: 1, mid: Math.min(hi, x) };
    return x === -Infinity ? { share: 1, mid: hi } : { share: 0, mid: 0 };
  }
  return linear(lo, hi, x, keepBelow);
}

/** `h </ x` (keepBelow) or `h >/ x`. */
export function trimHistogram(h: FloatHistogram, x: number, keepBelow: boolean): FloatHistogram {
  let removed = false;
  let count = 0;
  let sum = 0;
  const apply = (b: SparseBuckets, bucket: (index: number) => Kept): SparseBuckets => {
    const out: SparseBuckets = { index: [...b.index], count: [] };
    for (let i = 0; i < b.index.length; i++) {
      const c = b.count[i]!;
      const k = bucket(b.index[i]!);
      const kept = c * k.share;
      if (kept !== c) removed = true;
      out.count.push(kept);
      count += kept;
      if (kept !== 0) sum += kept * k.mid;
    }
    return out;
  };
  if (usesCustomBuckets(h)) {
    const cv = h.customValues;
    const positive = apply(positiveSparse(h), (i) => customBucket(i === 0 ? -Infinity : cv[i - 1]!, i < cv.length ? cv[i]! : Infinity, x, keepBelow));
    if (!removed) return copyHistogram(h);
    return { ...withBuckets(h, positive, { index: [], count: [] }), count, sum };
  }
  const schema = h.schema;
  const positive = apply(positiveSparse(h), (i) => {
    const k = logarithmic(exponentialBound(i - 1, schema), exponentialBound(i, schema), Math.max(x, 0), keepBelow);
    return x <= 0 ? (keepBelow ? { share: 0, mid: 0 } : { share: 1, mid: Math.sqrt(exponentialBound(i - 1, schema) * exponentialBound(i, schema)) }) : k;
  });
  const negative = apply(negativeSparse(h), (i) => {
    const lo = exponentialBound(i - 1, schema);
    const hi = exponentialBound(i, schema);
    // In magnitudes, keeping values below x < 0 keeps magnitudes above |x|.
    const k = x >= 0 ? (keepBelow ? { share: 1, mid: Math.sqrt(lo * hi) } : { share: 0, mid: 0 }) : logarithmic(lo, hi, -x, !keepBelow);
    return { share: k.share, mid: -k.mid };
  });
  // The zero bucket spans only the side of zero the other buckets are on, when they are on one side.
  const hasPositive = h.positiveBuckets.some((c) => c !== 0);
  const hasNegative = h.negativeBuckets.some((c) => c !== 0);
  const zlo = hasPositive && !hasNegative ? 0 : -h.zeroThreshold;
  const zhi = hasNegative && !hasPositive ? 0 : h.zeroThreshold;
  let zeroCount = h.zeroCount;
  if (h.zeroCount !== 0) {
    const k = zhi > zlo ? linear(zlo, zhi, x, keepBelow) : { share: (keepBelow ? x >= zhi : x <= zlo) ? 1 : 0, mid: zlo };
    zeroCount = h.zeroCount * k.share;
    if (zeroCount !== h.zeroCount) removed = true;
    count += zeroCount;
    if (zeroCount !== 0) sum += zeroCount * k.mid;
  }
  if (!removed) return copyHistogram(h);
  return { ...withBuckets(h, positive, negative), zeroCount, count, sum };
}
