// --storage.remote.max-backlog (sizes and ages), the WAL floor the queues set on the storage, and
// reloads: a queue added, one kept running with what it has pending, one removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import client from 'prom-client';
import { parseConfig } from '../../src/config/index.js';
import { RemoteStorage, parseMaxBacklog } from '../../src/remote/index.js';
import { backlogFloor } from '../../src/remote/backlog.js';
import { Storage } from '../../src/storage/index.js';
import { Logger } from '../../src/util/logger.js';
import { decodeV1, fakeReceiver } from './wire.js';

const logger = new Logger({ level: 'error', write: () => {} });

test('max-backlog takes sizes and durations', () => {
  assert.deepEqual(parseMaxBacklog('512MB'), { bytes: 512 * 1024 ** 2 });
  assert.deepEqual(parseMaxBacklog('1GiB'), { bytes: 1024 ** 3 });
  assert.deepEqual(parseMaxBacklog('2h'), { ms: 7_200_000 });
  assert.throws(() => parseMaxBacklog('lots'), /max-backlog "lots": use a size/);
  assert.throws(() => parseMaxBacklog('0MB'), /must be positive/);
});

test('the floor gives up the oldest segments past the bound, never the newest', () => {
  const segs = [1, 2, 3, 4].map((segment) => ({ segment, bytes: 100, mtimeMs: 1000 * segment }));
  assert.equal(backlogFloor(segs, 1, { bytes: 1000 }), 1);
  assert.equal(backlogFloor(segs, 1, { bytes: 250 }), 3);
  assert.equal(backlogFloor(segs, 2, { bytes: 1 }), 4, 'the segment being written stays');
  assert.equal(backlogFloor(segs, 1, { ms: 2500 }, 5000), 3, 'segments last written before now - 2.5s go');
});

test('queues set the WAL floor; past max-backlog a down receiver loses the oldest data, counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-backlog-'));
  const storage = Storage.open(dir, { walSegmentSize: 64 * 1024 });
  const floors: (number | null)[] = [];
  const wrapped = { walDir: storage.walDir, setWalRetentionFloor: (s: number | null) => (floors.push(s), storage.setWalRetentionFloor(s)) };
  const rx = await fakeReceiver(() => ({ status: 503 }));
  const registry = new client.Registry();
  const remote = new RemoteStorage({ storage: wrapped, dataDir: dir, logger, maxBacklog: { bytes: 150 * 1024 }, pollMs: 10 });
  remote.init(registry);
  await remote.applyConfig(parseConfig(`remote_write:\n  - url: ${rx.url}\n    queue_config: { capacity: 100, max_samples_per_send: 100, min_backoff: 50ms, max_backoff: 100ms }\n`, 'p.yml'));
  assert.equal(floors.at(-1), 0, 'a new queue at the start of an empty WAL holds segment 0');
  const refs = storage.seriesRefs(Array.from({ length: 50 }, (_, i) => ({ __name__: 'b', i: String(i) })));
  for (let k = 0; k < 1500; k++) storage.append(refs, new Float64Array(50).fill(1_000_000 + k * 1000), new Float64Array(50).fill(k));
  remote.enforceBacklog();
  const floor = floors.at(-1)!;
  assert.ok(floor !== null && floor > 0, `the floor moved past the bound (${floor})`);
  // The watcher reads past the given-up segments on a worker thread: their samples are counted once it has.
  const droppedNow = async () => (await registry.getMetricsAsJSON()).find((m) => m.name === 'prometheus_remote_storage_samples_dropped_total')!.values.filter((v) => v.labels.reason === 'backlog').reduce((n, v) => n + v.value, 0);
  const end = Date.now() + 10_000;
  while ((await droppedNow()) === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const metrics = await registry.getMetricsAsJSON();
  assert.ok((await droppedNow()) > 0, 'dropped samples are counted');
  assert.ok(metrics.find((m) => m.name === 'prometheus_remote_storage_backlog_segments_dropped_total')!.values[0]!.value >= 1);
  await remote.applyConfig(parseConfig('global: {}\n', 'p.yml'));
  assert.equal(floors.at(-1), null, 'no queue, no floor');
  storage.close();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

test('reload: an unchanged queue keeps running, a new one starts at the WAL end, a removed one stops', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-reload-'));
  const storage = Storage.open(dir);
  let aUp = false;
  const a = await fakeReceiver(() => ({ status: aUp ? 204 : 503 }));
  const b = await fakeReceiver(() => ({ status: 204 }));
  const q = (url: string, name: string) => `  - url: ${url}\n    name: ${name}\n    queue_config: { batch_send_deadline: 50ms, min_backoff: 10ms, max_backoff: 50ms }\n`;
  const remote = new RemoteStorage({ storage, dataDir: dir, logger, maxBacklog: { bytes: 1 << 30 }, pollMs: 10 });
  remote.init(new client.Registry());
  await remote.applyConfig(parseConfig(`remote_write:\n${q(a.url, 'a')}`, 'p.yml'));
  const refs = storage.seriesRefs([{ __name__: 'r' }]);
  for (let k = 0; k < 10; k++) storage.append(refs, Float64Array.of(1_000_000 + k * 1000), Float64Array.of(k));
  await new Promise((r) => setTimeout(r, 200));
  // Reload adding b while a is down with 10 samples pending.
  await remote.applyConfig(parseConfig(`remote_write:\n${q(a.url, 'a')}${q(b.url, 'b')}`, 'p.yml'));
  for (let k = 10; k < 15; k++) storage.append(refs, Float64Array.of(1_000_000 + k * 1000), Float64Array.of(k));
  aUp = true;
  const count = (reqs: typeof a.requests) => reqs.filter((r) => r.status === 204).reduce((n, r) => n + decodeV1(r.body).reduce((m, s) => m + s.samples.length, 0), 0);
  const end = Date.now() + 10_000;
  while ((count(a.requests) < 15 || count(b.requests) < 5) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.equal(count(a.requests), 15, 'the kept queue sent what was pending before the reload');
  assert.equal(count(b.requests), 5, 'the new queue starts at the end of the WAL');
  await remote.applyConfig(parseConfig(`remote_write:\n${q(b.url, 'b')}`, 'p.yml'));
  assert.deepEqual(remote.status().map((s) => s.name), ['b']);
  await remote.stop();
  storage.close();
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});
