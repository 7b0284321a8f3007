import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProtobufInto, ProtobufExpositionError, type ProtobufParseOptions } from '../../src/exposition/protobuf.js';
import { formatOpenMetricsFloat } from '../../src/exposition/series-text.js';
import { encodeMetricFamilies, type ProtoMetricFamily } from '../../src/exposition/metrics-proto.js';
import type { MetricMetadata, ParsedExemplar } from '../../src/exposition/text.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { parseSeriesText } from '../../src/exposition/text.js';

interface Out {
  samples: { series: string; value: number; timestamp?: number; start?: number; exemplar?: ParsedExemplar }[];
  histograms: { series: string; h: FloatHistogram; timestamp?: number; start?: number; exemplars: ParsedExemplar[] }[];
  metadata: Map<string, MetricMetadata>;
}

function parse(families: ProtoMetricFamily[], options: ProtobufParseOptions<unknown> = {}): Out {
  const out: Out = { samples: [], histograms: [], metadata: new Map() };
  parseProtobufInto(
    encodeMetricFamilies(families),
    out.metadata,
    options,
    (series, value, timestamp, _c, start, exemplar) => out.samples.push({ series, value, ...(timestamp !== undefined ? { timestamp } : {}), ...(start !== undefined ? { start } : {}), ...(exemplar ? { exemplar } : {}) }),
    (series, h, timestamp, _c, start, exemplars) => out.histograms.push({ series, h, ...(timestamp !== undefined ? { timestamp } : {}), ...(start !== undefined ? { start } : {}), exemplars }),
  );
  return out;
}

const NATIVE: ProtoMetricFamily = {
  name: 'rpc_seconds',
  help: 'RPC latency.',
  type: 4,
  metric: [
    {
      label: [{ name: 'service', value: 'a"b' }],
      histogram: {
        sampleCount: 12,
        sampleSum: 3.5,
        schema: 1,
        zeroThreshold: 0.001,
        zeroCount: 2,
        positiveSpan: [{ offset: -2, length: 2 }, { offset: 3, length: 1 }],
        positiveDelta: [3, -1, 2],
        negativeSpan: [{ offset: 0, length: 1 }],
        negativeDelta: [2],
        bucket: [{ cumulativeCount: 5, upperBound: 0.5 }, { cumulativeCount: 12, upperBound: 1, exemplar: { label: [{ name: 'trace_id', value: 'x' }], value: 0.7, timestamp: { seconds: 100, nanos: 5_000_000 } } }],
        createdTimestamp: { seconds: 50 },
      },
      timestampMs: 1_000_000,
    },
  ],
};

test('counters, gauges and untyped become one series each, with help, type, unit and the created timestamp as start', () => {
  const out = parse(
    [
      { name: 'reqs_total', help: 'Requests.', type: 0, unit: 'requests', metric: [{ label: [{ name: 'code', value: '200' }], counter: { value: 7, createdTimestamp: { seconds: 12, nanos: 345_000_000 }, exemplar: { label: [{ name: 'trace_id', value: 'abc' }], value: 1 } } }] },
      { name: 'temp', type: 1, metric: [{ gauge: { value: -1.5 }, timestampMs: 42 }] },
      { name: 'odd.name', type: 3, metric: [{ label: [{ name: 'a.b', value: 'x\ny' }], untyped: { value: 3 } }] },
    ],
    { startTimestamps: true, exemplars: true },
  );
  assert.deepEqual(
    out.samples.map((s) => [s.series, s.value, s.timestamp, s.start]),
    [
      ['reqs_total{code="200"}', 7, undefined, 12_345],
      ['temp', -1.5, 42, undefined],
      ['{"odd.name","a.b"="x\\ny"}', 3, undefined, undefined],
    ],
  );
  assert.deepEqual({ ...out.samples[0]!.exemplar!.labels }, { trace_id: 'abc' });
  assert.equal(out.samples[0]!.exemplar!.timestamp, undefined);
  // The series texts read back as the labels the target sent.
  assert.deepEqual({ ...parseSeriesText(out.samples[2]!.series) }, { __name__: 'odd.name', 'a.b': 'x\ny' });
  assert.deepEqual(out.metadata.get('reqs_total'), { type: 'counter', help: 'Requests.', unit: 'requests' });
  assert.equal(out.metadata.get('odd.name')!.type, 'unknown');
});

test('start timestamps and exemplars are only read when asked for', () => {
  const out = parse([{ name: 'c', type: 0, metric: [{ counter: { value: 1, createdTimestamp: { seconds: 1 }, exemplar: { value: 1 } } }] }]);
  assert.equal(out.samples[0]!.start, undefined);
  assert.equal(out.samples[0]!.exemplar, undefined);
});

test('summaries give _count, _sum and quantile series with Prometheus spelling of the quantile', () => {
  const out = parse([{ name: 'lat', type: 2, metric: [{ summary: { sampleCount: 4, sampleSum: 2, quantile: [{ quantile: 0.5, value: 0.4 }, { quantile: 1, value: 0.9 }] } }] }]);
  assert.deepEqual(
    out.samples.map((s) => [s.series, s.value]),
    [
      ['lat_count', 4],
      ['lat_sum', 2],
      ['lat{quantile="0.5"}', 0.4],
      ['lat{quantile="1.0"}', 0.9],
    ],
  );
});

test('a classic histogram gives _count, _sum and cumulative _bucket series, adding the +Inf bucket', () => {
  const out = parse([{ name: 'h', type: 4, metric: [{ histogram: { sampleCount: 9, sampleSum: 4, bucket: [{ cumulativeCount: 3, upperBound: 0.25, exemplar: { value: 0.2, label: [] } }, { cumulativeCount: 8, upperBound: 1 }, { cumulativeCountFloat: 8.5, upperBound: 1e6 }] } }] }], { nativeHistograms: true, exemplars: true });
  assert.equal(out.histograms.length, 0, 'no spans and no zero bucket: not a native histogram');
  assert.deepEqual(
    out.samples.map((s) => [s.series, s.value]),
    [
      ['h_count', 9],
      ['h_sum', 4],
      ['h_bucket{le="0.25"}', 3],
      ['h_bucket{le="1.0"}', 8],
      ['h_bucket{le="1e+06"}', 8.5],
      ['h_bucket{le="+Inf"}', 9],
    ],
  );
  assert.equal(out.samples[2]!.exemplar!.value, 0.2);
});

test('an integer native histogram: deltas become absolute counts, spans and zero bucket kept, classic series dropped', () => {
  const out = parse([NATIVE], { nativeHistograms: true, exemplars: true, startTimestamps: true });
  assert.equal(out.samples.length, 0);
  assert.equal(out.histograms.length, 1);
  const { series, h, timestamp, start, exemplars } = out.histograms[0]!;
  assert.equal(series, 'rpc_seconds{service="a\\"b"}');
  assert.equal(timestamp, 1_000_000);
  assert.equal(start, 50_000);
  assert.deepEqual(h, {
    counterResetHint: 0,
    schema: 1,
    zeroThreshold: 0.001,
    zeroCount: 2,
    count: 12,
    sum: 3.5,
    positiveSpans: [{ offset: -2, length: 2 }, { offset: 3, length: 1 }],
    positiveBuckets: [3, 2, 4],
    negativeSpans: [{ offset: 0, length: 1 }],
    negativeBuckets: [2],
    customValues: [],
    isInteger: true,
  });
  // Bucket exemplars stand in when the histogram has no list of its own; they need a timestamp.
  assert.deepEqual(exemplars.map((e) => [e.value, e.timestamp]), [[0.7, 100_005]]);
});

test('always_scrape_classic_histograms keeps the classic series beside the native one', () => {
  const out = parse([NATIVE], { nativeHistograms: true, alwaysClassicHistograms: true });
  assert.equal(out.histograms.length, 1);
  assert.deepEqual(out.samples.map((s) => s.series), ['rpc_seconds_count{service="a\\"b"}', 'rpc_seconds_sum{service="a\\"b"}', 'rpc_seconds_bucket{service="a\\"b",le="0.5"}', 'rpc_seconds_bucket{service="a\\"b",le="1.0"}', 'rpc_seconds_bucket{service="a\\"b",le="+Inf"}']);
});

test('without native histograms enabled, a native histogram is read as its classic series', () => {
  const out = parse([NATIVE]);
  assert.equal(out.histograms.length, 0);
  assert.equal(out.samples.length, 5);
});

test('a float native histogram keeps absolute counts; a gauge histogram gets the gauge hint', () => {
  const out = parse([{ name: 'g', type: 5, metric: [{ histogram: { sampleCountFloat: 2.5, sampleSum: 1, schema: 0, zeroThreshold: 0, zeroCountFloat: 0.5, positiveSpan: [{ offset: 1, length: 2 }], positiveCount: [1.25, 0.75] } }] }], { nativeHistograms: true });
  const h = out.histograms[0]!.h;
  assert.equal(h.isInteger, false);
  assert.equal(h.counterResetHint, 3);
  assert.deepEqual([h.count, h.zeroCount, h.positiveBuckets], [2.5, 0.5, [1.25, 0.75]]);
  assert.equal(out.metadata.get('g')!.type, 'gaugehistogram');
});

test('an empty native histogram is recognised by its zero-length span', () => {
  const out = parse([{ name: 'e', type: 4, metric: [{ histogram: { schema: 3, positiveSpan: [{ offset: 0, length: 0 }] } }] }], { nativeHistograms: true });
  assert.equal(out.histograms.length, 1);
  assert.equal(out.histograms[0]!.h.count, 0);
});

test('malformed bodies fail with a message saying what is wrong', () => {
  assert.throws(() => parse([{ name: 'x', type: 4, metric: [{ histogram: { schema: 0, positiveSpan: [{ offset: 0, length: 3 }], positiveDelta: [1] } }] }], { nativeHistograms: true }), /positive spans cover 3 buckets but 1 counts/);
  assert.throws(() => parse([{ name: 'x', type: 4, metric: [{ histogram: { schema: 0, positiveSpan: [{ offset: 0, length: 2 }], positiveDelta: [1, -2] } }] }], { nativeHistograms: true }), /negative count/);
  assert.throws(() => parse([{ name: 'x', type: 4, metric: [{ histogram: { schema: -5, zeroThreshold: 1 } }] }], { nativeHistograms: true }), /schema -5/);
  assert.throws(() => parse([{ name: '', type: 1, metric: [] }]), /without a name/);
  const truncated = encodeMetricFamilies([NATIVE]).slice(0, 20);
  assert.throws(
    () => parseProtobufInto(truncated, undefined, {}, () => undefined, () => undefined),
    (e: unknown) => e instanceof ProtobufExpositionError && /invalid protobuf MetricFamily/.test(e.message),
  );
});

test('le and quantile values are spelled as Go prints them with .0 for integers', () => {
  assert.deepEqual([0.005, 1, 10, 2.5, 1e-5, 123456, 1e6, 1.5e7, -0, -2, Infinity, -Infinity].map(formatOpenMetricsFloat), ['0.005', '1.0', '10.0', '2.5', '1e-05', '123456.0', '1e+06', '1.5e+07', '-0.0', '-2.0', '+Inf', '-Inf']);
});

test('arbitrary bytes and mutated bodies either parse or fail with a ProtobufExpositionError, never another error', async () => {
  const { prng } = await import('../../bench/fuzz.js');
  const rand = prng(19);
  const valid = encodeMetricFamilies([NATIVE, { name: 'c', type: 0, metric: [{ counter: { value: 1 } }] }]);
  for (let i = 0; i < 2000; i++) {
    let body: Uint8Array;
    if (i % 2 === 0) {
      body = Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
    } else {
      body = valid.slice();
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) body[Math.floor(rand() * body.length)] = Math.floor(rand() * 256);
    }
    try {
      parseProtobufInto(body, new Map(), { nativeHistograms: true, exemplars: true, startTimestamps: true }, () => undefined, () => undefined);
    } catch (e) {
      assert.ok(e instanceof ProtobufExpositionError, `body ${Buffer.from(body).toString('hex')}: ${(e as Error).stack}`);
    }
  }
});
