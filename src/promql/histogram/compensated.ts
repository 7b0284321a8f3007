// Sums and means of many native histograms computed field by field with compensated (Kahan)
// summation, as Prometheus 3 does for sum/avg aggregation and sum_over_time/avg_over_time: the
// layout (schema, zero bucket, custom bounds, hint) comes from adding them up, every count, the
// sum and every bucket from a compensated sum (or a mean that survives overflow) of the inputs
// aligned to that layout.
import type { FloatHistogram } from '../../model/histogram.js';
import { avg, kahanSum } from '../float-sums.js';
import type { SumResult } from './arithmetic.js';
import { addHistograms, alignedParts } from './arithmetic.js';
import type { SparseBuckets } from './buckets.js';
import { copyHistogram, withBuckets } from './buckets.js';

function foldBuckets(all: readonly SparseBuckets[], fold: (v: readonly number[]) => number): SparseBuckets {
  const indexes = [...new Set(all.flatMap((b) => b.index))].sort((a, b) => a - b);
  const maps = all.map((b) => new Map(b.index.map((i, k) => [i, b.count[k]!])));
  return { index: indexes, count: indexes.map((i) => fold(maps.map((m) => m.get(i) ?? 0))) };
}

/** The sum ('sum') or mean ('avg') of the histograms. Throws IncompatibleSchemaError. */
export function combineHistograms(hists: readonly FloatHistogram[], mode: 'sum' | 'avg'): SumResult {
  let layout = copyHistogram(hists[0]!);
  let counterResetCollision = false;
  let boundsReconciled = false;
  for (const h of hists.slice(1)) {
    const r = addHistograms(layout, h);
    layout = r.h;
    counterResetCollision ||= r.counterResetCollision;
    boundsReconciled ||= r.boundsReconciled;
  }
  const fold = mode === 'sum' ? kahanSum : avg;
  const parts = hists.map((h) => alignedParts(h, layout.schema, layout.zeroThreshold, layout.customValues));
  const h = withBuckets(
    { ...layout, count: fold(hists.map((x) => x.count)), sum: fold(hists.map((x) => x.sum)), zeroCount: fold(parts.map((p) => p.zeroCount)) },
    foldBuckets(
      parts.map((p) => p.positive),
      fold,
    ),
    foldBuckets(
      parts.map((p) => p.negative),
      fold,
    ),
  );
  return { h, counterResetCollision, boundsReconciled };
}
