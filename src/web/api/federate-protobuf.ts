// /federate in the protobuf exposition format, which Prometheus serves when the scraper's Accept
// header asks for it: the only format that carries native histograms. Floats are untyped metrics,
// histograms are native histograms (integer ones with bucket deltas, float ones with absolute counts).
import { encodeMetricFamilies, ProtoMetricType, type ProtoHistogram, type ProtoMetric, type ProtoMetricFamily } from '../../exposition/metrics-proto.js';
import { CounterResetHint, CUSTOM_BUCKETS_SCHEMA, type FloatHistogram } from '../../model/histogram.js';

export const FEDERATE_PROTOBUF_CONTENT_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** Whether an Accept header asks for the delimited MetricFamily protobuf format (as expfmt.Negotiate reads it). */
export function acceptsProtobuf(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((x) => x.trim());
    if (type?.toLowerCase() !== 'application/vnd.google.protobuf') continue;
    const p = new Map(params.map((x) => x.split('=').map((y) => y.trim()) as [string, string]));
    const q = p.get('q');
    if (q !== undefined && Number(q) === 0) continue;
    if (p.get('proto') === 'io.prometheus.client.MetricFamily' && p.get('encoding') === 'delimited') return true;
  }
  return false;
}

/** One federated series: its name, the other labels (sorted), the sample's time and a float or a histogram. */
export interface FederatedRow {
  name: string;
  labels: [string, string][];
  t: number;
  v: number;
  h?: FloatHistogram;
}

/** A FloatHistogram as the exposition's Histogram message; undefined for custom buckets, which the format cannot carry. */
export function histogramToProto(h: FloatHistogram): ProtoHistogram | undefined {
  if (h.schema === CUSTOM_BUCKETS_SCHEMA) return undefined;
  const integer = h.isInteger === true;
  const deltas = (counts: readonly number[]): number[] => counts.map((c, i) => c - (i > 0 ? counts[i - 1]! : 0));
  const out: ProtoHistogram = {
    sampleSum: h.sum,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    // An empty histogram is marked native by a zero-length span, as client libraries do.
    positiveSpan: h.positiveSpans.length > 0 || h.negativeSpans.length > 0 || h.zeroThreshold > 0 ? h.positiveSpans.map((s) => ({ ...s })) : [{ offset: 0, length: 0 }],
    negativeSpan: h.negativeSpans.map((s) => ({ ...s })),
  };
  if (integer) {
    out.sampleCount = h.count;
    out.zeroCount = h.zeroCount;
    out.positiveDelta = deltas(h.positiveBuckets);
    out.negativeDelta = deltas(h.negativeBuckets);
  } else {
    // A float count of 0 would read as "not a float histogram"; the integer fields say 0 just as well.
    if (h.count > 0) out.sampleCountFloat = h.count;
    if (h.zeroCount > 0) out.zeroCountFloat = h.zeroCount;
    out.positiveCount = [...h.positiveBuckets];
    out.negativeCount = [...h.negativeBuckets];
  }
  return out;
}

/** The rows (sorted by name) as delimited MetricFamily messages: one family per name and kind. */
export function encodeFederationProtobuf(rows: readonly FederatedRow[]): Uint8Array {
  const families: ProtoMetricFamily[] = [];
  let current: ProtoMetricFamily | undefined;
  for (const r of rows) {
    let metric: ProtoMetric;
    let type: number;
    const label = r.labels.map(([name, value]) => ({ name, value }));
    if (r.h !== undefined) {
      const histogram = histogramToProto(r.h);
      if (histogram === undefined) continue;
      type = r.h.counterResetHint === CounterResetHint.Gauge ? ProtoMetricType.GAUGE_HISTOGRAM : ProtoMetricType.HISTOGRAM;
      metric = { label, histogram, timestampMs: r.t };
    } else {
      type = ProtoMetricType.UNTYPED;
      metric = { label, untyped: { value: r.v }, timestampMs: r.t };
    }
    if (current === undefined || current.name !== r.name || current.type !== type) {
      current = { name: r.name, type, metric: [] };
      families.push(current);
    }
    current.metric!.push(metric);
  }
  return encodeMetricFamilies(families);
}
