// Scraping the protobuf exposition format: Content-Type dispatch, native histograms to the storage's
// histogram batch (or counted when it takes none), the job's native-histogram options, and
// classic histograms converted to custom-bucket native histograms from text and protobuf bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ScrapeLoop, type ScrapeOptions, type ScrapeStorage } from '../../src/scrape/loop.js';
import { ExpositionCodecImpl } from '../../src/exposition/index.js';
import { encodeMetricFamilies, type ProtoMetricFamily } from '../../src/exposition/metrics-proto.js';
import { Logger } from '../../src/util/logger.js';
import type { Labels } from '../../src/model/labels.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { limitHistogram, maxSchemaForFactor, reduceResolution } from '../../src/scrape/native-histograms.js';

const T0 = 1_700_000_000_000;
const PROTO = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** A storage that records what the scrape appends. */
class RecordingStorage implements ScrapeStorage {
  readonly series: Labels[] = [];
  readonly floats: { labels: Labels; t: number; v: number; st: number }[] = [];
  readonly histograms: { labels: Labels; t: number; h: FloatHistogram; st: number }[] = [];
  constructor(takesHistograms: boolean) {
    // An own undefined hides the prototype's method: a storage that takes no histograms.
    if (!takesHistograms) this.appendHistograms = undefined;
  }
  seriesRefs(sets: Labels[]): Uint32Array {
    return Uint32Array.from(sets.map((l) => this.series.push({ ...l }) - 1));
  }
  append(refs: Uint32Array, ts: Float64Array, vs: Float64Array, sts?: Float64Array) {
    refs.forEach((r, i) => this.floats.push({ labels: this.series[r]!, t: ts[i]!, v: vs[i]!, st: sts?.[i] ?? 0 }));
    return { appended: refs.length, outOfOrder: 0, duplicate: 0, tooOld: 0, outOfBounds: 0, unknownRef: 0 };
  }
  appendHistograms?(refs: Uint32Array, ts: Float64Array, hs: readonly FloatHistogram[], sts?: Float64Array) {
    refs.forEach((r, i) => this.histograms.push({ labels: this.series[r]!, t: ts[i]!, h: hs[i]!, st: sts?.[i] ?? 0 }));
    return { appended: refs.length, outOfOrder: 0, duplicate: 0, tooOld: 0, outOfBounds: 0, unknownRef: 0 };
  }
  readonly exemplars: { labels: Labels; t: number; v: number; exemplar: Labels }[] = [];
  appendExemplars(refs: Uint32Array, ts: Float64Array, vs: Float64Array, labels: readonly Labels[]) {
    refs.forEach((r, i) => this.exemplars.push({ labels: this.series[r]!, t: ts[i]!, v: vs[i]!, exemplar: { ...labels[i]! } }));
    return { outOfOrder: 0 };
  }
  floatNamed(name: string) {
    return this.floats.filter((f) => f.labels.__name__ === name);
  }
}

function options(o: Partial<ScrapeOptions> = {}): ScrapeOptions {
  return { intervalMs: 1000, timeoutMs: 1000, honorLabels: false, honorTimestamps: true, sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, metricRelabel: undefined, http: {}, ...o };
}

const FAMILIES: ProtoMetricFamily[] = [
  { name: 'requests_total', type: 0, metric: [{ label: [{ name: 'code', value: '200' }], counter: { value: 5, createdTimestamp: { seconds: 1_699_999_000 } } }] },
  {
    name: 'latency_seconds',
    type: 4,
    metric: [
      {
        histogram: {
          sampleCount: 10,
          sampleSum: 4,
          schema: 2,
          zeroThreshold: 1e-9,
          zeroCount: 1,
          positiveSpan: [{ offset: 0, length: 4 }, { offset: 2, length: 2 }],
          positiveDelta: [1, 1, 0, -1, 1, 0],
          bucket: [{ upperBound: 1, cumulativeCount: 6 }],
          createdTimestamp: { seconds: 1_699_999_500 },
        },
      },
    ],
  },
];

async function scrape(body: Uint8Array | string, contentType: string, storage: ScrapeStorage, o: Partial<ScrapeOptions> = {}) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const reports: { histogramsUnstored?: number; bucketLimitExceeded?: boolean }[] = [];
  try {
    const url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`);
    const loop = new ScrapeLoop(url, { job: 'j', instance: 'i:1' }, options(o), { storage, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => T0, onScrape: (r) => reports.push(r) });
    await loop.scrapeOnce();
    await loop.stop(false);
    return { state: loop.state, report: reports[0]!, metadata: loop.metadata };
  } finally {
    server.close();
  }
}

test('a protobuf body is read by its Content-Type: floats and native histograms stored with the target labels and start timestamps', async () => {
  const storage = new RecordingStorage(true);
  const { state, metadata } = await scrape(encodeMetricFamilies(FAMILIES), PROTO, storage, { nativeHistograms: true, storeStartTimestamps: true });
  assert.equal(state.health, 'up', state.lastError);
  assert.equal(state.lastSamples, 2, 'a native histogram counts as one sample');
  assert.deepEqual(storage.floatNamed('requests_total').map((f) => [f.labels.code, f.labels.job, f.v, f.st]), [['200', 'j', 5, 1_699_999_000_000]]);
  assert.equal(storage.histograms.length, 1);
  const h = storage.histograms[0]!;
  assert.deepEqual([h.labels.__name__, h.labels.instance, h.t, h.st], ['latency_seconds', 'i:1', T0, 1_699_999_500_000]);
  assert.deepEqual(h.h.positiveBuckets, [1, 2, 2, 1, 2, 2]);
  assert.equal(storage.floatNamed('latency_seconds_bucket').length, 0, 'classic series only when asked for');
  assert.equal(storage.floatNamed('up')[0]!.v, 1);
  assert.equal(metadata.get('latency_seconds')!.type, 'histogram');
});

test('always_scrape_classic_histograms stores the classic series too; without native histograms only they are stored', async () => {
  const both = new RecordingStorage(true);
  await scrape(encodeMetricFamilies(FAMILIES), PROTO, both, { nativeHistograms: true, alwaysScrapeClassicHistograms: true });
  assert.equal(both.histograms.length, 1);
  assert.deepEqual(both.floatNamed('latency_seconds_bucket').map((f) => [f.labels.le, f.v]), [['1.0', 6], ['+Inf', 10]]);
  const classic = new RecordingStorage(true);
  await scrape(encodeMetricFamilies(FAMILIES), PROTO, classic);
  assert.equal(classic.histograms.length, 0);
  assert.equal(classic.floatNamed('latency_seconds_count')[0]!.v, 10);
});

test('a storage without histogram support: the scrape succeeds and reports the histograms it could not store', async () => {
  const storage = new RecordingStorage(false);
  const { state, report } = await scrape(encodeMetricFamilies(FAMILIES), PROTO, storage, { nativeHistograms: true });
  assert.equal(state.health, 'up', state.lastError);
  assert.equal(report.histogramsUnstored, 1);
  assert.equal(storage.floatNamed('requests_total').length, 1);
});

test('native_histogram_bucket_limit lowers the resolution until the histogram fits, and fails the scrape when it cannot', async () => {
  const fits = new RecordingStorage(true);
  const ok = await scrape(encodeMetricFamilies(FAMILIES), PROTO, fits, { nativeHistograms: true, nativeHistogramBucketLimit: 3 });
  assert.equal(ok.state.health, 'up', ok.state.lastError);
  const h = fits.histograms[0]!.h;
  // Schema 2 buckets 0..3 and 6..7 → schema 1: 0,1,1,2 | 3,4 → schema 0: 0,1,1,1 | 2,2: three buckets.
  assert.equal(h.schema, 0);
  assert.deepEqual(h.positiveBuckets, [1, 5, 4]);
  assert.deepEqual(h.positiveSpans, [{ offset: 0, length: 3 }]);
  assert.equal(h.count, 10);
  const refused = new RecordingStorage(true);
  const wide: ProtoMetricFamily = { name: 'w', type: 4, metric: [{ histogram: { sampleCount: 2, schema: -4, positiveSpan: [{ offset: 0, length: 1 }, { offset: 5, length: 1 }], positiveDelta: [1, 0] } }] };
  const bad = await scrape(encodeMetricFamilies([wide]), PROTO, refused, { nativeHistograms: true, nativeHistogramBucketLimit: 1 });
  assert.equal(bad.state.health, 'down');
  assert.equal(bad.state.lastError, 'histogram bucket limit exceeded');
  assert.equal(bad.report.bucketLimitExceeded, true);
  assert.equal(refused.histograms.length, 0);
  assert.equal(refused.floats.filter((f) => f.labels.__name__ === 'w_count').length, 0, 'nothing of the failed scrape is stored');
});

test('native_histogram_min_bucket_factor and schemas above 8 lower the resolution', () => {
  assert.equal(maxSchemaForFactor(1.1), 2); // 2^(1/4) ≈ 1.19 is the first growth factor ≥ 1.1
  assert.equal(maxSchemaForFactor(2), 0);
  assert.equal(maxSchemaForFactor(1e9), -4);
  const h: FloatHistogram = { counterResetHint: 0, schema: 3, zeroThreshold: 0, zeroCount: 0, count: 6, sum: 1, positiveSpans: [{ offset: -3, length: 6 }], positiveBuckets: [1, 1, 1, 1, 1, 1], negativeSpans: [], negativeBuckets: [], customValues: [] };
  const limited = limitHistogram(h, { bucketLimit: 0, minBucketFactor: 2 });
  // Schema 3 indices -3..2 → schema 0 index ceil(i/8): -3..0 → 0, 1..2 → 1.
  assert.equal(limited.schema, 0);
  assert.deepEqual(limited.positiveBuckets, [4, 2]);
  assert.deepEqual(limitHistogram({ ...h, schema: 10 }, { bucketLimit: 0, minBucketFactor: 0 }).schema, 8);
  assert.deepEqual(reduceResolution(h, 2).positiveBuckets, [2, 2, 2], 'schema 3 → 2 merges -3,-2 | -1,0 | 1,2');
});

const TEXT_HISTOGRAM = `# TYPE rpc_seconds histogram
rpc_seconds_bucket{path="/a",le="0.1"} 2
rpc_seconds_bucket{path="/a",le="0.5"} 2
rpc_seconds_bucket{path="/a",le="1"} 7
rpc_seconds_bucket{path="/a",le="+Inf"} 9
rpc_seconds_sum{path="/a"} 6.5
rpc_seconds_count{path="/a"} 9
# TYPE other_bucket gauge
other_bucket 1
`;

test('convert_classic_histograms_to_nhcb: a text-format classic histogram becomes one custom-bucket native histogram', async () => {
  const storage = new RecordingStorage(true);
  const { state } = await scrape(TEXT_HISTOGRAM, 'text/plain; version=0.0.4', storage, { convertClassicHistogramsToNhcb: true });
  assert.equal(state.health, 'up', state.lastError);
  assert.equal(storage.histograms.length, 1);
  const { labels, h } = storage.histograms[0]!;
  assert.deepEqual({ ...labels }, { __name__: 'rpc_seconds', path: '/a', job: 'j', instance: 'i:1' });
  assert.equal(h.schema, -53);
  assert.deepEqual(h.customValues, [0.1, 0.5, 1]);
  assert.deepEqual([h.count, h.sum], [9, 6.5]);
  // Per-bucket counts 2, 0, 5, 2: the empty bucket is left out of the spans.
  assert.deepEqual(h.positiveSpans, [{ offset: 0, length: 1 }, { offset: 1, length: 2 }]);
  assert.deepEqual(h.positiveBuckets, [2, 5, 2]);
  assert.equal(storage.floatNamed('rpc_seconds_bucket').length, 0);
  assert.equal(storage.floatNamed('other_bucket').length, 1, 'a gauge named _bucket is not a histogram');
  const both = new RecordingStorage(true);
  await scrape(TEXT_HISTOGRAM, 'text/plain; version=0.0.4', both, { convertClassicHistogramsToNhcb: true, alwaysScrapeClassicHistograms: true });
  assert.equal(both.histograms.length, 1);
  assert.equal(both.floatNamed('rpc_seconds_bucket').length, 4);
});

test('convert_classic_histograms_to_nhcb works on protobuf classic histograms too', async () => {
  const storage = new RecordingStorage(true);
  const classic: ProtoMetricFamily = { name: 'q', type: 4, metric: [{ histogram: { sampleCount: 4, sampleSum: 2, bucket: [{ upperBound: 0.5, cumulativeCount: 1 }, { upperBound: 2, cumulativeCount: 3 }] } }] };
  await scrape(encodeMetricFamilies([classic]), PROTO, storage, { convertClassicHistogramsToNhcb: true });
  assert.equal(storage.histograms.length, 1);
  assert.deepEqual(storage.histograms[0]!.h.customValues, [0.5, 2]);
  assert.deepEqual(storage.histograms[0]!.h.positiveBuckets, [1, 2, 1]);
});

test('a malformed protobuf body fails the scrape with the reason', async () => {
  const storage = new RecordingStorage(true);
  const { state } = await scrape(Uint8Array.from([0x20, 0x0a, 0x01]), PROTO, storage);
  assert.equal(state.health, 'down');
  assert.match(state.lastError, /invalid protobuf MetricFamily/);
});

test('exemplars (exemplar-storage): a counter exemplar goes with its sample, native histogram exemplars (the timestamped ones) with the histogram series', async () => {
  const storage = new RecordingStorage(true);
  const families: ProtoMetricFamily[] = [
    { name: 'c_total', type: 0, metric: [{ counter: { value: 3, exemplar: { label: [{ name: 'trace_id', value: 'c1' }], value: 1 } } }] },
    {
      name: 'h',
      type: 4,
      metric: [
        {
          histogram: {
            sampleCount: 2,
            sampleSum: 1,
            schema: 0,
            positiveSpan: [{ offset: 0, length: 1 }],
            positiveDelta: [2],
            exemplars: [
              { label: [{ name: 'trace_id', value: 'h1' }], value: 0.7, timestamp: { seconds: 1_699_999_999 } },
              { label: [{ name: 'trace_id', value: 'untimed' }], value: 0.2 },
            ],
          },
        },
      ],
    },
  ];
  const { state } = await scrape(encodeMetricFamilies(families), PROTO, storage, { nativeHistograms: true, storeExemplars: true });
  assert.equal(state.health, 'up', state.lastError);
  assert.deepEqual(
    storage.exemplars.map((e) => [e.labels.__name__, e.exemplar.trace_id, e.v, e.t]),
    [
      ['c_total', 'c1', 1, T0],
      ['h', 'h1', 0.7, 1_699_999_999_000],
    ],
  );
});

test('scraped into the native storage: a native histogram keeps its created timestamp as its start, and schemas 9..52 are stored at 8', async () => {
  const { Storage } = await import('../../src/storage/index.js');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-scrape-st-')));
  try {
    const fine: ProtoMetricFamily = { name: 'fine_seconds', type: 4, metric: [{ histogram: { sampleCount: 6, sampleSum: 1, schema: 12, positiveSpan: [{ offset: -3, length: 6 }], positiveDelta: [1, 0, 0, 0, 0, 0], createdTimestamp: { seconds: 1_699_999_900 } } }] };
    const { state } = await scrape(encodeMetricFamilies([...FAMILIES, fine]), PROTO, storage, { nativeHistograms: true, storeStartTimestamps: true });
    assert.equal(state.health, 'up', state.lastError);
    const read = (metric: string) => storage.select([{ type: '=', name: '__name__', value: metric }], T0 - 1, T0 + 1).histogramSamples();
    const latency = read('latency_seconds');
    assert.deepEqual([...latency.t], [T0]);
    assert.deepEqual([...latency.starts], [1_699_999_500_000]);
    const f = read('fine_seconds');
    assert.deepEqual([...f.starts], [1_699_999_900_000]);
    // Schema 12 indices -3..2 are ceil(i / 16) at schema 8: -3..0 -> 0, 1..2 -> 1.
    assert.equal(f.h[0]!.schema, 8);
    assert.deepEqual(f.h[0]!.positiveBuckets, [4, 2]);
    const tooFine: ProtoMetricFamily = { name: 'too_fine', type: 4, metric: [{ histogram: { sampleCount: 1, schema: 53, positiveSpan: [{ offset: 0, length: 1 }], positiveDelta: [1] } }] };
    const bad = await scrape(encodeMetricFamilies([tooFine]), PROTO, storage, { nativeHistograms: true });
    assert.match(bad.state.lastError ?? '', /schema 53 is above 52/);
  } finally {
    storage.close();
  }
});
