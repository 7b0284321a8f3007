// A native histogram as the HTTP API writes it (Prometheus's JSON): count and sum as strings, and
// the non-empty buckets in ascending order as [boundaryRule, lower, upper, count], where the rule
// says which ends are inclusive: 0 = (lower, upper] (positive and custom buckets), 1 = [lower, upper)
// (negative buckets), 2 = (lower, upper), 3 = [lower, upper] (the zero bucket).
import { CUSTOM_BUCKETS_SCHEMA, type FloatHistogram } from '../../model/histogram.js';
import { formatJsonValue } from '../../model/float.js';
import { allBuckets } from '../../promql/histogram/buckets.js';

export type HistogramBucketJson = [number, string, string, string];

export interface HistogramJson {
  count: string;
  sum: string;
  buckets?: HistogramBucketJson[];
}

/** Which ends of a bucket are inclusive, as Prometheus numbers it. */
function boundaryRule(lowerInclusive: boolean, upperInclusive: boolean): number {
  if (lowerInclusive) return upperInclusive ? 3 : 1;
  return upperInclusive ? 0 : 2;
}

/** The histogram's JSON object (buckets left out when all are empty, as Prometheus does). */
export function histogramJson(h: FloatHistogram): HistogramJson {
  const buckets: HistogramBucketJson[] = [];
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    // Negative buckets hold values in [lower, upper); the zero bucket is closed on both ends.
    const negative = !b.zero && b.upper <= 0 && h.schema !== CUSTOM_BUCKETS_SCHEMA;
    const rule = b.zero ? boundaryRule(true, true) : negative ? boundaryRule(true, false) : boundaryRule(false, true);
    buckets.push([rule, formatJsonValue(b.lower), formatJsonValue(b.upper), formatJsonValue(b.count)]);
  }
  const out: HistogramJson = { count: formatJsonValue(h.count), sum: formatJsonValue(h.sum) };
  if (buckets.length > 0) out.buckets = buckets;
  return out;
}

/** `[t, {...}]`: a histogram point of the API (t in seconds). */
export function histogramPointJson(tMs: number, h: FloatHistogram): [number, HistogramJson] {
  return [tMs / 1000, histogramJson(h)];
}
