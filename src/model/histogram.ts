// The data of one native-histogram sample, shared by every room that holds one: the scrape's
// protobuf parser, the storage (which encodes it for the native TSDB), PromQL and the HTTP API.
// It mirrors Prometheus's FloatHistogram: buckets as absolute counts, positions given by spans.
// Integer histograms (what the protobuf exposition and chunk encoding 2 carry) are represented
// with integral counts; `isInteger` tells the storage which chunk encoding to use.

/** Prometheus's CounterResetHint. */
export const CounterResetHint = {
  Unknown: 0,
  CounterReset: 1,
  NotCounterReset: 2,
  Gauge: 3,
} as const;
export type CounterResetHint = (typeof CounterResetHint)[keyof typeof CounterResetHint];

/** A run of `length` consecutive buckets starting `offset` buckets after the previous span's end. */
export interface BucketSpan {
  offset: number;
  length: number;
}

/** Schema of native histograms with custom bucket boundaries (NHCB). */
export const CUSTOM_BUCKETS_SCHEMA = -53;

export interface FloatHistogram {
  counterResetHint: CounterResetHint;
  /** -4..8 for exponential buckets, CUSTOM_BUCKETS_SCHEMA for custom boundaries. */
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  count: number;
  sum: number;
  positiveSpans: BucketSpan[];
  /** Absolute counts, one per bucket the spans cover. */
  positiveBuckets: number[];
  negativeSpans: BucketSpan[];
  negativeBuckets: number[];
  /** Upper bounds of the custom buckets (schema CUSTOM_BUCKETS_SCHEMA only), ascending, without +Inf. */
  customValues: number[];
  /** True when every count is integral and the sample came as an integer histogram. */
  isInteger?: boolean;
}
