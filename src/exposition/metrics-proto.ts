// The protobuf exposition format's messages (package io.prometheus.client, the client_model
// metrics.proto that client libraries and Prometheus share) as a protobufjs JSON descriptor,
// written from the documented message layout. Field numbers are the wire contract: a change here
// misreads every target. Only the messages a scrape reads (and a test target writes) are listed.
// The light build: reflection from a JSON descriptor, without the .proto parser the full build loads.
import protobuf from 'protobufjs/light.js';

const optional = (type: string, id: number) => ({ type, id });
const repeated = (type: string, id: number) => ({ type, id, rule: 'repeated' });

/** The descriptor, in protobufjs's JSON form (proto2 semantics: every field optional). */
export const METRICS_PROTO_DESCRIPTOR = {
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Timestamp: { fields: { seconds: optional('int64', 1), nanos: optional('int32', 2) } },
          },
        },
      },
    },
    io: {
      nested: {
        prometheus: {
          nested: {
            client: {
              nested: {
                MetricType: { values: { COUNTER: 0, GAUGE: 1, SUMMARY: 2, UNTYPED: 3, HISTOGRAM: 4, GAUGE_HISTOGRAM: 5 } },
                LabelPair: { fields: { name: optional('string', 1), value: optional('string', 2) } },
                Gauge: { fields: { value: optional('double', 1) } },
                Counter: {
                  fields: {
                    value: optional('double', 1),
                    exemplar: optional('Exemplar', 2),
                    createdTimestamp: optional('google.protobuf.Timestamp', 3),
                  },
                },
                Quantile: { fields: { quantile: optional('double', 1), value: optional('double', 2) } },
                Summary: {
                  fields: {
                    sampleCount: optional('uint64', 1),
                    sampleSum: optional('double', 2),
                    quantile: repeated('Quantile', 3),
                    createdTimestamp: optional('google.protobuf.Timestamp', 4),
                  },
                },
                Untyped: { fields: { value: optional('double', 1) } },
                Histogram: {
                  fields: {
                    sampleCount: optional('uint64', 1),
                    sampleCountFloat: optional('double', 4),
                    sampleSum: optional('double', 2),
                    bucket: repeated('Bucket', 3),
                    createdTimestamp: optional('google.protobuf.Timestamp', 15),
                    schema: optional('sint32', 5),
                    zeroThreshold: optional('double', 6),
                    zeroCount: optional('uint64', 7),
                    zeroCountFloat: optional('double', 8),
                    negativeSpan: repeated('BucketSpan', 9),
                    negativeDelta: repeated('sint64', 10),
                    negativeCount: repeated('double', 11),
                    positiveSpan: repeated('BucketSpan', 12),
                    positiveDelta: repeated('sint64', 13),
                    positiveCount: repeated('double', 14),
                    exemplars: repeated('Exemplar', 16),
                  },
                },
                Bucket: {
                  fields: {
                    cumulativeCount: optional('uint64', 1),
                    cumulativeCountFloat: optional('double', 4),
                    upperBound: optional('double', 2),
                    exemplar: optional('Exemplar', 3),
                  },
                },
                BucketSpan: { fields: { offset: optional('sint32', 1), length: optional('uint32', 2) } },
                Exemplar: {
                  fields: {
                    label: repeated('LabelPair', 1),
                    value: optional('double', 2),
                    timestamp: optional('google.protobuf.Timestamp', 3),
                  },
                },
                Metric: {
                  fields: {
                    label: repeated('LabelPair', 1),
                    gauge: optional('Gauge', 2),
                    counter: optional('Counter', 3),
                    summary: optional('Summary', 4),
                    untyped: optional('Untyped', 5),
                    histogram: optional('Histogram', 7),
                    timestampMs: optional('int64', 6),
                  },
                },
                MetricFamily: {
                  fields: {
                    name: optional('string', 1),
                    help: optional('string', 2),
                    type: optional('MetricType', 3),
                    metric: repeated('Metric', 4),
                    unit: optional('string', 5),
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** protobufjs's 64-bit integers: a number, or a Long when the `long` package is present. */
export type Int64 = number | { toNumber(): number };

export interface ProtoTimestamp {
  seconds?: Int64;
  nanos?: number;
}
export interface ProtoLabelPair {
  name?: string;
  value?: string;
}
export interface ProtoExemplar {
  label?: ProtoLabelPair[];
  value?: number;
  timestamp?: ProtoTimestamp | null;
}
export interface ProtoBucket {
  cumulativeCount?: Int64;
  cumulativeCountFloat?: number;
  upperBound?: number;
  exemplar?: ProtoExemplar | null;
}
export interface ProtoBucketSpan {
  offset?: number;
  length?: number;
}
export interface ProtoHistogram {
  sampleCount?: Int64;
  sampleCountFloat?: number;
  sampleSum?: number;
  bucket?: ProtoBucket[];
  createdTimestamp?: ProtoTimestamp | null;
  schema?: number;
  zeroThreshold?: number;
  zeroCount?: Int64;
  zeroCountFloat?: number;
  negativeSpan?: ProtoBucketSpan[];
  negativeDelta?: Int64[];
  negativeCount?: number[];
  positiveSpan?: ProtoBucketSpan[];
  positiveDelta?: Int64[];
  positiveCount?: number[];
  exemplars?: ProtoExemplar[];
}
export interface ProtoMetric {
  label?: ProtoLabelPair[];
  gauge?: { value?: number } | null;
  counter?: { value?: number; exemplar?: ProtoExemplar | null; createdTimestamp?: ProtoTimestamp | null } | null;
  summary?: { sampleCount?: Int64; sampleSum?: number; quantile?: { quantile?: number; value?: number }[]; createdTimestamp?: ProtoTimestamp | null } | null;
  untyped?: { value?: number } | null;
  histogram?: ProtoHistogram | null;
  timestampMs?: Int64;
}
/** MetricType's numbers. */
export const ProtoMetricType = { COUNTER: 0, GAUGE: 1, SUMMARY: 2, UNTYPED: 3, HISTOGRAM: 4, GAUGE_HISTOGRAM: 5 } as const;
export interface ProtoMetricFamily {
  name?: string;
  help?: string;
  type?: number;
  metric?: ProtoMetric[];
  unit?: string;
}

let metricFamilyType: protobuf.Type | undefined;

/** The MetricFamily message type (built once from the descriptor). */
export function metricFamilyMessage(): protobuf.Type {
  metricFamilyType ??= protobuf.Root.fromJSON(METRICS_PROTO_DESCRIPTOR as unknown as protobuf.INamespace).lookupType('io.prometheus.client.MetricFamily');
  return metricFamilyType;
}

/** An int64/uint64 field's value as a number (exact up to 2^53, which counts and times stay under). */
export function int64(v: Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Encodes families as the delimited stream a target sends (test targets, federation). */
export function encodeMetricFamilies(families: readonly ProtoMetricFamily[]): Uint8Array {
  const type = metricFamilyMessage();
  const writer = protobuf.Writer.create();
  for (const f of families) type.encodeDelimited(type.fromObject(f as Record<string, unknown>), writer);
  return writer.finish();
}
