// Arithmetic on native histograms as Prometheus's FloatHistogram does it: addition and
// subtraction at the coarser of the two schemas with the zero buckets reconciled to the wider one,
// custom-bucket bounds reconciled to the bounds both have, scaling by a scalar, counter-reset
// detection between consecutive samples, and exact equality (for changes()).
import type { FloatHistogram } from '../../model/histogram.js';
import { CounterResetHint } from '../../model/histogram.js';
import type { SparseBuckets } from './buckets.js';
import { addSparse, compactSparse, copyHistogram, exponentialBound, negativeSparse, positiveSparse, reduceSparse, usesCustomBuckets, withBuckets } from './buckets.js';

/** Adding or subtracting an exponential and a custom-bucket histogram. */
export class IncompatibleSchemaError extends Error {
  constructor() {
    super('cannot apply this operation on histograms with a mix of exponential and custom bucket schemas');
  }
}

export interface SumResult {
  h: FloatHistogram;
  /** One operand was marked as a counter reset and the other as not one. */
  counterResetCollision: boolean;
  /** The custom-bucket bounds differed and were reduced to the bounds both share. */
  boundsReconciled: boolean;
}

/** Sparse views of one histogram's buckets with its zero bucket, for reconciling zero buckets. */
interface Parts {
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  positive: SparseBuckets;
  negative: SparseBuckets;
}

function partsOf(h: FloatHistogram): Parts {
  return { schema: h.schema, zeroThreshold: h.zeroThreshold, zeroCount: h.zeroCount, positive: positiveSparse(h), negative: negativeSparse(h) };
}

/**
 * The zero count the histogram would have with a zero bucket at least `threshold` wide, and the
 * threshold actually needed: a populated bucket that straddles the threshold widens it to the
 * bucket's upper bound (Prometheus's zeroCountForLargerThreshold).
 */
function zeroCountForLargerThreshold(p: Parts, threshold: number): { count: number; threshold: number } {
  for (;;) {
    let count = p.zeroCount;
    let widened = false;
    for (const side of [p.positive, p.negative]) {
      for (let i = 0; i < side.index.length; i++) {
        const lower = exponentialBound(side.index[i]! - 1, p.schema);
        const upper = exponentialBound(side.index[i]!, p.schema);
        if (lower >= threshold) break;
        count += side.count[i]!;
        if (upper > threshold) {
          if (side.count[i] !== 0) {
            threshold = upper;
            widened = true;
          }
          break;
        }
      }
      if (widened) break;
    }
    if (!widened) return { count, threshold };
  }
}

/** Drops the buckets that now lie inside the zero bucket. */
function trimBelow(b: SparseBuckets, schema: number, threshold: number): SparseBuckets {
  const out: SparseBuckets = { index: [], count: [] };
  for (let i = 0; i < b.index.length; i++) {
    if (exponentialBound(b.index[i]! - 1, schema) < threshold) continue;
    out.index.push(b.index[i]!);
    out.count.push(b.count[i]!);
  }
  return out;
}

function widenZeroBucket(p: Parts, threshold: number): void {
  const r = zeroCountForLargerThreshold(p, threshold);
  p.zeroCount = r.count;
  p.zeroThreshold = r.threshold;
  p.positive = trimBelow(p.positive, p.schema, r.threshold);
  p.negative = trimBelow(p.negative, p.schema, r.threshold);
}

/** The counter-reset hint of a sum, and whether the operands' hints collided. */
function sumHint(a: CounterResetHint, b: CounterResetHint): { hint: CounterResetHint; collision: boolean } {
  // A gauge in the sum makes a gauge; otherwise an unknown hint makes an unknown one.
  if (a === b) return { hint: a, collision: false };
  if (a === CounterResetHint.Gauge || b === CounterResetHint.Gauge) return { hint: CounterResetHint.Gauge, collision: false };
  if (a === CounterResetHint.Unknown || b === CounterResetHint.Unknown) return { hint: CounterResetHint.Unknown, collision: false };
  // One is a counter reset, the other explicitly not.
  return { hint: CounterResetHint.Unknown, collision: true };
}

/** Re-buckets custom buckets onto a subset of their bounds: each bucket goes to the first bound at or above its own. */
function rebucketCustom(b: SparseBuckets, from: readonly number[], to: readonly number[]): SparseBuckets {
  const out: SparseBuckets = { index: [], count: [] };
  for (let i = 0; i < b.index.length; i++) {
    const upper = b.index[i]! < from.length ? from[b.index[i]!]! : Infinity;
    let t = to.findIndex((v) => v >= upper);
    if (t < 0) t = to.length;
    const last = out.index.length - 1;
    if (last >= 0 && out.index[last] === t) out.count[last]! += b.count[i]!;
    else if (last >= 0 && out.index[last]! > t) {
      // Cannot happen for ascending bounds; kept sorted anyway.
      const at = out.index.findIndex((x) => x >= t);
      if (out.index[at] === t) out.count[at]! += b.count[i]!;
      else {
        out.index.splice(at, 0, t);
        out.count.splice(at, 0, b.count[i]!);
      }
    } else {
      out.index.push(t);
      out.count.push(b.count[i]!);
    }
  }
  return out;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** a + factor·b (factor 1 or -1), as FloatHistogram.Add/Sub. Throws IncompatibleSchemaError. */
export function addHistograms(a: FloatHistogram, b: FloatHistogram, factor: 1 | -1 = 1): SumResult {
  const { hint, collision } = sumHint(a.counterResetHint, b.counterResetHint);
  if (usesCustomBuckets(a) !== usesCustomBuckets(b)) throw new IncompatibleSchemaError();
  if (usesCustomBuckets(a)) {
    let ap = positiveSparse(a);
    let bp = positiveSparse(b);
    let bounds = a.customValues;
    const reconciled = !sameBounds(a.customValues, b.customValues);
    if (reconciled) {
      const inB = new Set(b.customValues);
      bounds = a.customValues.filter((v) => inB.has(v));
      ap = rebucketCustom(ap, a.customValues, bounds);
      bp = rebucketCustom(bp, b.customValues, bounds);
    }
    const h = withBuckets({ ...a, customValues: [...bounds], count: a.count + factor * b.count, sum: a.sum + factor * b.sum, counterResetHint: hint }, addSparse(ap, bp, factor), { index: [], count: [] });
    return { h, counterResetCollision: collision, boundsReconciled: reconciled };
  }
  const pa = partsOf(a);
  const pb = partsOf(b);
  while (pa.zeroThreshold !== pb.zeroThreshold) {
    if (pa.zeroThreshold > pb.zeroThreshold) widenZeroBucket(pb, pa.zeroThreshold);
    if (pb.zeroThreshold > pa.zeroThreshold) widenZeroBucket(pa, pb.zeroThreshold);
  }
  const schema = Math.min(a.schema, b.schema);
  const positive = addSparse(reduceSparse(pa.positive, a.schema, schema), reduceSparse(pb.positive, b.schema, schema), factor);
  const negative = addSparse(reduceSparse(pa.negative, a.schema, schema), reduceSparse(pb.negative, b.schema, schema), factor);
  const h = withBuckets(
    { ...a, schema, zeroThreshold: pa.zeroThreshold, zeroCount: pa.zeroCount + factor * pb.zeroCount, count: a.count + factor * b.count, sum: a.sum + factor * b.sum, counterResetHint: hint },
    positive,
    negative,
  );
  return { h, counterResetCollision: collision, boundsReconciled: false };
}

/** Every count, the sum and the zero count multiplied by `factor`. */
export function scaleHistogram(h: FloatHistogram, factor: number): FloatHistogram {
  const out = copyHistogram(h);
  out.count *= factor;
  out.sum *= factor;
  out.zeroCount *= factor;
  out.positiveBuckets = out.positiveBuckets.map((c) => c * factor);
  out.negativeBuckets = out.negativeBuckets.map((c) => c * factor);
  out.isInteger = false;
  return out;
}

/**
 * Every count, the sum and the zero count divided by `divisor`. Division by zero gives Inf/NaN
 * in count, sum and zero bucket and removes the other buckets, as Prometheus does.
 */
export function divideHistogram(h: FloatHistogram, divisor: number): FloatHistogram {
  const out = copyHistogram(h);
  out.count /= divisor;
  out.sum /= divisor;
  out.zeroCount /= divisor;
  if (divisor === 0) return { ...out, positiveSpans: [], positiveBuckets: [], negativeSpans: [], negativeBuckets: [], isInteger: false };
  out.positiveBuckets = out.positiveBuckets.map((c) => c / divisor);
  out.negativeBuckets = out.negativeBuckets.map((c) => c / divisor);
  out.isInteger = false;
  return out;
}

/** Whether `cur` (the later sample) starts anew after `prev`, as FloatHistogram.DetectReset. */
export function detectReset(cur: FloatHistogram, prev: FloatHistogram): boolean {
  if (cur.counterResetHint === CounterResetHint.CounterReset) return true;
  if (cur.counterResetHint === CounterResetHint.NotCounterReset) return false;
  if (usesCustomBuckets(cur) !== usesCustomBuckets(prev)) return true;
  if (cur.count < prev.count) return true;
  if (usesCustomBuckets(cur) && !sameBounds(cur.customValues, prev.customValues)) {
    // Different custom bounds are compared on the bounds both have, as addition reconciles them.
    const inPrev = new Set(prev.customValues);
    const common = cur.customValues.filter((v) => inPrev.has(v));
    const c = rebucketCustom(positiveSparse(cur), cur.customValues, common);
    const p = rebucketCustom(positiveSparse(prev), prev.customValues, common);
    return bucketsDecreased(p, c);
  }
  if (cur.schema > prev.schema) return true;
  if (cur.zeroThreshold < prev.zeroThreshold) return true;
  const p = partsOf(prev);
  if (!usesCustomBuckets(cur)) {
    const widened = zeroCountForLargerThreshold(p, cur.zeroThreshold);
    if (widened.threshold !== cur.zeroThreshold) return true;
    if (cur.zeroCount < widened.count) return true;
  }
  const c = partsOf(cur);
  for (const [pb, cb] of [
    [p.positive, c.positive],
    [p.negative, c.negative],
  ] as const) {
    let prevBuckets = usesCustomBuckets(cur) ? pb : trimBelow(pb, prev.schema, cur.zeroThreshold);
    if (!usesCustomBuckets(cur)) prevBuckets = reduceSparse(prevBuckets, prev.schema, cur.schema);
    if (bucketsDecreased(prevBuckets, cb)) return true;
  }
  return false;
}

/** Whether any bucket of `prev` holds more than the same bucket of `cur`. */
function bucketsDecreased(prev: SparseBuckets, cur: SparseBuckets): boolean {
  const p = compactSparse(prev);
  const curCounts = new Map<number, number>();
  for (let i = 0; i < cur.index.length; i++) curCounts.set(cur.index[i]!, cur.count[i]!);
  for (let i = 0; i < p.index.length; i++) if ((curCounts.get(p.index[i]!) ?? 0) < p.count[i]!) return true;
  return false;
}

function sameFloat(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Exact equality of two histograms' data (empty buckets ignored), as changes() compares samples. */
export function histogramsEqual(a: FloatHistogram, b: FloatHistogram): boolean {
  if (a.schema !== b.schema || a.zeroThreshold !== b.zeroThreshold || !sameFloat(a.zeroCount, b.zeroCount) || !sameFloat(a.count, b.count) || !sameFloat(a.sum, b.sum)) return false;
  if (usesCustomBuckets(a) && !sameBounds(a.customValues, b.customValues)) return false;
  for (const [x, y] of [
    [compactSparse(positiveSparse(a)), compactSparse(positiveSparse(b))],
    [compactSparse(negativeSparse(a)), compactSparse(negativeSparse(b))],
  ] as const) {
    if (x.index.length !== y.index.length) return false;
    for (let i = 0; i < x.index.length; i++) if (x.index[i] !== y.index[i] || !sameFloat(x.count[i]!, y.count[i]!)) return false;
  }
  return true;
}

/**
 * The histogram's buckets in the layout of a sum it takes part in: at `schema`, with its zero
 * bucket widened to `zeroThreshold`, or (custom buckets) re-bucketed onto `customValues`.
 */
export function alignedParts(h: FloatHistogram, schema: number, zeroThreshold: number, customValues: readonly number[]): { zeroCount: number; positive: SparseBuckets; negative: SparseBuckets } {
  if (usesCustomBuckets(h)) {
    const positive = sameBounds(h.customValues, customValues) ? positiveSparse(h) : rebucketCustom(positiveSparse(h), h.customValues, customValues);
    return { zeroCount: 0, positive, negative: { index: [], count: [] } };
  }
  const p = partsOf(h);
  if (p.zeroThreshold < zeroThreshold) widenZeroBucket(p, zeroThreshold);
  return { zeroCount: p.zeroCount, positive: reduceSparse(p.positive, h.schema, schema), negative: reduceSparse(p.negative, h.schema, schema) };
}
