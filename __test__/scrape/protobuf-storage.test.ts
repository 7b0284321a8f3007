// End to end in one process: a protobuf target with native histograms, scraped into the native
// storage, read back by PromQL and written as the API's JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScrapeLoop } from '../../src/scrape/loop.js';
import { ExpositionCodecImpl } from '../../src/exposition/index.js';
import { encodeMetricFamilies, type ProtoMetricFamily } from '../../src/exposition/metrics-proto.js';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import { Logger } from '../../src/util/logger.js';
import { encodeSuccess } from '../../src/server/query-pool/encode.js';

const T0 = 1_700_000_000_000;

function body(n: number, withHistogram = true): Uint8Array {
  const fam: ProtoMetricFamily = {
    name: 'rpc_seconds',
    type: 4,
    metric: [{ histogram: { sampleCount: 4 * n, sampleSum: 2.5 * n, schema: 0, zeroThreshold: 1e-3, zeroCount: n, positiveSpan: [{ offset: 0, length: 2 }], positiveDelta: [n, n] } }],
  };
  const plain: ProtoMetricFamily = { name: 'plain', type: 1, metric: [{ gauge: { value: n } }] };
  return encodeMetricFamilies(withHistogram ? [fam, plain] : [plain]);
}

test('scraped native histograms are stored, selected and rated', async () => {
  let n = 1;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' });
    res.end(body(n));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-proto-scrape-')));
  let now = T0;
  try {
    const url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`);
    const loop = new ScrapeLoop(url, { job: 'j', instance: 'i' }, { intervalMs: 15_000, timeoutMs: 5000, honorLabels: false, honorTimestamps: true, sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, metricRelabel: undefined, http: {}, nativeHistograms: true }, { storage, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => now });
    for (let i = 0; i < 5; i++) {
      await loop.scrapeOnce();
      assert.equal(loop.state.health, 'up', loop.state.lastError);
      n += 1;
      now += 15_000;
    }
    await loop.stop(false);
    const engine = new Engine(storage);
    const at = T0 + 60_000;
    const raw = engine.instantQuery('rpc_seconds', at);
    assert.equal(raw.resultType, 'vector');
    const sample = raw.result[0] as { h?: { count: number; positiveBuckets: number[] } };
    assert.deepEqual([sample.h?.count, sample.h?.positiveBuckets], [20, [5, 10]]);
    const json = JSON.parse(encodeSuccess(raw)) as { data: { result: { histogram: [number, { count: string; buckets: unknown[] }] }[] } };
    assert.deepEqual(json.data.result[0]!.histogram[1], { count: '20', sum: '12.5', buckets: [[3, '-0.001', '0.001', '5'], [0, '0.5', '1', '5'], [0, '1', '2', '10']] });
    // Four samples in the minute after the first: 4 observations per 15s → 4/15 per second.
    const rate = engine.instantQuery('rate(rpc_seconds[1m])', at);
    assert.equal(rate.resultType, 'vector');
    const rated = (rate.result[0] as { h?: { count: number; sum: number } }).h;
    assert.ok(rated !== undefined && Math.abs(rated.count - 4 / 15) < 1e-9 && Math.abs(rated.sum - 2.5 / 15) < 1e-9, JSON.stringify(rate.result));
    const plain = engine.instantQuery('plain', at);
    assert.equal((plain.result as { value: number }[])[0]!.value, 5);
  } finally {
    server.close();
    storage.close();
  }
});

test('a native histogram that vanishes from the target goes stale', async () => {
  let withHistogram = true;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' });
    res.end(body(1, withHistogram));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-proto-stale-')));
  let now = T0;
  try {
    const url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`);
    const loop = new ScrapeLoop(url, { job: 'j', instance: 'i' }, { intervalMs: 15_000, timeoutMs: 5000, honorLabels: false, honorTimestamps: true, sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, metricRelabel: undefined, http: {}, nativeHistograms: true }, { storage, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => now });
    await loop.scrapeOnce();
    now += 15_000;
    withHistogram = false;
    await loop.scrapeOnce();
    await loop.stop(false);
    const engine = new Engine(storage);
    assert.equal((engine.instantQuery('rpc_seconds', T0 + 1000).result as unknown[]).length, 1);
    assert.deepEqual(engine.instantQuery('rpc_seconds', now + 1000).result, [], 'stale after the target dropped it');
  } finally {
    server.close();
    storage.close();
  }
});
