// The Prometheus protobuf exposition format (`application/vnd.google.protobuf;
// proto=io.prometheus.client.MetricFamily; encoding=delimited`): varint-length-delimited
// MetricFamily messages, decoded with protobufjs from metrics-proto.ts's descriptor. Samples come
// out as the text format gives them (series text, value, timestamp), so the scrape loop's caches and
// series resolution treat both formats alike: counters, gauges and untyped as one series; summaries
// and classic histograms as their `_count`/`_sum`/quantile/`_bucket` series (le and quantile spelled
// as Prometheus spells them, `1.0` not `1`); native histograms as one FloatHistogram each.
// The light build: reflection from a JSON descriptor, without the .proto parser the full build loads.
import protobuf from 'protobufjs/light.js';
import { LEGACY_LABEL_NAME, LEGACY_METRIC_NAME, newLabels, type Labels } from '../model/labels.js';
import { CounterResetHint, type BucketSpan, type FloatHistogram } from '../model/histogram.js';
import { int64, metricFamilyMessage, ProtoMetricType, type ProtoExemplar, type ProtoHistogram, type ProtoLabelPair, type ProtoMetricFamily, type ProtoTimestamp } from './metrics-proto.js';
import type { MetricMetadata, MetricType, ParsedExemplar, SampleSink } from './text.js';
import { formatOpenMetricsFloat, quote, seriesText } from './series-text.js';


export interface ProtobufParseOptions<T> {
  /** The scrape cache: the value found for a series text is handed on as `cached`. */
  knownSeries?: (series: string) => T | undefined;
  /** Read native histograms (scrape_native_histograms / the native-histograms feature). */
  nativeHistograms?: boolean;
  /** Also give the classic `_bucket` series of a histogram read as native (always_scrape_classic_histograms). */
  alwaysClassicHistograms?: boolean;
  /** created_timestamp as the samples' start timestamps (st-storage). */
  startTimestamps?: boolean;
  /** Hand counter and bucket exemplars to the sinks. */
  exemplars?: boolean;
}

/** Receives each native histogram: series text, the histogram, its own timestamp (ms), start (ms) and exemplars. */
export type HistogramSink<T> = (series: string, h: FloatHistogram, timestamp: number | undefined, cached: T | undefined, start: number | undefined, exemplars: ParsedExemplar[]) => void;

/** A body the protobuf format refuses (the scrape fails with this message). */
export class ProtobufExpositionError extends Error {
  override name = 'ProtobufExpositionError';
}

const TYPE_NAMES: Record<number, MetricType> = { 0: 'counter', 1: 'gauge', 2: 'summary', 3: 'unknown', 4: 'histogram', 5: 'gaugehistogram' };

/**
 * Parses a delimited stream of MetricFamily messages. Floats and classic series go to `sink`,
 * native histograms to `histogramSink`; `metadata` receives each family's type, help and unit.
 * A malformed message throws an ExpositionError (the scrape fails, as Prometheus's does).
 */
export function parseProtobufInto<T>(body: Uint8Array, metadata: Map<string, MetricMetadata> | undefined, options: ProtobufParseOptions<T>, sink: SampleSink<T>, histogramSink: HistogramSink<T>): void {
  const type = metricFamilyMessage();
  const reader = protobuf.Reader.create(body);
  const known = options.knownSeries;
  while (reader.pos < reader.len) {
    let family: ProtoMetricFamily;
    try {
      family = type.decodeDelimited(reader) as ProtoMetricFamily;
    } catch (e) {
      throw new ProtobufExpositionError(`invalid protobuf MetricFamily at byte ${reader.pos}: ${(e as Error).message}`);
    }
    const name = family.name ?? '';
    if (name === '') throw new ProtobufExpositionError('protobuf MetricFamily without a name');
    const familyType = family.type ?? ProtoMetricType.UNTYPED;
    // Suffixes (_count, _sum, _bucket) keep a legacy name legacy: one check per family.
    const legacyName = LEGACY_METRIC_NAME.test(name);
    metadata?.set(name, { type: TYPE_NAMES[familyType] ?? 'unknown', help: family.help ?? '', unit: family.unit ?? '' });
    for (const m of family.metric ?? []) {
      const base = labelText(m.label ?? [], name);
      const ts = int64(m.timestampMs);
      const timestamp = ts !== 0 ? ts : undefined;
      const emit = (suffix: string, extra: string, value: number, start: number | undefined, exemplar?: ParsedExemplar): void => {
        const series = seriesText(name + suffix, base, extra, legacyName);
        sink(series, value, timestamp, known?.(series), start, exemplar);
      };
      switch (familyType) {
        case ProtoMetricType.COUNTER: {
          const c = m.counter;
          const ex = options.exemplars ? exemplarOf(c?.exemplar) : undefined;
          emit('', '', c?.value ?? 0, startOf(options, c?.createdTimestamp), ex);
          break;
        }
        case ProtoMetricType.GAUGE:
          emit('', '', m.gauge?.value ?? 0, undefined);
          break;
        case ProtoMetricType.UNTYPED:
          emit('', '', m.untyped?.value ?? 0, undefined);
          break;
        case ProtoMetricType.SUMMARY: {
          const s = m.summary;
          const start = startOf(options, s?.createdTimestamp);
          emit('_count', '', int64(s?.sampleCount), start);
          emit('_sum', '', s?.sampleSum ?? 0, start);
          for (const q of s?.quantile ?? []) emit('', `quantile=${quote(formatOpenMetricsFloat(q.quantile ?? 0))}`, q.value ?? 0, start);
          break;
        }
        case ProtoMetricType.HISTOGRAM:
        case ProtoMetricType.GAUGE_HISTOGRAM: {
          const h = m.histogram ?? {};
          const start = startOf(options, h.createdTimestamp);
          const native = options.nativeHistograms === true && isNativeHistogram(h);
          if (native) {
            const series = seriesText(name, base, '', legacyName);
            const exemplars = options.exemplars ? nativeExemplars(h) : [];
            histogramSink(series, nativeHistogram(h, familyType === ProtoMetricType.GAUGE_HISTOGRAM, name), timestamp, known?.(series), start, exemplars);
            // Prometheus keeps the classic series of a native histogram only when asked to and when it has any.
            if (!options.alwaysClassicHistograms || (h.bucket ?? []).length === 0) break;
          }
          const floatCounts = (h.sampleCountFloat ?? 0) > 0;
          const count = floatCounts ? h.sampleCountFloat! : int64(h.sampleCount);
          emit('_count', '', count, start);
          emit('_sum', '', h.sampleSum ?? 0, start);
          let sawInf = false;
          for (const b of h.bucket ?? []) {
            const le = b.upperBound ?? 0;
            if (le === Infinity) sawInf = true;
            const v = (b.cumulativeCountFloat ?? 0) > 0 ? b.cumulativeCountFloat! : int64(b.cumulativeCount);
            emit('_bucket', `le=${quote(formatOpenMetricsFloat(le))}`, v, start, options.exemplars ? exemplarOf(b.exemplar) : undefined);
          }
          // The +Inf bucket is optional in the format; its count is the histogram's count.
          if (!sawInf) emit('_bucket', 'le="+Inf"', count, start);
          break;
        }
        default:
          throw new ProtobufExpositionError(`unknown metric type ${familyType} for family ${JSON.stringify(name)}`);
      }
    }
  }
}

/** Whether a protobuf histogram carries a native histogram (Prometheus's test: any span or a zero bucket). */
export function isNativeHistogram(h: ProtoHistogram): boolean {
  return (h.positiveSpan ?? []).length > 0 || (h.negativeSpan ?? []).length > 0 || (h.zeroThreshold ?? 0) > 0 || int64(h.zeroCount) > 0 || (h.zeroCountFloat ?? 0) > 0;
}

/** A protobuf native histogram as absolute counts (integer deltas summed, float counts as they are). */
export function nativeHistogram(h: ProtoHistogram, gauge: boolean, family: string): FloatHistogram {
  const schema = h.schema ?? 0;
  if (schema < -4) throw new ProtobufExpositionError(`native histogram ${JSON.stringify(family)}: schema ${schema} is below -4`);
  // 9..52 are taken (the scrape reduces them to 8, as Prometheus 3 does); above that a schema is unknown.
  if (schema > 52) throw new ProtobufExpositionError(`native histogram ${JSON.stringify(family)}: schema ${schema} is above 52`);
  const isFloat = (h.sampleCountFloat ?? 0) > 0 || (h.zeroCountFloat ?? 0) > 0;
  const side = (spans: { offset?: number; length?: number }[] | undefined, deltas: protobufInt[] | undefined, counts: number[] | undefined, which: string): { spans: BucketSpan[]; buckets: number[] } => {
    const sp = (spans ?? []).map((s) => ({ offset: s.offset ?? 0, length: s.length ?? 0 }));
    const n = sp.reduce((a, s) => a + s.length, 0);
    let buckets: number[];
    if (isFloat) {
      buckets = counts ?? [];
    } else {
      buckets = new Array<number>((deltas ?? []).length);
      let acc = 0;
      (deltas ?? []).forEach((d, i) => {
        acc += int64(d);
        if (acc < 0) throw new ProtobufExpositionError(`native histogram ${JSON.stringify(family)}: ${which} bucket ${i} has a negative count`);
        buckets[i] = acc;
      });
    }
    if (buckets.length !== n) throw new ProtobufExpositionError(`native histogram ${JSON.stringify(family)}: ${which} spans cover ${n} buckets but ${buckets.length} counts are given`);
    return { spans: sp, buckets };
  };
  const pos = side(h.positiveSpan, h.positiveDelta, h.positiveCount, 'positive');
  const neg = side(h.negativeSpan, h.negativeDelta, h.negativeCount, 'negative');
  return {
    counterResetHint: gauge ? CounterResetHint.Gauge : CounterResetHint.Unknown,
    schema,
    zeroThreshold: h.zeroThreshold ?? 0,
    zeroCount: isFloat ? (h.zeroCountFloat ?? 0) : int64(h.zeroCount),
    count: isFloat ? (h.sampleCountFloat ?? 0) : int64(h.sampleCount),
    sum: h.sampleSum ?? 0,
    positiveSpans: pos.spans,
    positiveBuckets: pos.buckets,
    negativeSpans: neg.spans,
    negativeBuckets: neg.buckets,
    customValues: [],
    isInteger: !isFloat,
  };
}
type protobufInt = Parameters<typeof int64>[0];

/** A native histogram's exemplars: its own list, else its buckets'; only those with a timestamp (Prometheus cannot order the others). */
function nativeExemplars(h: ProtoHistogram): ParsedExemplar[] {
  const list = (h.exemplars ?? []).length > 0 ? h.exemplars! : (h.bucket ?? []).flatMap((b) => (b.exemplar ? [b.exemplar] : []));
  const out: ParsedExemplar[] = [];
  for (const e of list) {
    const ex = exemplarOf(e);
    if (ex?.timestamp !== undefined) out.push(ex);
  }
  return out;
}

function exemplarOf(e: ProtoExemplar | null | undefined): ParsedExemplar | undefined {
  if (!e) return undefined;
  const labels: Labels = newLabels();
  for (const l of e.label ?? []) labels[l.name ?? ''] = l.value ?? '';
  const ex: ParsedExemplar = { labels, value: e.value ?? 0 };
  const t = timestampMs(e.timestamp);
  if (t !== undefined) ex.timestamp = t;
  return ex;
}

function startOf(options: ProtobufParseOptions<unknown>, t: ProtoTimestamp | null | undefined): number | undefined {
  return options.startTimestamps ? timestampMs(t) : undefined;
}

/** A google.protobuf.Timestamp in ms; undefined when unset or zero. */
function timestampMs(t: ProtoTimestamp | null | undefined): number | undefined {
  if (!t) return undefined;
  const ms = int64(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  return ms !== 0 ? ms : undefined;
}

/** Label names seen and whether they are legacy names: a target repeats a few names many times. */
const legacyLabelNames = new Map<string, boolean>();

function isLegacyLabelName(n: string): boolean {
  let legacy = legacyLabelNames.get(n);
  if (legacy === undefined) {
    legacy = LEGACY_LABEL_NAME.test(n);
    // Bounded: a target with ever new label names must not grow this without limit.
    if (legacyLabelNames.size > 10_000) legacyLabelNames.clear();
    legacyLabelNames.set(n, legacy);
  }
  return legacy;
}

/** The label pairs as the inside of a series text (`a="b",c="d"`). */
function labelText(labels: readonly ProtoLabelPair[], family: string): string {
  let out = '';
  for (const l of labels) {
    const n = l.name ?? '';
    if (n === '') throw new ProtobufExpositionError(`family ${JSON.stringify(family)}: a label without a name`);
    out += `${out === '' ? '' : ','}${isLegacyLabelName(n) ? n : quote(n)}=${quote(l.value ?? '')}`;
  }
  return out;
}

