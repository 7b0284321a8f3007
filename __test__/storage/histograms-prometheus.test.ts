// Native-histogram blocks exchanged with Prometheus 2.42 (Debian's `prometheus` package, run
// with --enable-feature=native-histograms): it scrapes a protobuf target serving native
// histograms (new buckets appear, the counter resets), writes its head as a block (the admin
// API's snapshot), and we read that block's integer-histogram chunks back with the same samples
// its API returns; the other way round, promtool dumps and analyzes a block we wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { Storage } from '../../src/storage/index.js';
import { CounterResetHint } from '../../src/model/histogram.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { freePort, waitFor } from '../helpers/net.js';

// The part of io.prometheus.client's metrics.proto that a native histogram needs.
const METRICS_PROTO = `
syntax = "proto2";
package io.prometheus.client;
message LabelPair { optional string name = 1; optional string value = 2; }
enum MetricType { COUNTER = 0; GAUGE = 1; SUMMARY = 2; UNTYPED = 3; HISTOGRAM = 4; GAUGE_HISTOGRAM = 5; }
message BucketSpan { optional sint32 offset = 1; optional uint32 length = 2; }
message Bucket { optional uint64 cumulative_count = 1; optional double cumulative_count_float = 4; optional double upper_bound = 2; }
message Histogram {
  optional uint64 sample_count = 1;
  optional double sample_count_float = 4;
  optional double sample_sum = 2;
  repeated Bucket bucket = 3;
  optional sint32 schema = 5;
  optional double zero_threshold = 6;
  optional uint64 zero_count = 7;
  optional double zero_count_float = 8;
  repeated BucketSpan negative_span = 9;
  repeated sint64 negative_delta = 10;
  repeated double negative_count = 11;
  repeated BucketSpan positive_span = 12;
  repeated sint64 positive_delta = 13;
  repeated double positive_count = 14;
}
message Metric { repeated LabelPair label = 1; optional int64 timestamp_ms = 6; optional Histogram histogram = 7; }
message MetricFamily { optional string name = 1; optional string help = 2; optional MetricType type = 3; repeated Metric metric = 4; }
`;

const PROTOBUF_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** Absolute bucket counts at index -> count, as deltas between neighbours (the exposition's form). */
function deltas(counts: number[]): number[] {
  return counts.map((c, i) => c - (i === 0 ? 0 : counts[i - 1]!));
}

/** The histogram of the k-th scrape: bucket 3 appears at the 4th, the counter resets at the 8th. */
function scrapeHistogram(k: number) {
  const n = k >= 7 ? k - 7 : k;
  const withNewBucket = k >= 3;
  const positive = withNewBucket ? [n + 1, 2 * n + 1, n, n + 2, 3 * n + 1] : [n + 1, 2 * n + 1, n, 3 * n + 1];
  const negative = [n + 1];
  const zero = n;
  return {
    sample_count: positive.reduce((a, b) => a + b, 0) + negative[0]! + zero,
    sample_sum: 1.5 * n + 0.25,
    schema: 1,
    zero_threshold: 0.001,
    zero_count: zero,
    positive_span: withNewBucket ? [{ offset: 0, length: 4 }, { offset: 1, length: 1 }] : [{ offset: 0, length: 3 }, { offset: 2, length: 1 }],
    positive_delta: deltas(positive),
    negative_span: [{ offset: 1, length: 1 }],
    negative_delta: deltas(negative),
  };
}

function prometheusAvailable(): boolean {
  return spawnSync('prometheus', ['--version']).status === 0;
}

/** Bucket i's (lower, upper] of an exponential schema. */
function bounds(schema: number, i: number): [number, number] {
  const f = (x: number) => 2 ** (x * 2 ** -schema);
  return [f(i - 1), f(i)];
}

/** [lower, upper, count] of every non-empty bucket, as the HTTP API lists them. */
function bucketList(h: FloatHistogram): [number, number, number][] {
  const out: [number, number, number][] = [];
  if (h.zeroCount > 0) out.push([-h.zeroThreshold, h.zeroThreshold, h.zeroCount]);
  const walk = (spans: FloatHistogram['positiveSpans'], counts: number[], negative: boolean) => {
    let idx = 0;
    let k = 0;
    spans.forEach((s, n) => {
      idx = n === 0 ? s.offset : idx + s.offset;
      for (let j = 0; j < s.length; j++, idx++, k++) {
        if (counts[k] === 0) continue;
        const [lo, hi] = bounds(h.schema, idx);
        out.push(negative ? [-hi, -lo, counts[k]!] : [lo, hi, counts[k]!]);
      }
    });
  };
  walk(h.negativeSpans, h.negativeBuckets, true);
  walk(h.positiveSpans, h.positiveBuckets, false);
  return out.sort((a, b) => a[0] - b[0]);
}

interface ApiHistogram {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

test('Prometheus 2.42 blocks with native histograms read back as its API answers', { skip: !prometheusAvailable() && 'prometheus is not installed', timeout: 120_000 }, async (t) => {
  const root = protobuf.parse(METRICS_PROTO, { keepCase: true }).root;
  const family = root.lookupType('io.prometheus.client.MetricFamily');
  let scrapes = 0;
  const target = createServer((req, res) => {
    const h = scrapeHistogram(scrapes++);
    const msg = family.fromObject({ name: 'nh_latency_seconds', help: 'native histogram', type: 4, metric: [{ label: [{ name: 'path', value: '/x' }], histogram: h }] });
    res.writeHead(200, { 'content-type': req.headers.accept?.includes('vnd.google.protobuf') ? PROTOBUF_TYPE : 'text/plain' });
    res.end(family.encodeDelimited(msg).finish());
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  t.after(() => target.close());
  const dir = mkdtempSync(join(tmpdir(), 'promethium-nh-prom-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: nh\n    static_configs: [{targets: ['127.0.0.1:${(target.address() as AddressInfo).port}']}]\n`);
  const port = await freePort();
  const prom = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=native-histograms', '--web.enable-admin-api'], { stdio: 'ignore' });
  t.after(() => prom.kill('SIGKILL'));
  const api = `http://127.0.0.1:${port}/api/v1`;
  const now = () => Date.now() / 1000;
  const samples = await waitFor(
    'twelve native-histogram samples in Prometheus',
    async () => {
      const r = (await (await fetch(`${api}/query?query=${encodeURIComponent('nh_latency_seconds[10m]')}&time=${now()}`)).json()) as { data: { result: { histograms?: [number, ApiHistogram][] }[] } };
      const hs = r.data.result[0]?.histograms ?? [];
      return hs.length >= 12 ? hs : undefined;
    },
    400,
    250,
  );
  const snap = (await (await fetch(`${api}/admin/tsdb/snapshot`, { method: 'POST' })).json()) as { data: { name: string } };
  const snapDir = join(dir, 'data', 'snapshots', snap.data.name);
  assert.ok(readdirSync(snapDir).length >= 1, 'the snapshot holds the head as a block');

  const s = Storage.open(snapDir);
  t.after(() => s.close());
  const first = Math.round(samples[0]![0] * 1000);
  const last = Math.round(samples[samples.length - 1]![0] * 1000);
  const got = s.select([{ type: '=', name: '__name__', value: 'nh_latency_seconds' }], first, last).histogramSamples();
  assert.deepEqual([...got.t], samples.map(([ts]) => Math.round(ts * 1000)));
  got.h.forEach((h, i) => {
    const want = samples[i]![1];
    assert.equal(h.isInteger, true, 'Prometheus stored integer histograms (chunk encoding 2)');
    assert.equal(h.count, Number(want.count));
    assert.equal(h.sum, Number(want.sum));
    const wantBuckets = (want.buckets ?? []).map(([, lo, hi, c]) => [Number(lo), Number(hi), Number(c)]).sort((a, b) => a[0]! - b[0]!);
    const ours = bucketList(h);
    assert.equal(ours.length, wantBuckets.length, `buckets of sample ${i}`);
    ours.forEach((b, k) => {
      for (let j = 0; j < 3; j++) assert.ok(Math.abs(b[j]! - wantBuckets[k]![j]!) <= 1e-9 * Math.abs(b[j]!), `sample ${i} bucket ${k}: ${b} vs ${wantBuckets[k]}`);
    });
  });
  // Prometheus cut a new chunk at the counter reset (count drops): its first sample reads as
  // Unknown, the rest of each chunk as NotCounterReset. (2.42 leaves the chunk's header at
  // "unknown"; the reset is found by comparing samples.)
  const firstOfChunk = got.h.flatMap((h, i) => (h.counterResetHint === CounterResetHint.Unknown ? [i] : []));
  const drops = got.h.flatMap((h, i) => (i > 0 && h.count < got.h[i - 1]!.count ? [i] : []));
  assert.equal(drops.length, 1, 'the target reset its counter once');
  assert.deepEqual(firstOfChunk, [0, drops[0]]);
  assert.ok(got.h.every((h) => h.counterResetHint !== CounterResetHint.CounterReset));
});

test('Prometheus 2.42 and promtool read the histogram chunks of a block we wrote', { skip: !prometheusAvailable() && 'prometheus is not installed', timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-nh-ours-'));
  const s = Storage.open(join(dir, 'ours'));
  const start = Date.now() - 30 * 60_000;
  const written = new Map<string, FloatHistogram[]>();
  const app = s.appender();
  for (const [name, isInteger] of [['nh_int', true], ['nh_float', false]] as const) {
    const list: FloatHistogram[] = [];
    for (let i = 0; i < 60; i++) {
      // A bucket appears at 20 (the chunk is recoded), the counter resets at 40.
      const n = i >= 40 ? i - 40 : i;
      const positiveBuckets = i >= 20 ? [n + 1, 2 * n, 1, n + 0.5 * Number(!isInteger)] : [n + 1, 2 * n, n + 0.5 * Number(!isInteger)];
      const h: FloatHistogram = {
        counterResetHint: CounterResetHint.Unknown,
        schema: 0,
        zeroThreshold: 2 ** -128,
        zeroCount: n,
        count: n + positiveBuckets.reduce((a, b) => a + b, 0) + 2,
        sum: n * 3.25,
        positiveSpans: i >= 20 ? [{ offset: -1, length: 3 }, { offset: 1, length: 1 }] : [{ offset: -1, length: 2 }, { offset: 2, length: 1 }],
        positiveBuckets,
        negativeSpans: [{ offset: 0, length: 1 }],
        negativeBuckets: [2],
        customValues: [],
        ...(isInteger ? { isInteger: true } : {}),
      };
      list.push(h);
      app.addHistogram({ __name__: name }, start + i * 15_000, h);
    }
    written.set(name, list);
  }
  app.add({ __name__: 'plain' }, start, 42);
  app.commit();
  const data = join(dir, 'prom-data');
  await s.snapshot(data, true);
  s.close();
  // promtool reads the block: analyze sees both series, dump reads every chunk without error.
  const analyze = spawnSync('promtool', ['tsdb', 'analyze', data], { encoding: 'utf8' });
  assert.equal(analyze.status, 0, analyze.stderr);
  assert.match(analyze.stdout, /Series: 3/);
  mkdirSync(join(data, 'wal'), { recursive: true });
  const dump = spawnSync('promtool', ['tsdb', 'dump', data], { encoding: 'utf8' });
  assert.equal(dump.status, 0, dump.stderr);
  assert.match(dump.stdout, /\{__name__="plain"\} 42 /);

  writeFileSync(join(dir, 'empty.yml'), 'global: {}\n');
  const port = await freePort();
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'empty.yml')}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=native-histograms'], { stdio: 'ignore' });
  t.after(() => prom.kill('SIGKILL'));
  for (const [name, list] of written) {
    const at = (start + 60 * 15_000) / 1000;
    const hs = await waitFor(`${name} from Prometheus`, async () => {
      const r = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(`${name}[20m]`)}&time=${at}`)).json()) as { data: { result: { histograms?: [number, ApiHistogram][] }[] } };
      return r.data.result[0]?.histograms;
    });
    assert.equal(hs.length, list.length, `${name}: every sample`);
    hs.forEach(([ts, got], i) => {
      const want = list[i]!;
      assert.equal(Math.round(ts * 1000), start + i * 15_000);
      assert.equal(Number(got.count), want.count, `${name} sample ${i} count`);
      assert.equal(Number(got.sum), want.sum, `${name} sample ${i} sum`);
      const buckets = (got.buckets ?? []).map(([, lo, hi, c]) => [Number(lo), Number(hi), Number(c)]).sort((a, b) => a[0]! - b[0]!);
      assert.deepEqual(buckets, bucketList(want), `${name} sample ${i} buckets`);
    });
  }
});
