// What a scrape does to native histograms before they are stored, as Prometheus does it:
// native_histogram_min_bucket_factor and schemas above 8 lower the resolution,
// native_histogram_bucket_limit lowers it until the histogram fits (or fails the scrape), and
// convert_classic_histograms_to_nhcb turns a classic histogram's `_bucket`/`_count`/`_sum`
// series into one native histogram with custom bucket boundaries.
import { CounterResetHint, CUSTOM_BUCKETS_SCHEMA, type BucketSpan, type FloatHistogram } from '../model/histogram.js';
import type { Labels } from '../model/labels.js';
import { ScrapeFailure } from './ingest.js';

const MIN_SCHEMA = -4;
const MAX_SCHEMA = 8;

/** The message of a scrape that fails because a histogram cannot be brought under the bucket limit (Prometheus's). */
export const BUCKET_LIMIT_ERROR = 'histogram bucket limit exceeded';

/** Bucket indices and counts of one side, expanded from spans. */
function expand(spans: readonly BucketSpan[], counts: readonly number[]): { idx: number[]; counts: number[] } {
  const idx: number[] = [];
  let at = 0;
  let k = 0;
  for (const s of spans) {
    at += s.offset;
    for (let i = 0; i < s.length; i++) idx.push(at + i);
    at += s.length;
    k += s.length;
  }
  return { idx, counts: counts.slice(0, k) };
}

/** Spans for ascending bucket indices: consecutive indices share a span. */
export function spansFor(idx: readonly number[]): BucketSpan[] {
  const spans: BucketSpan[] = [];
  let next = 0;
  for (let i = 0; i < idx.length; i++) {
    const b = idx[i]!;
    const last = spans[spans.length - 1];
    if (last !== undefined && b === next) last.length++;
    else spans.push({ offset: spans.length === 0 ? b : b - next, length: 1 });
    next = b + 1;
  }
  return spans;
}

/** One side merged to a lower schema: bucket i of schema s lies in bucket ceil(i / 2^(s - target)) of the target. */
function reduceSide(spans: readonly BucketSpan[], counts: readonly number[], delta: number): { spans: BucketSpan[]; buckets: number[] } {
  const { idx, counts: c } = expand(spans, counts);
  const outIdx: number[] = [];
  const outCounts: number[] = [];
  const scale = 2 ** delta;
  idx.forEach((i, k) => {
    const target = Math.ceil(i / scale);
    if (outIdx.length > 0 && outIdx[outIdx.length - 1] === target) outCounts[outCounts.length - 1]! += c[k]!;
    else {
      outIdx.push(target);
      outCounts.push(c[k]!);
    }
  });
  return { spans: spansFor(outIdx), buckets: outCounts };
}

/** The histogram at a lower exponential schema (buckets merged in pairs per step). */
export function reduceResolution(h: FloatHistogram, target: number): FloatHistogram {
  if (h.schema === CUSTOM_BUCKETS_SCHEMA || target >= h.schema) return h;
  const delta = h.schema - target;
  const pos = reduceSide(h.positiveSpans, h.positiveBuckets, delta);
  const neg = reduceSide(h.negativeSpans, h.negativeBuckets, delta);
  return { ...h, schema: target, positiveSpans: pos.spans, positiveBuckets: pos.buckets, negativeSpans: neg.spans, negativeBuckets: neg.buckets };
}

/** The largest schema whose bucket growth factor (2^(2^-schema)) is at least `factor` (-4 when none is). */
export function maxSchemaForFactor(factor: number): number {
  let schema = MAX_SCHEMA;
  let growth = 2 ** (2 ** -MAX_SCHEMA);
  while (growth < factor && schema > MIN_SCHEMA) {
    growth *= growth;
    schema--;
  }
  return schema;
}

export interface HistogramLimits {
  /** native_histogram_bucket_limit; 0: none. */
  bucketLimit: number;
  /** native_histogram_min_bucket_factor; 0 or 1: none. */
  minBucketFactor: number;
}

/** Applies the schema cap, min bucket factor and bucket limit; throws a ScrapeFailure when the limit cannot be met. */
export function limitHistogram(h: FloatHistogram, limits: HistogramLimits): FloatHistogram {
  const bucketCount = (x: FloatHistogram): number => x.positiveBuckets.length + x.negativeBuckets.length;
  if (h.schema === CUSTOM_BUCKETS_SCHEMA) {
    // Custom buckets cannot be merged without changing what they mean.
    if (limits.bucketLimit > 0 && bucketCount(h) > limits.bucketLimit) throw new ScrapeFailure(BUCKET_LIMIT_ERROR);
    return h;
  }
  let out = h;
  let maxSchema = MAX_SCHEMA;
  if (limits.minBucketFactor > 1) maxSchema = Math.min(maxSchema, maxSchemaForFactor(limits.minBucketFactor));
  if (out.schema > maxSchema) out = reduceResolution(out, maxSchema);
  if (limits.bucketLimit > 0) {
    while (bucketCount(out) > limits.bucketLimit) {
      if (out.schema <= MIN_SCHEMA) throw new ScrapeFailure(BUCKET_LIMIT_ERROR);
      out = reduceResolution(out, out.schema - 1);
    }
  }
  return out;
}

/** The samples of one classic histogram while a scrape is read. */
interface ClassicGroup {
  name: string;
  labels: Labels;
  buckets: Map<number, number>;
  count?: number;
  sum?: number;
  timestamp: number | undefined;
  start: number | undefined;
}

/**
 * Collects the `_bucket`, `_count` and `_sum` samples of classic histograms and turns each
 * histogram into a custom-bucket native histogram (NHCB): the finite `le` bounds become the custom
 * values, the cumulative counts become per-bucket counts, the last bucket is (last bound, +Inf].
 */
export class ClassicToNhcb {
  private readonly groups = new Map<string, ClassicGroup>();

  /** Takes one sample of a classic histogram family (`suffix` is `_bucket`, `_count` or `_sum`); false when it is not one (no `le` on a bucket). */
  add(family: string, suffix: string, labels: Labels, value: number, timestamp: number | undefined, start: number | undefined): boolean {
    const rest: Labels = Object.create(null) as Labels;
    let le: string | undefined;
    for (const k of Object.keys(labels)) {
      if (k === '__name__') continue;
      if (k === 'le' && suffix === '_bucket') le = labels[k];
      else rest[k] = labels[k]!;
    }
    if (suffix === '_bucket' && le === undefined) return false;
    const key = family + '\u0000' + Object.keys(rest).sort().map((k) => `${k}\u0001${rest[k]}`).join('\u0000');
    let g = this.groups.get(key);
    if (g === undefined) {
      g = { name: family, labels: rest, buckets: new Map(), timestamp, start };
      this.groups.set(key, g);
    }
    if (suffix === '_bucket') {
      const bound = le === '+Inf' ? Infinity : Number(le);
      if (Number.isNaN(bound)) return false;
      g.buckets.set(bound, value);
    } else if (suffix === '_count') g.count = value;
    else g.sum = value;
    return true;
  }

  /** The converted histograms, with the labels (metric name included) they are stored under. */
  histograms(): { labels: Labels; h: FloatHistogram; timestamp: number | undefined; start: number | undefined }[] {
    const out: { labels: Labels; h: FloatHistogram; timestamp: number | undefined; start: number | undefined }[] = [];
    for (const g of this.groups.values()) {
      const bounds = [...g.buckets.keys()].sort((a, b) => a - b);
      const finite = bounds.filter((b) => b !== Infinity);
      const total = g.count ?? g.buckets.get(Infinity) ?? (bounds.length > 0 ? g.buckets.get(bounds[bounds.length - 1]!)! : 0);
      const idx: number[] = [];
      const counts: number[] = [];
      let previous = 0;
      finite.forEach((b, i) => {
        const cumulative = g.buckets.get(b)!;
        const c = cumulative - previous;
        previous = cumulative;
        if (c !== 0) {
          idx.push(i);
          counts.push(Math.max(c, 0));
        }
      });
      if (total - previous > 0) {
        idx.push(finite.length);
        counts.push(total - previous);
      }
      const labels: Labels = Object.create(null) as Labels;
      labels['__name__'] = g.name;
      for (const k of Object.keys(g.labels)) labels[k] = g.labels[k]!;
      const integral = counts.every(Number.isInteger) && Number.isInteger(total);
      out.push({
        labels,
        h: { counterResetHint: CounterResetHint.Unknown, schema: CUSTOM_BUCKETS_SCHEMA, zeroThreshold: 0, zeroCount: 0, count: total, sum: g.sum ?? 0, positiveSpans: spansFor(idx), positiveBuckets: counts, negativeSpans: [], negativeBuckets: [], customValues: finite, isInteger: integral },
        timestamp: g.timestamp,
        start: g.start,
      });
    }
    return out;
  }

  get size(): number {
    return this.groups.size;
  }
}
