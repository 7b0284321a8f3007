// Queries that cannot kill or stall the server (issue 16, defects 2 and 3): each case runs a
// `promethium server` child process on ~2,000 series of synth_total and checks the API's answer
// and that the server keeps answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { Storage } from '../../src/storage/index.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const SERIES = 2000;
const STEP = 15_000;
const END = Date.now() - (Date.now() % STEP);
const START = END - 3600_000;

/** One data directory for all cases: SERIES counters over the last hour, a sample every 15s. */
const dataDir = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-query-limits-'));
  const db = Storage.open(join(dir, 'data'));
  const labels = Array.from({ length: SERIES }, (_, i) => ({ __name__: 'synth_total', id: String(i), job: 'synth' }));
  const refs = db.seriesRefs(labels);
  for (let t = START; t <= END; t += STEP) {
    const ts = new Float64Array(SERIES).fill(t);
    const vs = new Float64Array(SERIES).map((_, i) => ((t - START) / 1000) * (i + 1));
    db.append(refs, ts, vs);
  }
  db.close();
  return dir;
})();

interface Answer {
  code: number;
  body: { status: string; errorType?: string; error?: string; data?: { result: unknown[] } };
}

async function get(url: string): Promise<Answer> {
  const r = await fetch(url);
  return { code: r.status, body: (await r.json()) as Answer['body'] };
}

/** A server on a copy-free read of the shared data (its own WAL dir would conflict: one at a time per directory). */
async function startServer(t: { after: (f: () => void) => void }, flags: string[]): Promise<{ base: string; proc: ChildProcess; log: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-query-limits-run-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1h\n');
  // Each server gets its own copy of the data directory (the lock allows one process per directory).
  const data = join(dir, 'data');
  const { cpSync } = await import('node:fs');
  cpSync(join(dataDir, 'data'), data, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  t.after(() => proc.kill('SIGKILL'));
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined), 300);
  return { base, proc, log: () => log };
}

const q = (base: string, expr: string, extra = ''): string => `${base}/api/v1/query?query=${encodeURIComponent(expr)}&time=${END / 1000}${extra}`;
const qr = (base: string, expr: string, stepS: number, extra = ''): string => `${base}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${START / 1000}&end=${END / 1000}&step=${stepS}${extra}`;

async function stillServes(base: string, proc: ChildProcess): Promise<void> {
  assert.equal(proc.exitCode, null, 'the server process is still running');
  assert.equal((await fetch(`${base}/-/healthy`)).status, 200);
  const count = await get(q(base, 'count(synth_total)'));
  assert.equal(count.code, 200);
  assert.deepEqual((count.body.data!.result[0] as { value: [number, string] }).value[1], String(SERIES));
}

test('a subquery of 2,000 series at 1ms resolution is refused with 422, and the server keeps answering', async (t) => {
  const { base, proc, log } = await startServer(t, []);
  const r = await get(q(base, 'max_over_time(rate(synth_total[5m])[1h:1ms])'));
  assert.equal(r.code, 422, `answer ${JSON.stringify(r.body)}; log ${log().slice(-500)}`);
  assert.equal(r.body.errorType, 'execution');
  assert.equal(r.body.error, 'query processing would load too many samples into memory in query execution');
  await stillServes(base, proc);
});

test('--query.max-samples: a subquery with more steps than samples allowed is a 422, not a 500 "too many steps"', async (t) => {
  const { base, proc } = await startServer(t, []);
  const r = await get(q(base, 'max_over_time(synth_total[30d:1ms])'));
  assert.equal(r.code, 422, JSON.stringify(r.body));
  assert.equal(r.body.errorType, 'execution');
  assert.equal(r.body.error, 'query processing would load too many samples into memory in query execution');
  // The limit as set: the same query over a few steps passes, a larger one does not.
  const small = await startServer(t, ['--query.max-samples=5000']);
  assert.equal((await get(q(small.base, 'synth_total{id=~"1.?"}'))).code, 200);
  const over = await get(qr(small.base, 'rate(synth_total[5m])', 60));
  assert.equal(over.code, 422, JSON.stringify(over.body));
  assert.equal(over.body.error, 'query processing would load too many samples into memory in query execution');
  await stillServes(base, proc);
});

test('--query.max-memory: a query that would pass the budget fails with 422 naming the flag', async (t) => {
  const { base, proc } = await startServer(t, ['--query.max-memory=20MB']);
  // 2,000 series x 3,601 steps: ~65 MB of values and presence, more with the result.
  const r = await get(qr(base, 'rate(synth_total[5m])', 1));
  assert.equal(r.code, 422, JSON.stringify(r.body));
  assert.equal(r.body.errorType, 'execution');
  assert.match(r.body.error!, /--query\.max-memory=20971520 bytes/);
  // Small queries still fit.
  assert.equal((await get(qr(base, 'sum(rate(synth_total[5m]))', 60))).code, 200);
  await stillServes(base, proc);
});

// CPU-heavy, memory-light, with a one-series answer: a quantile over a 1h window of 240 samples
// at each of 3,601 steps of 2,000 series.
const HEAVY = 'sum(quantile_over_time(0.5, synth_total[1h]))';

test('--query.timeout holds: a heavy query gets 503 timeout', async (t) => {
  const { base, proc } = await startServer(t, ['--query.timeout=300ms']);
  const r = await get(qr(base, HEAVY, 1));
  assert.equal(r.code, 503, JSON.stringify(r.body).slice(0, 300));
  assert.equal(r.body.errorType, 'timeout');
  assert.equal(r.body.error, 'query timed out in expression evaluation');
  await stillServes(base, proc);
});

test('/-/healthy answers while a heavy query runs', async (t) => {
  const { base, proc } = await startServer(t, ['--query.timeout=3s']);
  const order: string[] = [];
  // Ordered by the arrival of each answer's headers: the server sends them once it has evaluated the query.
  const heavy = fetch(qr(base, HEAVY, 1)).then(async (r) => {
    order.push('heavy query');
    return { code: r.status, body: await r.text() };
  });
  // Wait until the query is being evaluated (the gauge of queries in flight says so) ... or just
  // let its request reach the server before asking for health.
  await new Promise((r) => setTimeout(r, 300));
  const healthy = await fetch(`${base}/-/healthy`);
  order.push('healthy');
  assert.equal(healthy.status, 200);
  const r = await heavy;
  assert.deepEqual(order, ['healthy', 'heavy query'], 'health answered before the heavy query finished');
  assert.ok(r.code === 200 || r.code === 503, `${r.code} ${r.body.slice(0, 200)}`);
  await stillServes(base, proc);
});
