// Test-side protobuf schemas of the remote-storage messages (written from prompb's .proto files),
// encoded and decoded with protobufjs: an implementation independent of our Rust codec.
import protobuf from 'protobufjs';
import snappy from 'snappy';

const SCHEMA = `
syntax = "proto3";
package prometheus;
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3; sint32 schema = 4; double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8; repeated sint64 negative_deltas = 9; repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11; repeated sint64 positive_deltas = 12; repeated double positive_counts = 13;
  int32 reset_hint = 14; int64 timestamp = 15; repeated double custom_values = 16;
}
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message LabelMatcher { int32 type = 1; string name = 2; string value = 3; }
message ReadHints { int64 step_ms = 1; string func = 2; int64 start_ms = 3; int64 end_ms = 4; }
message Query { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2; repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
message ReadRequest { repeated Query queries = 1; repeated int32 accepted_response_types = 2; }
message QueryResult { repeated TimeSeries timeseries = 1; }
message ReadResponse { repeated QueryResult results = 1; }
message Chunk { int64 min_time_ms = 1; int64 max_time_ms = 2; int32 type = 3; bytes data = 4; }
message ChunkedSeries { repeated Label labels = 1; repeated Chunk chunks = 2; }
message ChunkedReadResponse { repeated ChunkedSeries chunked_series = 1; int64 query_index = 2; }
`;
const SCHEMA_V2 = `
syntax = "proto3";
package io.prometheus.write.v2;
message Sample { double value = 1; int64 timestamp = 2; }
message Exemplar { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
message Metadata { int32 type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3; sint32 schema = 4; double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8; repeated sint64 negative_deltas = 9; repeated double negative_counts = 10;
  repeated BucketSpan positive_spans = 11; repeated sint64 positive_deltas = 12; repeated double positive_counts = 13;
  int32 reset_hint = 14; int64 timestamp = 15; repeated double custom_values = 16;
}
message TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Histogram histograms = 3; repeated Exemplar exemplars = 4; Metadata metadata = 5; int64 created_timestamp = 6; }
message Request { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
`;

const v1 = protobuf.parse(SCHEMA, { keepCase: true }).root;
const v2 = protobuf.parse(SCHEMA_V2, { keepCase: true }).root;

export const WriteRequest = v1.lookupType('prometheus.WriteRequest');
export const ReadRequest = v1.lookupType('prometheus.ReadRequest');
export const ReadResponse = v1.lookupType('prometheus.ReadResponse');
export const ChunkedReadResponse = v1.lookupType('prometheus.ChunkedReadResponse');
export const RequestV2 = v2.lookupType('io.prometheus.write.v2.Request');

/** A request body fetch takes (a copy on its own ArrayBuffer). */
export type Body = Uint8Array<ArrayBuffer>;
export function body(b: Uint8Array): Body {
  return new Uint8Array(b);
}

export type Pairs = [string, string][];

/** A 1.0 series: labels as given (not re-sorted, so tests can send unsorted ones). */
export function seriesV1(labels: Pairs, samples: [number, number][], exemplars: { labels: Pairs; value: number; t: number }[] = []) {
  return {
    labels: labels.map(([name, value]) => ({ name, value })),
    samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
    exemplars: exemplars.map((e) => ({ labels: e.labels.map(([name, value]) => ({ name, value })), value: e.value, timestamp: e.t })),
  };
}

export function encodeV1(timeseries: object[], metadata: object[] = []): Body {
  return body(snappy.compressSync(Buffer.from(WriteRequest.encode(WriteRequest.fromObject({ timeseries, metadata })).finish())));
}

/** A 2.0 request builder: interns strings into the symbol table ("" first). */
export class V2Builder {
  readonly symbols: string[] = [''];
  readonly timeseries: object[] = [];
  ref(s: string): number {
    const i = this.symbols.indexOf(s);
    if (i >= 0) return i;
    this.symbols.push(s);
    return this.symbols.length - 1;
  }
  refs(pairs: Pairs): number[] {
    return pairs.flatMap(([n, v]) => [this.ref(n), this.ref(v)]);
  }
  series(labels: Pairs, samples: [number, number][], extra: Record<string, unknown> = {}): this {
    this.timeseries.push({ labels_refs: this.refs(labels), samples: samples.map(([timestamp, value]) => ({ timestamp, value })), ...extra });
    return this;
  }
  raw(): Uint8Array {
    return RequestV2.encode(RequestV2.fromObject({ symbols: this.symbols, timeseries: this.timeseries })).finish();
  }
  encode(): Body {
    return body(snappy.compressSync(Buffer.from(this.raw())));
  }
}

export function encodeReadRequest(queries: { start: number; end: number; matchers: [number, string, string][] }[], acceptedResponseTypes: number[]): Body {
  const msg = ReadRequest.fromObject({
    queries: queries.map((q) => ({ start_timestamp_ms: q.start, end_timestamp_ms: q.end, matchers: q.matchers.map(([type, name, value]) => ({ type, name, value })) })),
    accepted_response_types: acceptedResponseTypes,
  });
  return body(snappy.compressSync(Buffer.from(ReadRequest.encode(msg).finish())));
}
