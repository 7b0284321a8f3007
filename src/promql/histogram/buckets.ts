// The bucket layout of native histograms: bucket boundaries per schema, a sparse view of the
// buckets (index and count, in index order) that every operation works on, rebuilding spans from
// it, and reducing the resolution to a coarser schema. Mirrors the semantics of Prometheus's
// histogram package (exponential boundaries 2^(2^-schema)^i, custom boundaries for schema -53).
import type { BucketSpan, FloatHistogram } from '../../model/histogram.js';
import { CUSTOM_BUCKETS_SCHEMA, CounterResetHint } from '../../model/histogram.js';

/** Buckets as parallel arrays of bucket index and count, ascending by index. */
export interface SparseBuckets {
  index: number[];
  count: number[];
}

/** One bucket with its bounds, as the iterators of Prometheus yield them. */
export interface BucketWithBounds {
  lower: number;
  upper: number;
  count: number;
  /** True for the zero bucket of an exponential histogram. */
  zero: boolean;
}

export function usesCustomBuckets(h: FloatHistogram): boolean {
  return h.schema === CUSTOM_BUCKETS_SCHEMA;
}

/** x * 2^exp without overflowing in the intermediate power (Go's math.Ldexp). */
function ldexp(frac: number, exp: number): number {
  if (exp > 1023) return frac * 2 ** 1023 * 2 ** (exp - 1023);
  if (exp < -1022) return frac * 2 ** -1022 * 2 ** (exp + 1022);
  return frac * 2 ** exp;
}

/** The upper bound of exponential bucket `index` (its lower bound is the bound of index-1). */
export function exponentialBound(index: number, schema: number): number {
  if (schema < 0) {
    const exp = index * 2 ** -schema;
    // The last bucket of finite numbers ends at the largest double, not at +Inf (that is the next one's).
    if (exp === 1024) return Number.MAX_VALUE;
    return ldexp(1, exp);
  }
  const perOctave = 2 ** schema;
  const fracIndex = ((index % perOctave) + perOctave) % perOctave;
  const frac = 2 ** (fracIndex / perOctave) / 2;
  const exp = Math.floor(index / perOctave) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return ldexp(frac, exp);
}

/** The upper bound of a positive (or custom) bucket of the histogram. */
export function bucketUpper(h: FloatHistogram, index: number): number {
  if (usesCustomBuckets(h)) return index < h.customValues.length ? h.customValues[index]! : Infinity;
  return exponentialBound(index, h.schema);
}

/** The lower bound of a positive (or custom) bucket of the histogram. */
export function bucketLower(h: FloatHistogram, index: number): number {
  if (usesCustomBuckets(h)) return index === 0 ? -Infinity : h.customValues[index - 1]!;
  return exponentialBound(index - 1, h.schema);
}

/** Spans + absolute counts to the sparse view (zero-count buckets kept; `compactSparse` drops them). */
export function toSparse(spans: readonly BucketSpan[], buckets: readonly number[]): SparseBuckets {
  const out: SparseBuckets = { index: [], count: [] };
  let idx = 0;
  let k = 0;
  // The first span's offset is the first index; later offsets are gaps after the previous span.
  for (const s of spans) {
    idx += s.offset;
    for (let j = 0; j < s.length; j++) {
      out.index.push(idx);
      out.count.push(buckets[k++] ?? 0);
      idx++;
    }
  }
  return out;
}

/** The sparse view without zero-count buckets. */
export function compactSparse(b: SparseBuckets): SparseBuckets {
  const out: SparseBuckets = { index: [], count: [] };
  for (let i = 0; i < b.index.length; i++) {
    if (b.count[i] === 0) continue;
    out.index.push(b.index[i]!);
    out.count.push(b.count[i]!);
  }
  return out;
}

/** Spans and counts from the sparse view; adjacent indexes share a span. */
export function fromSparse(b: SparseBuckets): { spans: BucketSpan[]; buckets: number[] } {
  const spans: BucketSpan[] = [];
  let next = 0;
  for (let i = 0; i < b.index.length; i++) {
    const idx = b.index[i]!;
    if (spans.length > 0 && idx === next) spans[spans.length - 1]!.length++;
    else spans.push({ offset: spans.length === 0 ? idx : idx - next, length: 1 });
    next = idx + 1;
  }
  return { spans, buckets: [...b.count] };
}

/** Sums the buckets of two sparse views index by index. */
export function addSparse(a: SparseBuckets, b: SparseBuckets, factor = 1): SparseBuckets {
  const out: SparseBuckets = { index: [], count: [] };
  let i = 0;
  let j = 0;
  while (i < a.index.length || j < b.index.length) {
    const ai = i < a.index.length ? a.index[i]! : Infinity;
    const bj = j < b.index.length ? b.index[j]! : Infinity;
    if (ai === bj) {
      out.index.push(ai);
      out.count.push(a.count[i++]! + factor * b.count[j++]!);
    } else if (ai < bj) {
      out.index.push(ai);
      out.count.push(a.count[i++]!);
    } else {
      out.index.push(bj);
      out.count.push(factor * b.count[j++]!);
    }
  }
  return out;
}

/** The index a bucket of `from` falls into at the coarser schema `to` (Prometheus's targetIdx). */
export function targetIndex(index: number, from: number, to: number): number {
  return Math.floor((index - 1) / 2 ** (from - to)) + 1;
}

/** Merges buckets into the coarser schema `to`. */
export function reduceSparse(b: SparseBuckets, from: number, to: number): SparseBuckets {
  if (from === to) return { index: [...b.index], count: [...b.count] };
  const out: SparseBuckets = { index: [], count: [] };
  for (let i = 0; i < b.index.length; i++) {
    const t = targetIndex(b.index[i]!, from, to);
    if (out.index.length > 0 && out.index[out.index.length - 1] === t) out.count[out.count.length - 1]! += b.count[i]!;
    else {
      out.index.push(t);
      out.count.push(b.count[i]!);
    }
  }
  return out;
}

export function positiveSparse(h: FloatHistogram): SparseBuckets {
  return toSparse(h.positiveSpans, h.positiveBuckets);
}

export function negativeSparse(h: FloatHistogram): SparseBuckets {
  return toSparse(h.negativeSpans, h.negativeBuckets);
}

/** A histogram with the given buckets and the other fields of `h`. */
export function withBuckets(h: FloatHistogram, positive: SparseBuckets, negative: SparseBuckets): FloatHistogram {
  const p = fromSparse(positive);
  const n = fromSparse(negative);
  return { ...h, positiveSpans: p.spans, positiveBuckets: p.buckets, negativeSpans: n.spans, negativeBuckets: n.buckets, customValues: [...h.customValues], isInteger: false };
}

export function copyHistogram(h: FloatHistogram): FloatHistogram {
  return {
    ...h,
    positiveSpans: h.positiveSpans.map((s) => ({ ...s })),
    positiveBuckets: [...h.positiveBuckets],
    negativeSpans: h.negativeSpans.map((s) => ({ ...s })),
    negativeBuckets: [...h.negativeBuckets],
    customValues: [...h.customValues],
  };
}

/** Empty buckets removed and adjacent spans merged (Prometheus's Compact(0)). */
export function compact(h: FloatHistogram): FloatHistogram {
  return withBuckets(h, compactSparse(positiveSparse(h)), compactSparse(negativeSparse(h)));
}

/** The histogram at a coarser schema (exponential schemas only). */
export function reduceResolution(h: FloatHistogram, schema: number): FloatHistogram {
  if (usesCustomBuckets(h) || schema >= h.schema) return h;
  return { ...withBuckets(h, reduceSparse(positiveSparse(h), h.schema, schema), reduceSparse(negativeSparse(h), h.schema, schema)), schema };
}

/**
 * Every bucket in ascending order of value: negative buckets (most negative first), the zero
 * bucket, then positive (or custom) buckets. Zero-count buckets are included.
 */
export function allBuckets(h: FloatHistogram): BucketWithBounds[] {
  const out: BucketWithBounds[] = [];
  if (usesCustomBuckets(h)) {
    const p = positiveSparse(h);
    for (let i = 0; i < p.index.length; i++) out.push({ lower: bucketLower(h, p.index[i]!), upper: bucketUpper(h, p.index[i]!), count: p.count[i]!, zero: false });
    return out;
  }
  const n = negativeSparse(h);
  for (let i = n.index.length - 1; i >= 0; i--) out.push({ lower: -exponentialBound(n.index[i]!, h.schema), upper: -exponentialBound(n.index[i]! - 1, h.schema), count: n.count[i]!, zero: false });
  if (h.zeroThreshold !== 0 || h.zeroCount !== 0) out.push({ lower: -h.zeroThreshold, upper: h.zeroThreshold, count: h.zeroCount, zero: true });
  const p = positiveSparse(h);
  for (let i = 0; i < p.index.length; i++) out.push({ lower: exponentialBound(p.index[i]! - 1, h.schema), upper: exponentialBound(p.index[i]!, h.schema), count: p.count[i]!, zero: false });
  return out;
}

/** An empty histogram of the given schema (and custom bounds). */
export function emptyHistogram(schema = 0, customValues: number[] = []): FloatHistogram {
  return { counterResetHint: CounterResetHint.Unknown, schema, zeroThreshold: 0, zeroCount: 0, count: 0, sum: 0, positiveSpans: [], positiveBuckets: [], negativeSpans: [], negativeBuckets: [], customValues: [...customValues] };
}
