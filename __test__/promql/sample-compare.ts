// How Prometheus's PromQL test runner compares result samples with expected ones
// (shared/conformance/promql/FORMAT.md, sections 4.2 and 4.4): floats within a relative
// tolerance of 1e-6 (stale markers and NaNs only match their own kind), native histograms
// compacted on both sides and then compared field by field with the same tolerance.
import type { FloatHistogram } from '../../src/model/histogram.js';

import { STALE } from '../../src/promql/series-notation.js';
import type { SequenceHistogram } from '../../src/promql/series-notation.js';
import { compactSparse, negativeSparse, positiveSparse, usesCustomBuckets } from '../../src/promql/histogram/buckets.js';
import type { SparseBuckets } from '../../src/promql/histogram/buckets.js';

const MIN_NORMAL = 2.2250738585072014e-308;
const STALE_BITS = 0x7ff0000000000002n;

function isStale(v: number): boolean {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v);
  return b.getBigUint64(0) === STALE_BITS;
}

export function floatsMatch(expected: number | typeof STALE, got: number): boolean {
  if (expected === STALE) return isStale(got);
  if (isStale(got)) return false;
  if (Number.isNaN(expected) && Number.isNaN(got)) return true;
  if (expected === got) return true;
  const absSum = Math.abs(expected) + Math.abs(got);
  const diff = Math.abs(expected - got);
  if (expected === 0 || got === 0 || absSum < MIN_NORMAL) return diff < 1e-6 * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < 1e-6;
}

const HINT_NAMES = ['unknown', 'reset', 'not_reset', 'gauge'];

function formatSparse(b: SparseBuckets): string {
  return b.index.map((i, k) => `${i}:${b.count[k]}`).join(' ');
}

/** A histogram in the notation of the scripts (buckets as index:count), for failure messages. */
export function formatHistogram(h: FloatHistogram): string {
  const parts = [`schema:${h.schema}`, `count:${h.count}`, `sum:${h.sum}`];
  if (h.zeroCount !== 0 || h.zeroThreshold !== 0) parts.push(`z_bucket:${h.zeroCount}`, `z_bucket_w:${h.zeroThreshold}`);
  const p = compactSparse(positiveSparse(h));
  const n = compactSparse(negativeSparse(h));
  if (p.index.length) parts.push(`buckets:[${formatSparse(p)}]`);
  if (n.index.length) parts.push(`n_buckets:[${formatSparse(n)}]`);
  if (usesCustomBuckets(h)) parts.push(`custom_values:[${h.customValues.join(' ')}]`);
  parts.push(`counter_reset_hint:${HINT_NAMES[h.counterResetHint]}`);
  return `{{${parts.join(' ')}}}`;
}

function bucketsMismatch(kind: string, want: SparseBuckets, got: SparseBuckets): string | undefined {
  if (want.index.length !== got.index.length || want.index.some((v, i) => v !== got.index[i])) return `${kind} bucket layout differs`;
  for (let i = 0; i < want.index.length; i++) if (!floatsMatch(want.count[i]!, got.count[i]!)) return `${kind} bucket ${want.index[i]} differs`;
  return undefined;
}

/** Undefined when the returned histogram matches the expected one, else what differs. */
export function histogramMismatch(expected: SequenceHistogram, got: FloatHistogram): string | undefined {
  const w = expected.h;
  const problem = ((): string | undefined => {
    if (w.schema !== got.schema) return 'schema differs';
    if (!floatsMatch(w.count, got.count)) return 'count differs';
    if (!floatsMatch(w.sum, got.sum)) return 'sum differs';
    if (!floatsMatch(w.zeroCount, got.zeroCount)) return 'zero count differs';
    if (w.zeroThreshold !== got.zeroThreshold) return 'zero threshold differs';
    if (usesCustomBuckets(w) && (w.customValues.length !== got.customValues.length || w.customValues.some((v, i) => v !== got.customValues[i]))) return 'custom bounds differ';
    if (expected.hintSpelled && w.counterResetHint !== got.counterResetHint) return 'counter reset hint differs';
    return bucketsMismatch('positive', compactSparse(positiveSparse(w)), compactSparse(positiveSparse(got))) ?? bucketsMismatch('negative', compactSparse(negativeSparse(w)), compactSparse(negativeSparse(got)));
  })();
  return problem ? `${problem}: expected ${formatHistogram(w)}${expected.hintSpelled ? '' : ' (any hint)'}, got ${formatHistogram(got)}` : undefined;
}

