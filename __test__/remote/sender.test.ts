// The sender against fake receivers on 127.0.0.1: the 1.0 and 2.0 bodies decode (protobufjs,
// reflection types) to what was appended, write relabeling and external labels apply per series,
// 5xx and 429 are retried (Retry-After honoured), other 4xx dropped and counted, 415 to a 2.0
// request falls back to 1.0, and a restart resumes from the durable savepoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import client from 'prom-client';
import { Storage } from '../../src/storage/index.js';
import { parseConfig } from '../../src/config/index.js';
import { RemoteStorage } from '../../src/remote/index.js';
import { readSavepoint } from '../../src/remote/savepoint.js';
import { Logger } from '../../src/util/logger.js';
import { decodeV1, decodeV1Metadata, decodeV2, fakeReceiver, type ReceivedRequest } from './wire.js';

const logs: string[] = [];
const logger = new Logger({ level: 'debug', write: (l) => logs.push(l) });

function setup(): { dir: string; storage: Storage } {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-'));
  return { dir, storage: Storage.open(dir) };
}

function config(url: string, extra = '', global = '', perSend = 50, retry429 = false) {
  return parseConfig(`${global}remote_write:\n  - url: ${url}\n    name: q\n    queue_config: { batch_send_deadline: 50ms, min_backoff: 10ms, max_backoff: 40ms, max_samples_per_send: ${perSend}, retry_on_http_429: ${retry429} }\n${extra}`, 'p.yml');
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function append(storage: Storage, names: string[], t0: number, n: number): void {
  const refs = storage.seriesRefs(names.map((name, i) => ({ __name__: name, i: String(i) })));
  for (let k = 0; k < n; k++) storage.append(refs, new Float64Array(refs.length).fill(t0 + k * 1000), new Float64Array(refs.length).fill(k));
}

const samplesIn = (reqs: ReceivedRequest[], decode: (b: Uint8Array) => { labels: Record<string, string>; samples: unknown[] }[]) => reqs.reduce((n, r) => n + decode(r.body).reduce((m, s) => m + s.samples.length, 0), 0);

test('1.0: headers, relabeling per series, external labels, every sample once in order', async () => {
  const { dir, storage } = setup();
  const rx = await fakeReceiver(() => ({ status: 204 }));
  const remote = new RemoteStorage({ storage, dataDir: dir, logger, maxBacklog: { bytes: 1 << 30 }, pollMs: 10 });
  remote.init(new client.Registry());
  await remote.applyConfig(config(rx.url, '    write_relabel_configs:\n      - source_labels: [__name__]\n        regex: drop_me\n        action: drop\n', 'global:\n  external_labels: { cluster: c1 }\n'));
  append(storage, ['keep_a', 'drop_me', 'keep_b'], 1_000_000, 40);
  await until('80 samples', () => samplesIn(rx.requests, decodeV1) >= 80);
  await remote.stop();
  const h = rx.requests[0]!.headers;
  assert.equal(h['content-encoding'], 'snappy');
  assert.equal(h['content-type'], 'application/x-protobuf');
  assert.equal(h['x-prometheus-remote-write-version'], '0.1.0');
  assert.match(h['user-agent'] ?? '', /Prometheus\/.*Promethium/);
  const bySeries = new Map<string, number[]>();
  for (const r of rx.requests) for (const s of decodeV1(r.body)) bySeries.set(JSON.stringify(s.labels), [...(bySeries.get(JSON.stringify(s.labels)) ?? []), ...s.samples.map((x) => x.t)]);
  assert.deepEqual([...bySeries.keys()].sort(), [JSON.stringify({ __name__: 'keep_a', cluster: 'c1', i: '0' }), JSON.stringify({ __name__: 'keep_b', cluster: 'c1', i: '2' })].sort());
  for (const ts of bySeries.values()) assert.deepEqual(ts, Array.from({ length: 40 }, (_, k) => 1_000_000 + k * 1000));
  assert.ok(rx.requests.every((r) => decodeV1(r.body).reduce((n, s) => n + s.samples.length, 0) <= 50), 'max_samples_per_send holds');
  storage.close();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

test('2.0: symbols, start timestamps; 5xx and (retry_on_http_429) 429 retried, 400 dropped and counted', async () => {
  const { dir, storage } = setup();
  let calls = 0;
  const rx = await fakeReceiver((r, n): { status: number; headers?: Record<string, string> } => {
    calls = n;
    if (n === 1) return { status: 503 };
    if (n === 2) return { status: 429, headers: { 'Retry-After': '0' } };
    if (n === 3) return { status: 400 };
    const samples = decodeV2(r.body).series.reduce((m, s) => m + s.samples.length, 0);
    return { status: 204, headers: { 'X-Prometheus-Remote-Write-Samples-Written': String(samples) } };
  });
  const registry = new client.Registry();
  const remote = new RemoteStorage({ storage, dataDir: dir, logger, maxBacklog: { bytes: 1 << 30 }, pollMs: 10 });
  remote.init(registry);
  await remote.applyConfig(config(rx.url, '    protobuf_message: io.prometheus.write.v2.Request\n', '', 10, true));
  const refs = storage.seriesRefs([{ __name__: 'c_total', job: 'j' }]);
  for (let k = 0; k < 30; k++) storage.append(refs, Float64Array.of(2_000_000 + k * 1000), Float64Array.of(k), Float64Array.of(1_999_000));
  await until('the 30 samples, one batch of them refused', () => calls >= 4 && remote.status()[0]!.samplesSent + remote.status()[0]!.samplesFailed >= 30);
  await remote.stop();
  const h = rx.requests[0]!.headers;
  assert.equal(h['content-type'], 'application/x-protobuf;proto=io.prometheus.write.v2.Request');
  assert.equal(h['x-prometheus-remote-write-version'], '2.0.0');
  const d = decodeV2(rx.requests.at(-1)!.body);
  assert.equal(d.symbols[0], '', 'symbols[0] is the empty string');
  assert.deepEqual(d.series[0]!.labels, { __name__: 'c_total', job: 'j' });
  assert.ok(d.series[0]!.samples.every((s) => s.st === 1_999_000), 'start timestamps from the WAL');
  const metrics = await registry.getMetricsAsJSON();
  const val = (name: string) => (metrics.find((m) => m.name === name)?.values ?? []).reduce((n, v) => n + v.value, 0);
  assert.ok(val('prometheus_remote_storage_samples_retried_total') >= 20, 'the 503 and the 429 were retried');
  assert.ok(val('prometheus_remote_storage_samples_failed_total') >= 1, 'the 400 was dropped and counted');
  assert.equal(val('prometheus_remote_storage_samples_total') + val('prometheus_remote_storage_samples_failed_total'), 30);
  assert.equal(val('prometheus_remote_storage_written_count_mismatch_total'), 0);
  storage.close();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

test('415 to 2.0 falls back to 1.0 for the queue; nothing is lost', async () => {
  const { dir, storage } = setup();
  const rx = await fakeReceiver((r) => ({ status: String(r.headers['content-type']).includes('v2') ? 415 : 204 }));
  const remote = new RemoteStorage({ storage, dataDir: dir, logger, maxBacklog: { bytes: 1 << 30 }, pollMs: 10 });
  remote.init(new client.Registry());
  await remote.applyConfig(config(rx.url, '    protobuf_message: io.prometheus.write.v2.Request\n'));
  append(storage, ['m'], 3_000_000, 20);
  await until('20 samples as 1.0', () => samplesIn(rx.requests.filter((r) => r.headers['x-prometheus-remote-write-version'] === '0.1.0'), decodeV1) >= 20);
  assert.equal(remote.status()[0]!.protocol, 'prometheus.WriteRequest');
  await remote.stop();
  storage.close();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a restart resumes from the savepoint: what the receiver missed while down is sent after', async () => {
  const { dir, storage } = setup();
  let up = true;
  const rx = await fakeReceiver(() => ({ status: up ? 204 : 503 }));
  const newRemote = async () => {
    const r = new RemoteStorage({ storage, dataDir: dir, logger, maxBacklog: { bytes: 1 << 30 }, pollMs: 10 });
    r.init(new client.Registry());
    await r.applyConfig(config(rx.url));
    return r;
  };
  let remote = await newRemote();
  append(storage, ['a', 'b'], 4_000_000, 10);
  await until('first 20', () => samplesIn(rx.requests, decodeV1) >= 20);
  up = false;
  append(storage, ['a', 'b'], 4_100_000, 15);
  await new Promise((r) => setTimeout(r, 300));
  await remote.stop();
  const saved = readSavepoint(join(dir, 'remote'), config(rx.url).remoteWrite[0]!.hash);
  assert.ok(saved !== null, 'the savepoint file exists');
  up = true;
  const before = samplesIn(rx.requests.slice(), decodeV1);
  remote = await newRemote();
  await until('the 30 held back', () => samplesIn(rx.requests, decodeV1) - before >= 30);
  await remote.stop();
  const ts = new Map<string, number>();
  for (const r of rx.requests) for (const s of decodeV1(r.body)) for (const x of s.samples) ts.set(`${s.labels.__name__}@${x.t}`, (ts.get(`${s.labels.__name__}@${x.t}`) ?? 0) + 1);
  assert.equal(ts.size, 50, 'every sample reached the receiver');
  storage.close();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

test('2.0 carries exemplars and per-series metadata; 1.0 sends metadata every send_interval', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-'));
  const storage = Storage.open(dir, { maxExemplars: 100 });
  const rx = await fakeReceiver(() => ({ status: 204 }));
  const families = (): [string, { type: string; help: string; unit: string }][] => [['req', { type: 'counter', help: 'Requests.', unit: 'requests' }], ['temp', { type: 'gauge', help: 'Temperature.', unit: 'celsius' }]];
  const remote = new RemoteStorage({ storage, dataDir: dir, logger, maxBacklog: { bytes: 1 << 30 }, pollMs: 10, families });
  remote.init(new client.Registry());
  await remote.applyConfig(parseConfig(`remote_write:\n  - url: ${rx.url}/v2\n    protobuf_message: io.prometheus.write.v2.Request\n    send_exemplars: true\n    queue_config: { batch_send_deadline: 50ms }\n  - url: ${rx.url}/v1\n    metadata_config: { send_interval: 100ms }\n    queue_config: { batch_send_deadline: 50ms }\n`, 'p.yml'));
  const refs = storage.seriesRefs([{ __name__: 'req_total', path: '/a' }, { __name__: 'temp', room: 'x' }]);
  storage.append(refs, Float64Array.of(5_000_000, 5_000_000), Float64Array.of(1, 21.5));
  storage.appendExemplars(Uint32Array.of(refs[0]!), Float64Array.of(5_000_000), Float64Array.of(0.25), [{ trace_id: 'abc' }]);
  const v2 = () => rx.requests.filter((r) => String(r.headers['content-type']).includes('v2')).flatMap((r) => decodeV2(r.body).series);
  const v1md = () => rx.requests.filter((r) => !String(r.headers['content-type']).includes('v2')).flatMap((r) => decodeV1Metadata(r.body));
  await until('the exemplar and the metadata request', () => v2().some((s) => s.exemplars.length > 0) && v1md().length >= 2);
  await remote.stop();
  const req = v2().find((s) => s.labels.__name__ === 'req_total')!;
  assert.deepEqual(req.metadata, { type: 1, help: 'Requests.', unit: 'requests' }, 'req_total found under its family name req');
  assert.deepEqual(v2().find((s) => s.labels.__name__ === 'temp')!.metadata, { type: 2, help: 'Temperature.', unit: 'celsius' });
  assert.deepEqual(v2().flatMap((s) => s.exemplars), [{ labels: { trace_id: 'abc' }, t: 5_000_000, v: 0.25 }]);
  assert.deepEqual(v1md().slice(0, 2).map((m) => [m.metricFamilyName, m.type, m.help, m.unit]), [['req', 1, 'Requests.', 'requests'], ['temp', 2, 'Temperature.', 'celsius']]);
  storage.close();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});
