// Native histograms over remote write, both directions, with Debian's Prometheus 2.42 (run with
// --enable-feature=native-histograms). One protobuf target serves an integer and a float native
// histogram and a classic one; four processes:
//   ours-send  scrapes it (classic converted to NHCB) and remote-writes with send_native_histograms
//              to ours-recv as 1.0 (via="v1") and 2.0 (via="v2"), and to prom-recv (1.0, the
//              exponential ones only: 2.42 predates custom buckets);
//   prom-scrape  Prometheus 2.42 scrapes it and remote-writes to ours-recv (via="prom");
//   ours-recv  our receiver; prom-recv  Prometheus 2.42's receiver.
// Each receiver's raw histograms, read back through its query API, equal the sender's.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-nh-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// The part of io.prometheus.client's metrics.proto the target needs (test-side schema).
const METRICS_PROTO = `
syntax = "proto2";
package io.prometheus.client;
message LabelPair { optional string name = 1; optional string value = 2; }
enum MetricType { COUNTER = 0; GAUGE = 1; SUMMARY = 2; UNTYPED = 3; HISTOGRAM = 4; GAUGE_HISTOGRAM = 5; }
message BucketSpan { optional sint32 offset = 1; optional uint32 length = 2; }
message Bucket { optional uint64 cumulative_count = 1; optional double cumulative_count_float = 4; optional double upper_bound = 2; }
message Histogram {
  optional uint64 sample_count = 1; optional double sample_count_float = 4; optional double sample_sum = 2;
  repeated Bucket bucket = 3; optional sint32 schema = 5; optional double zero_threshold = 6;
  optional uint64 zero_count = 7; optional double zero_count_float = 8;
  repeated BucketSpan negative_span = 9; repeated sint64 negative_delta = 10; repeated double negative_count = 11;
  repeated BucketSpan positive_span = 12; repeated sint64 positive_delta = 13; repeated double positive_count = 14;
}
message Metric { repeated LabelPair label = 1; optional Histogram histogram = 7; }
message MetricFamily { optional string name = 1; optional string help = 2; optional MetricType type = 3; repeated Metric metric = 4; }
`;
const PROTOBUF_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const family = protobuf.parse(METRICS_PROTO, { keepCase: true }).root.lookupType('io.prometheus.client.MetricFamily');

/** The k-th scrape's families: counts grow with k, a new bucket appears at the 4th scrape. */
function families(k: number): Uint8Array[] {
  const pos = k >= 3 ? [k + 1, 2 * k + 1, k, 3] : [k + 1, 2 * k + 1, k];
  const spans = k >= 3 ? [{ offset: -1, length: 3 }, { offset: 2, length: 1 }] : [{ offset: -1, length: 3 }];
  const total = pos.reduce((a, b) => a + b, 0);
  const integer = {
    sample_count: total + k + 2,
    sample_sum: 3.5 * k + 0.25,
    schema: 2,
    zero_threshold: 0.001,
    zero_count: k,
    positive_span: spans,
    positive_delta: pos.map((c, i) => c - (i === 0 ? 0 : pos[i - 1]!)),
    negative_span: [{ offset: 2, length: 1 }],
    negative_delta: [2],
  };
  const float = { sample_count_float: total * 0.5 + 1, sample_sum: -1.25 * k, schema: -1, zero_threshold: 0.01, zero_count_float: 1, positive_span: spans, positive_count: pos.map((c) => c * 0.5) };
  const classic = { sample_count: 4 * k + 3, sample_sum: k * 0.75, bucket: [0.1, 0.5, 2].map((b, i) => ({ upper_bound: b, cumulative_count: (i + 1) * k + i })) };
  const fam = (name: string, h: object) => family.encodeDelimited(family.fromObject({ name, help: name, type: 4, metric: [{ label: [{ name: 'path', value: '/x' }], histogram: h }] })).finish();
  return [fam('nh_int_seconds', integer), fam('nh_float_seconds', float), fam('cl_seconds', classic)];
}

let scrapes = 0;
const target = createServer((req, res) => {
  const accept = req.headers.accept ?? '';
  res.writeHead(200, { 'content-type': accept.includes('vnd.google.protobuf') ? PROTOBUF_TYPE : 'text/plain' });
  res.end(Buffer.concat(families(scrapes++)));
});
after(() => target.close());

function prometheusAvailable(): boolean {
  return spawnSync('prometheus', ['--version']).status === 0;
}

function start(cmd: string, args: string[]): void {
  children.push(spawn(cmd, args, { stdio: 'ignore' }));
}

async function ready(base: string): Promise<void> {
  await waitFor(`${base} ready`, async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined), 300);
}

interface ApiHistogram {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}
type RawSeries = { metric: Record<string, string>; histograms?: [number, ApiHistogram][] };

/** The histogram series of `names` (with `extra` matchers) over the last hour before `at`, keyed by their labels without `via`, in a comparable form. */
async function rawHistograms(base: string, names: readonly string[], extra: string, at: number): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  // One selector per name: each answer then holds one series.
  for (const name of names) for (const s of await rawSeries(base, `{__name__="${name}"${extra}}`, at)) {
    const labels = Object.entries(s.metric).filter(([n]) => n !== 'via').sort(([a], [b]) => (a < b ? -1 : 1));
    const points = (s.histograms ?? []).map(([t, h]) => [t, Number(h.count), unsigned(Number(h.sum)), (h.buckets ?? []).map((b) => [b[0], bound(b[1]), bound(b[2]), Number(b[3])])]);
    if (points.length > 0) out.set(JSON.stringify(labels), points);
  }
  return out;
}

/**
 * A sum of -0 read as 0: Prometheus 2.42's generated protobuf code leaves a double out of the
 * message when it equals 0, and -0 does, so it arrives as 0 at any receiver. Which process sees
 * the target's first scrape (the one with the sum -0) depends on timing.
 */
function unsigned(x: number): number {
  return x === 0 ? 0 : x;
}

/** A bucket bound to 12 digits: Prometheus 2.42 computes exponential bounds with a last-bit rounding that 3.x (and we) do not. */
function bound(x: string): number {
  return Number(Number(x).toPrecision(12));
}

async function rawSeries(base: string, selector: string, at: number): Promise<RawSeries[]> {
  const r = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(`${selector}[1h]`)}&time=${at}`)).json()) as { status: string; error?: string; data: { result: RawSeries[] } };
  assert.equal(r.status, 'success', `${base} ${selector}: ${r.error}`);
  return r.data.result;
}

/** Waits until the receiver holds what the sender has up to `at` (given up, the comparison shows the difference). */
async function assertSame(sender: string, receiver: string, names: readonly string[], via: string, at: number, what: string): Promise<void> {
  const want = await rawHistograms(sender, names, '', at);
  assert.equal(want.size, names.length, `${what}: the sender has the histograms`);
  const got = () => rawHistograms(receiver, names, via === '' ? '' : `,via="${via}"`, at);
  await waitFor(what, async () => (JSON.stringify([...(await got())]) === JSON.stringify([...want]) ? true : undefined), 100, 200).catch(() => undefined);
  assert.deepEqual(await got(), want, what);
}

test('native histograms remote-written ours to ours (1.0, 2.0, NHCB), ours to Prometheus 2.42 and Prometheus 2.42 to ours arrive equal', { skip: !prometheusAvailable() && 'prometheus is not installed', timeout: 180_000 }, async () => {
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetPort = (target.address() as { port: number }).port;
  const [sendPort, recvPort, promScrapePort, promRecvPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const [oursSend, oursRecv, promScrape, promRecv] = [sendPort, recvPort, promScrapePort, promRecvPort].map((p) => `http://127.0.0.1:${p}`) as [string, string, string, string];
  const scrape = `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: nh\n    static_configs:\n      - targets: ["127.0.0.1:${targetPort}"]\n`;
  const queue = `    send_native_histograms: true\n    queue_config:\n      batch_send_deadline: 500ms\n      min_backoff: 100ms\n`;
  const via = (v: string) => `    write_relabel_configs:\n      - target_label: via\n        replacement: ${v}\n`;
  writeFileSync(join(dir, 'recv.yml'), 'global:\n  scrape_interval: 1h\n');
  writeFileSync(join(dir, 'prom-recv.yml'), 'global:\n  scrape_interval: 1h\n');
  writeFileSync(
    join(dir, 'send.yml'),
    scrape.replace('  - job_name: nh\n', '  - job_name: nh\n    convert_classic_histograms_to_nhcb: true\n') +
      `remote_write:\n  - url: ${oursRecv}/api/v1/write\n    name: v1\n${queue}${via('v1')}` +
      `  - url: ${oursRecv}/api/v1/write\n    name: v2\n    protobuf_message: io.prometheus.write.v2.Request\n${queue}${via('v2')}` +
      `  - url: ${promRecv}/api/v1/write\n    name: prom\n${queue}    write_relabel_configs:\n      - source_labels: [__name__]\n        regex: nh_.*\n        action: keep\n`,
  );
  writeFileSync(join(dir, 'prom-scrape.yml'), `${scrape}remote_write:\n  - url: ${oursRecv}/api/v1/write\n${queue}${via('prom')}`);
  start(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'recv.yml')}`, `--storage.tsdb.path=${join(dir, 'recv')}`, `--web.listen-address=127.0.0.1:${recvPort}`, '--web.enable-remote-write-receiver']);
  start('prometheus', [`--config.file=${join(dir, 'prom-recv.yml')}`, `--storage.tsdb.path=${join(dir, 'prom-recv')}`, `--web.listen-address=127.0.0.1:${promRecvPort}`, '--web.enable-remote-write-receiver', '--enable-feature=native-histograms']);
  await ready(oursRecv);
  await ready(promRecv);
  start(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'send.yml')}`, `--storage.tsdb.path=${join(dir, 'send')}`, `--web.listen-address=127.0.0.1:${sendPort}`, '--enable-feature=native-histograms']);
  start('prometheus', [`--config.file=${join(dir, 'prom-scrape.yml')}`, `--storage.tsdb.path=${join(dir, 'prom-scrape')}`, `--web.listen-address=127.0.0.1:${promScrapePort}`, '--enable-feature=native-histograms']);
  await ready(oursSend);
  await ready(promScrape);
  await waitFor('8 scrapes', async () => (scrapes >= 8 ? true : undefined), 300);
  const at = Date.now() / 1000;

  const exponential = ['nh_int_seconds', 'nh_float_seconds'];
  // Ours to ours: integer, float and custom-bucket (NHCB) histograms, in both protocols.
  const nhcb = await rawSeries(oursSend, 'cl_seconds', at);
  assert.ok(nhcb[0]?.histograms?.[0]?.[1].buckets?.some((b) => b[2] === '0.5'), 'the classic histogram is stored as NHCB (bounds 0.1, 0.5, 2)');
  await assertSame(oursSend, oursRecv, [...exponential, 'cl_seconds'], 'v1', at, 'ours to ours, Remote-Write 1.0');
  await assertSame(oursSend, oursRecv, [...exponential, 'cl_seconds'], 'v2', at, 'ours to ours, Remote-Write 2.0');
  // Ours to Prometheus 2.42 (exponential histograms only).
  await assertSame(oursSend, promRecv, exponential, '', at, 'ours to Prometheus 2.42');
  // Prometheus 2.42 to ours.
  await assertSame(promScrape, oursRecv, exponential, 'prom', at, 'Prometheus 2.42 to ours');

  // The sender counted what it sent, by Prometheus's metric names.
  const metrics = await (await fetch(`${oursSend}/metrics`)).text();
  for (const name of ['v1', 'v2', 'prom']) {
    const m = new RegExp(`^prometheus_remote_storage_histograms_total\\{remote_name="${name}",[^}]*\\} (\\d+)`, 'm').exec(metrics);
    assert.ok(m !== null && Number(m[1]) > 0, `histograms_total for ${name}:\n${metrics.split('\n').filter((l) => l.includes('histograms')).join('\n')}`);
  }
});
