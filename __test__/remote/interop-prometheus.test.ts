// Interop with Debian's Prometheus 2.42 (`prometheus` on PATH, installed by .ci/run):
// 1. Prometheus scrapes a static target and remote-writes (1.0) into our `/api/v1/write`; after a
//    few scrapes, the same queries answer the same on both.
// 3. Our server with `remote_read` pointing at Prometheus 2.42's `/api/v1/read` (and no data of
//    its own) answers the same queries as Prometheus does.
// 2. A second Prometheus with `remote_read` pointing at our `/api/v1/read` (2.42 asks for
//    STREAMED_XOR_CHUNKS first) answers the same queries as we do; our SAMPLES response,
//    decoded with protobufjs, carries the same samples as the streamed one.
// 4. Our server reading from our own `/api/v1/read` (streamed chunks) answers as Prometheus does;
//    rate()/irate()/increase() over merged data answer as our engine over the local samples.
// 5. When the target fails, the stale markers end the series on every reader, as on Prometheus.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import snappy from 'snappy';
import { freePort, waitFor } from '../helpers/net.js';
import { ChunkedReadResponse, encodeReadRequest, ReadResponse } from './proto.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-interop-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// A small static target: a gauge, a counter with two label values; values change per scrape.
let scrapes = 0;
let targetDown = false;
const target = createServer((_req, res) => {
  if (targetDown) {
    res.writeHead(500);
    res.end();
    return;
  }
  scrapes++;
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
  res.end(`# TYPE interop_gauge gauge\ninterop_gauge ${scrapes * 1.5}\n# TYPE interop_requests_total counter\ninterop_requests_total{code="200"} ${scrapes * 10}\ninterop_requests_total{code="500"} ${scrapes}\n`);
});
after(() => target.close());

function start(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: 'ignore' });
  children.push(c);
  return c;
}

async function ready(base: string): Promise<void> {
  await waitFor(`${base} ready`, async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined), 300);
}

type Result = { metric: Record<string, string>; value: [number, string] }[];

async function query(base: string, q: string, t: number): Promise<Result> {
  const r = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}&time=${t}`)).json()) as { status: string; data: { result: Result }; error?: string };
  assert.equal(r.status, 'success', `${base} ${q}: ${r.error}`);
  return r.data.result.map((s) => ({ metric: s.metric, value: s.value })).sort((a, b) => (JSON.stringify(a.metric) < JSON.stringify(b.metric) ? -1 : 1));
}

// No rate() against Prometheus: its extrapolation differs between Prometheus 2.42 and the 3.x
// semantics we follow; our merged rate() is compared with our local one instead.
const QUERIES = ['interop_gauge', 'interop_requests_total', 'sum by (code) (interop_requests_total)', 'max_over_time(interop_gauge[10m])', 'count_over_time(interop_gauge[10m])', 'up', 'scrape_samples_scraped'];
const OURS_ONLY = ['rate(interop_requests_total[1m])', 'irate(interop_requests_total[1m])', 'increase(interop_requests_total[30s])', 'avg_over_time(interop_gauge[5s])'];

test('Prometheus 2.42 remote-writes into us, remote-reads from us, and we remote-read from it: equal answers', { timeout: 120_000 }, async () => {
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetPort = (target.address() as { port: number }).port;
  const [ourPort, promPort, readerPort, ourReaderPort, selfReaderPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const selfReader = `http://127.0.0.1:${selfReaderPort}`;
  const ourReader = `http://127.0.0.1:${ourReaderPort}`;
  const ours = `http://127.0.0.1:${ourPort}`;
  const prom = `http://127.0.0.1:${promPort}`;
  const reader = `http://127.0.0.1:${readerPort}`;
  writeFileSync(join(dir, 'ours.yml'), 'global:\n  scrape_interval: 1h\n');
  start(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'ours.yml')}`, `--storage.tsdb.path=${join(dir, 'ours')}`, `--web.listen-address=127.0.0.1:${ourPort}`, '--web.enable-remote-write-receiver']);
  writeFileSync(
    join(dir, 'prom.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: interop\n    static_configs:\n      - targets: ["127.0.0.1:${targetPort}"]\nremote_write:\n  - url: ${ours}/api/v1/write\n    queue_config:\n      batch_send_deadline: 500ms\n      min_backoff: 100ms\n`,
  );
  writeFileSync(join(dir, 'reader.yml'), `remote_read:\n  - url: ${ours}/api/v1/read\n    read_recent: true\n`);
  await ready(ours);
  start('prometheus', [`--config.file=${join(dir, 'prom.yml')}`, `--storage.tsdb.path=${join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${promPort}`]);
  start('prometheus', [`--config.file=${join(dir, 'reader.yml')}`, `--storage.tsdb.path=${join(dir, 'reader')}`, `--web.listen-address=127.0.0.1:${readerPort}`]);
  writeFileSync(join(dir, 'our-reader.yml'), `global:\n  scrape_interval: 1h\nremote_read:\n  - url: ${prom}/api/v1/read\n    read_recent: true\n`);
  start(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'our-reader.yml')}`, `--storage.tsdb.path=${join(dir, 'our-reader')}`, `--web.listen-address=127.0.0.1:${ourReaderPort}`]);
  // Ours reading from ours: streamed chunks both ways.
  writeFileSync(join(dir, 'self-reader.yml'), `global:\n  scrape_interval: 1h\nremote_read:\n  - url: ${ours}/api/v1/read\n    read_recent: true\n`);
  start(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'self-reader.yml')}`, `--storage.tsdb.path=${join(dir, 'self-reader')}`, `--web.listen-address=127.0.0.1:${selfReaderPort}`]);
  await ready(prom);
  await ready(reader);
  await ready(ourReader);
  await ready(selfReader);
  await waitFor('5 scrapes', async () => (scrapes >= 5 ? true : undefined), 300);
  const at = Date.now() / 1000;
  // Wait for the remote-write queue to deliver everything up to `at`, then compare.
  const expected = new Map<string, Result>();
  for (const q of QUERIES) expected.set(q, await query(prom, q, at));
  assert.ok(expected.get('interop_requests_total')!.length === 2, 'Prometheus scraped the target');
  // Given up waiting, the assertions below show the difference.
  await waitFor('our answers to match', async () => {
    for (const q of QUERIES) if (JSON.stringify(await query(ours, q, at)) !== JSON.stringify(expected.get(q))) return undefined;
    return true;
  }, 100, 200).catch(() => undefined);
  for (const q of QUERIES) assert.deepEqual(await query(ours, q, at), expected.get(q), `ours: ${q}`);
  // The reader has no data of its own: everything comes through our /api/v1/read.
  for (const q of QUERIES) assert.deepEqual(await query(reader, q, at), expected.get(q), `remote read: ${q}`);

  // Our remote_read client, reading from Prometheus.
  for (const q of QUERIES) assert.deepEqual(await query(ourReader, q, at), expected.get(q), `our remote_read: ${q}`);
  for (const q of QUERIES) assert.deepEqual(await query(selfReader, q, at), expected.get(q), `our remote_read of ours: ${q}`);
  // Range functions over merged data: as our engine over the same samples held locally.
  for (const q of OURS_ONLY) {
    const local = await query(ours, q, at);
    assert.ok(local.length > 0, q);
    assert.deepEqual(await query(ourReader, q, at), local, `our remote_read: ${q}`);
    assert.deepEqual(await query(selfReader, q, at), local, `our remote_read of ours: ${q}`);
  }

  // The target fails: Prometheus writes stale markers, remote-writes them to us, and every reader
  // (Prometheus reading from us, us reading from Prometheus and from ourselves) ends the series
  // there, though the lookback would still reach the older samples.
  targetDown = true;
  const downAt = Date.now();
  await waitFor('up == 0 on Prometheus', async () => ((await query(prom, 'up', Date.now() / 1000))[0]?.value[1] === '0' ? true : undefined), 300);
  await new Promise((r) => setTimeout(r, 1500));
  const at2 = Date.now() / 1000;
  assert.ok(at2 * 1000 - downAt < 60_000, 'still within the 5m lookback');
  assert.deepEqual(await query(prom, 'interop_gauge', at2), []);
  await waitFor('the stale marker to reach us', async () => ((await query(ours, 'interop_gauge', at2)).length === 0 ? true : undefined), 100, 200).catch(() => undefined);
  for (const base of [ours, reader, ourReader, selfReader]) assert.deepEqual(await query(base, 'interop_gauge', at2), [], `${base}: interop_gauge after the stale marker`);

  // Our SAMPLES and STREAMED_XOR_CHUNKS answers to the same ReadRequest carry the same samples.
  const req = encodeReadRequest([{ start: (at - 600) * 1000, end: at * 1000, matchers: [[0, '__name__', 'interop_gauge']] }], [0]);
  const samplesResp = await fetch(`${ours}/api/v1/read`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' }, body: req });
  assert.equal(samplesResp.headers.get('content-type'), 'application/x-protobuf');
  const decoded = ReadResponse.toObject(ReadResponse.decode(snappy.uncompressSync(Buffer.from(await samplesResp.arrayBuffer())) as Buffer), { longs: Number }) as { results: { timeseries: { samples: { timestamp: number; value: number }[] }[] }[] };
  const sampleValues = decoded.results[0]!.timeseries[0]!.samples.map((s) => s.value);
  const matrix = (await (await fetch(`${prom}/api/v1/query?query=${encodeURIComponent('interop_gauge[10m]')}&time=${at}`)).json()) as { data: { result: { values: [number, string][] }[] } };
  assert.deepEqual(sampleValues, matrix.data.result[0]!.values.map(([, v]) => Number(v)));
  const streamed = await fetch(`${ours}/api/v1/read`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' }, body: encodeReadRequest([{ start: (at - 600) * 1000, end: at * 1000, matchers: [[0, '__name__', 'interop_gauge']] }], [1, 0]) });
  assert.equal(streamed.headers.get('content-type'), 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse');
  const buf = Buffer.from(await streamed.arrayBuffer());
  // One frame: uvarint size, CRC32C (checked by the reader above), message.
  let size = 0;
  let shift = 0;
  let at0 = 0;
  for (;;) {
    const b = buf[at0++]!;
    size += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) break;
  }
  const frame = ChunkedReadResponse.toObject(ChunkedReadResponse.decode(buf.subarray(at0 + 4, at0 + 4 + size)), { longs: Number }) as { chunked_series: { chunks: { type: number }[] }[] };
  assert.equal(frame.chunked_series.length, 1);
  assert.equal(frame.chunked_series[0]!.chunks[0]!.type, 1);
});
