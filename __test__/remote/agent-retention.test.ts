// Agent mode's WAL retention (--storage.agent.retention.min-time / max-time): the truncation time
// follows the remote-write queues' progress within both bounds, a down receiver cannot hold data
// past max-time, and without queues the WAL keeps max-time. Durations are short and the clock is
// passed in: nothing here waits for time to pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import client from 'prom-client';
import { parseConfig } from '../../src/config/index.js';
import { RemoteStorage } from '../../src/remote/index.js';
import { walSegments } from '../../src/remote/backlog.js';
import { Storage } from '../../src/storage/index.js';
import { Logger } from '../../src/util/logger.js';
import { AgentWalTruncator, agentRetention, agentTruncationTime, DEFAULT_AGENT_MAX_TIME_MS, DEFAULT_AGENT_MIN_TIME_MS, DEFAULT_AGENT_TRUNCATE_FREQUENCY_MS } from '../../src/server/agent-retention.js';
import type { AgentRetention } from '../../src/server/agent-retention.js';
import { fakeReceiver } from './wire.js';
import { waitFor } from '../helpers/net.js';

const SERIES = 20;
const QUEUE = '    queue_config: { capacity: 2000, max_samples_per_send: 1000, batch_send_deadline: 50ms, min_backoff: 50ms, max_backoff: 100ms }\n';

function quietLogger(lines: string[] = []): Logger {
  return new Logger({ level: 'info', format: 'json', write: (l) => lines.push(l) });
}

function tempDir(t: { after(f: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-agent-wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Appends one sample per series every second from `start`, `count` times; returns the last timestamp. */
function fill(storage: Storage, name: string, start: number, count: number): number {
  const refs = storage.seriesRefs(Array.from({ length: SERIES }, (_, i) => ({ __name__: name, i: String(i) })));
  for (let k = 0; k < count; k++) storage.append(refs, new Float64Array(SERIES).fill(start + k * 1000), new Float64Array(SERIES).fill(k));
  return start + (count - 1) * 1000;
}

/** Per metric name: the first and last timestamp and the sample count of series i=0, as a TSDB replaying the WAL finds them. */
function replayed(dir: string): Map<string, { first: number; last: number; count: number }> {
  const db = Storage.open(dir, { retentionMs: 0, maxAheadMs: 0 });
  try {
    const sel = db.select([{ type: '=', name: 'i', value: '0' }], -1e15, 1e15);
    const s = sel.samples();
    const out = new Map<string, { first: number; last: number; count: number }>();
    sel.labels.forEach((l, i) => {
      const from = s.offsets[i]!;
      const to = s.offsets[i + 1]!;
      out.set(l['__name__']!, { first: s.t[from]!, last: s.t[to - 1]!, count: to - from });
    });
    return out;
  } finally {
    db.close();
  }
}

async function counter(registry: client.Registry, name: string): Promise<number> {
  return (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values.reduce((n, v) => n + v.value, 0) ?? 0;
}

test("the flags get Prometheus's agent defaults and adjustments", () => {
  assert.deepEqual(agentRetention({ minTimeMs: 0, maxTimeMs: 0, truncateFrequencyMs: 0 }), { minTimeMs: DEFAULT_AGENT_MIN_TIME_MS, maxTimeMs: DEFAULT_AGENT_MAX_TIME_MS, truncateFrequencyMs: DEFAULT_AGENT_TRUNCATE_FREQUENCY_MS });
  assert.equal(agentRetention({ minTimeMs: 6 * 3_600_000, maxTimeMs: 0, truncateFrequencyMs: 0 }).maxTimeMs, 6 * 3_600_000, 'max-time is at least min-time');
  assert.equal(agentRetention({ minTimeMs: 1000, maxTimeMs: 2000, truncateFrequencyMs: 60_000 }).maxTimeMs, 60_000, 'max-time is at least the truncation interval');
  const r: AgentRetention = { minTimeMs: 10_000, maxTimeMs: 100_000, truncateFrequencyMs: 1000 };
  assert.equal(agentTruncationTime(500_000, r, 550_000), 490_000, 'min-time before what the slowest queue sent');
  assert.equal(agentTruncationTime(300_000, r, 550_000), 450_000, 'never before now - max-time');
  assert.equal(agentTruncationTime(0, r, 550_000), 450_000, 'no queue (or nothing sent yet): max-time');
  assert.equal(agentTruncationTime(0, r, 50_000), 0);
});

test('min-time keeps samples the receiver acknowledged for min-time; older ones go', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const storage = Storage.open(dir, { agent: true, walSegmentSize: 64 * 1024, maxAheadMs: 0 });
  const rx = await fakeReceiver(() => ({ status: 200 }));
  const remote = new RemoteStorage({ storage, dataDir: dir, logger: quietLogger(), maxBacklog: { bytes: 1024 ** 3 }, maxAgeMs: 1e12, pollMs: 10 });
  remote.init(new client.Registry());
  t.after(() => rx.close());
  await remote.applyConfig(parseConfig(`remote_write:\n  - url: ${rx.url}\n${QUEUE}`, 'p.yml'));
  const start = Date.now() - 3_600_000;
  const last = fill(storage, 'm', start, 3000);
  assert.ok(walSegments(storage.walDir).length > 5, 'the samples span several segments');
  await waitFor('every sample acknowledged', async () => (remote.lowestSentTimestamp() === last ? true : undefined), 600, 50);
  const retention: AgentRetention = { minTimeMs: 999_000, maxTimeMs: 1e12, truncateFrequencyMs: 1000 };
  const truncator = new AgentWalTruncator({ storage, queues: remote, retention, logger: quietLogger() });
  const registry = new client.Registry();
  truncator.init(registry);
  const report = await truncator.truncate(last + 1000);
  assert.equal(await counter(registry, 'prometheus_agent_deleted_series'), report.seriesPendingDeletion);
  assert.equal(report.mint, last - 999_000);
  assert.notEqual(report.checkpointThrough, null, 'the acknowledged segments were checkpointed');
  assert.equal(report.segmentsGivenUp, 0);
  await remote.stop();
  storage.close();
  const m = replayed(dir).get('m')!;
  // What is left is one run up to the last sample that starts at or before mint: every sample of
  // the last 999 s (k >= 2000) is kept though acknowledged; the oldest are gone.
  assert.equal(m.last, last);
  assert.equal(m.count, (m.last - m.first) / 1000 + 1, 'no gap');
  assert.ok(m.first > start && m.first <= report.mint, `kept from ${m.first - start} ms after the start`);
});

test('max-time drops data older than it while the receiver is down, counted and logged', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const storage = Storage.open(dir, { agent: true, walSegmentSize: 64 * 1024, maxAheadMs: 0 });
  const rx = await fakeReceiver(() => ({ status: 503 }));
  const registry = new client.Registry();
  const lines: string[] = [];
  const maxTimeMs = 60_000;
  // The size bound alone would keep everything: only max-time can give segments up here.
  const remote = new RemoteStorage({ storage, dataDir: dir, logger: quietLogger(lines), maxBacklog: { bytes: 1024 ** 3 }, maxAgeMs: maxTimeMs, pollMs: 10 });
  remote.init(registry);
  t.after(() => rx.close());
  await remote.applyConfig(parseConfig(`remote_write:\n  - url: ${rx.url}\n${QUEUE}`, 'p.yml'));
  const start = Date.now() - 1000 * 3000;
  const last = fill(storage, 'm', start, 3000);
  const before = walSegments(storage.walDir);
  assert.ok(before.length > 5);
  assert.equal(remote.enforceBacklog(), 0, 'at the real time nothing is older than max-time yet');
  await waitFor('a failed send', async () => (rx.requests.length > 0 ? true : undefined), 600, 50);
  assert.equal(remote.lowestSentTimestamp(), 0, 'nothing acknowledged');
  // Two max-times later: every segment but the one being written holds only data past max-time.
  const now = Date.now() + 2 * maxTimeMs;
  const truncator = new AgentWalTruncator({ storage, queues: remote, retention: { minTimeMs: 1000, maxTimeMs, truncateFrequencyMs: 1000 }, logger: quietLogger(lines) });
  const report = await truncator.truncate(now);
  assert.equal(report.mint, now - maxTimeMs);
  assert.equal(report.segmentsGivenUp, before.length - 1, 'every closed segment given up for the queue');
  assert.equal(report.seriesRemoved, SERIES, 'no series has a sample after now - max-time');
  assert.equal(await counter(registry, 'prometheus_remote_storage_backlog_segments_dropped_total'), before.length - 1);
  assert.ok(lines.some((l) => l.includes('--storage.agent.retention.max-time')), 'the queue logs what it gave up and why');
  const after = walSegments(storage.walDir);
  assert.equal(after[0]!.segment, before.at(-1)!.segment, 'only the segment being written at the truncation is left');
  await remote.stop();
  storage.close();
  const m = replayed(dir).get('m');
  assert.ok(m === undefined || (m.count < 3000 / (before.length - 1) + 1 && m.last === last), `only what the last segment held: ${JSON.stringify(m)}`);
});

test("without remote-write queues the agent's WAL keeps max-time and stays bounded", { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const storage = Storage.open(dir, { agent: true, walSegmentSize: 64 * 1024, maxAheadMs: 0 });
  const remote = new RemoteStorage({ storage, dataDir: dir, logger: quietLogger(), maxBacklog: { bytes: 1024 ** 3 }, maxAgeMs: 600_000 });
  remote.init(new client.Registry());
  await remote.applyConfig(parseConfig('global: {}\n', 'p.yml'));
  const truncator = new AgentWalTruncator({ storage, queues: remote, retention: { minTimeMs: 60_000, maxTimeMs: 600_000, truncateFrequencyMs: 1000 }, logger: quietLogger() });
  const base = 1_700_000_000_000;
  // A series that stopped long ago, then rounds of recent data: each truncation leaves max-time.
  fill(storage, 'gone', base - 3_600_000, 500);
  let end = base;
  const files: number[] = [];
  for (let round = 0; round < 3; round++) {
    end = fill(storage, 'm', end + 1000, 1500);
    const report = await truncator.truncate(end + 1000);
    assert.equal(report.mint, end + 1000 - 600_000, 'no queue: now - max-time');
    if (round === 0) assert.equal(report.seriesRemoved, SERIES, "the stopped series' are collected");
    files.push(readdirSync(storage.walDir).length);
    assert.ok(walSegments(storage.walDir).length <= 2, 'closed segments are checkpointed');
  }
  assert.ok(files.every((n) => n <= 3), `segments and one checkpoint (${files})`);
  storage.close();
  const got = replayed(dir);
  assert.equal(got.has('gone'), false);
  const m = got.get('m')!;
  assert.equal(m.last, end);
  assert.ok(m.first >= end + 1000 - 600_000, 'nothing older than max-time before the last truncation');
  assert.equal(m.count, 600, 'exactly max-time of samples');
});
