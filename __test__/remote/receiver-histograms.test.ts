// Native histograms received over remote write (`--web.enable-remote-write-receiver`), encoded on
// the test side with protobufjs from prompb's `Histogram` message (an encoder independent of ours):
// integer histograms (deltas), float histograms (absolute counts) and custom-bucket ones in 1.0 and
// 2.0 requests are stored and read back through the query API; 2.0 answers count them in
// X-Prometheus-Remote-Write-Histograms-Written; a malformed histogram is a 400 naming the reason,
// and nothing of that request is written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { encodeV1, V2Builder } from './proto.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
let base = '';
let server: ChildProcess;
let dir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'promethium-rw-recv-nh-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1h\n');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver'], { stdio: 'ignore' });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined));
});

after(() => {
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function post(body: Uint8Array<ArrayBuffer>, contentType: string): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(`${base}/api/v1/write`, { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Encoding': 'snappy' }, body });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

interface ApiHistogram {
  count: string;
  sum: string;
  buckets?: [number, string, string, string][];
}

async function latest(q: string): Promise<ApiHistogram[]> {
  const r = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}&time=${Date.now() / 1000}`)).json()) as { data: { result: { histogram?: [number, ApiHistogram] }[] } };
  return r.data.result.map((s) => s.histogram![1]);
}

const now = (): number => Date.now() - 2000;
// Integer: zero bucket 1, positive buckets at indices 0 and 1 (schema 0: (0.5,1], (1,2]) with 2 and 3.
const integer = (t: number) => ({ count_int: 6, sum: 7.5, schema: 0, zero_threshold: 0.001, zero_count_int: 1, positive_spans: [{ offset: 0, length: 2 }], positive_deltas: [2, 1], timestamp: t });
// Float: one negative bucket at index 1 ([-2,-1)) of 0.5, positive index 0 of 1.25.
const float = (t: number) => ({ count_float: 1.75, sum: -0.5, schema: 0, negative_spans: [{ offset: 1, length: 1 }], negative_counts: [0.5], positive_spans: [{ offset: 0, length: 1 }], positive_counts: [1.25], timestamp: t });
// Custom buckets: bounds 0.1 and 1, counts 1, 0, 4 ((-Inf,0.1], (0.1,1], (1,+Inf]).
const nhcb = (t: number) => ({ count_float: 5, sum: 9, schema: -53, positive_spans: [{ offset: 0, length: 3 }], positive_counts: [1, 0, 4], custom_values: [0.1, 1], timestamp: t });

test('1.0: integer, float and custom-bucket histograms are stored and read back', async () => {
  const t = now();
  const series = (name: string, h: object) => ({ labels: [{ name: '__name__', value: name }, { name: 'job', value: 'rw' }], histograms: [h] });
  const r = await post(encodeV1([series('rw_nh_int', integer(t)), series('rw_nh_float', float(t)), series('rw_nh_custom', nhcb(t))]), 'application/x-protobuf');
  assert.equal(r.status, 204, r.text);
  assert.deepEqual(await latest('rw_nh_int'), [{ count: '6', sum: '7.5', buckets: [[3, '-0.001', '0.001', '1'], [0, '0.5', '1', '2'], [0, '1', '2', '3']] }]);
  assert.deepEqual(await latest('rw_nh_float'), [{ count: '1.75', sum: '-0.5', buckets: [[1, '-2', '-1', '0.5'], [0, '0.5', '1', '1.25']] }]);
  assert.deepEqual(await latest('rw_nh_custom'), [{ count: '5', sum: '9', buckets: [[0, '-Inf', '0.1', '1'], [0, '1', '+Inf', '4']] }]);
});

test('2.0: histograms are stored and counted in X-Prometheus-Remote-Write-Histograms-Written', async () => {
  const t = now();
  const b = new V2Builder();
  b.series([['__name__', 'rw2_nh'], ['job', 'rw']], [], { histograms: [integer(t - 1000), integer(t)] });
  b.series([['__name__', 'rw2_nh_custom'], ['job', 'rw']], [], { histograms: [nhcb(t)] });
  const r = await post(b.encode(), 'application/x-protobuf;proto=io.prometheus.write.v2.Request');
  assert.equal(r.status, 204, r.text);
  assert.equal(r.headers.get('x-prometheus-remote-write-histograms-written'), '3');
  assert.equal(r.headers.get('x-prometheus-remote-write-samples-written'), '0');
  assert.equal((await latest('rw2_nh'))[0]?.count, '6');
  assert.equal((await latest('rw2_nh_custom'))[0]?.sum, '9');
});

test('a malformed histogram is a 400 with the reason, and nothing of the request is written', async () => {
  const t = now();
  const good = { labels: [{ name: '__name__', value: 'rw_nh_good' }], samples: [{ value: 1, timestamp: t }] };
  const short = { labels: [{ name: '__name__', value: 'rw_nh_bad' }], histograms: [{ ...integer(t), positive_deltas: [2] }] };
  const r = await post(encodeV1([good, short]), 'application/x-protobuf');
  assert.equal(r.status, 400);
  assert.match(r.text, /series 1: histogram at timestamp \d+: positive spans cover 2 buckets but 1 are given/);
  const unsorted = { labels: [{ name: '__name__', value: 'rw_nh_bad' }], histograms: [{ ...nhcb(t), custom_values: [1, 0.1] }] };
  assert.match((await post(encodeV1([unsorted]), 'application/x-protobuf')).text, /strictly increasing/);
  const r2 = (await (await fetch(`${base}/api/v1/query?query=rw_nh_good&time=${Date.now() / 1000}`)).json()) as { data: { result: unknown[] } };
  assert.deepEqual(r2.data.result, []);
});
