// The outage test as written, with Debian's Prometheus 2.42 beside us: both scrape the
// same target every second and remote-write (1.0) to their own fake receiver on 127.0.0.1; the
// receivers answer 503 for two minutes, both senders are killed with SIGKILL halfway and started
// again, then the receivers come back. Ours: every sample it stored reaches the receiver (count
// per series equal), duplicates at most one batch, RSS (from /proc) stays within a bound of what
// it was before the outage. Prometheus's loss is logged beside ours, not asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { decodeV1, fakeReceiver, scrapeTarget } from './wire.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const OUTAGE_MS = 120_000;
const SERIES = 20;
const PER_SEND = 100;
/** RSS may grow this much over its level before the outage (the queue holds at most capacity x shards samples; the WAL keeps the rest). */
const RSS_GROWTH_BOUND_MB = 150;
const hasPrometheus = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

type Query = (q: string) => Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
const queryAt = (base: string): Query => async (q) => ((await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;

test('two-minute outage with a SIGKILL restart: ours loses nothing, Prometheus 2.42 beside it', { timeout: 270_000, skip: !hasPrometheus && 'prometheus 2.42 is not installed' }, async (t) => {
  const target = await scrapeTarget(() => '# TYPE rw_series gauge\n' + Array.from({ length: SERIES }, (_, i) => `rw_series{i="${i}"} ${Math.random()}\n`).join(''));
  const tport = target.port;
  let up = true;
  const ours = await fakeReceiver(() => ({ status: up ? 204 : 503 }));
  const theirs = await fakeReceiver(() => ({ status: up ? 204 : 503 }));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-outage2m-'));
  const yml = (url: string) => `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: t\n    static_configs:\n      - targets: ["127.0.0.1:${tport}"]\nremote_write:\n  - url: ${url}\n    name: fake\n    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 2s, max_samples_per_send: ${PER_SEND} }\n`;
  writeFileSync(join(dir, 'ours.yml'), yml(ours.url));
  writeFileSync(join(dir, 'theirs.yml'), yml(theirs.url));
  const [port, pport] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const pbase = `http://127.0.0.1:${pport}`;
  const startOurs = (): ChildProcess => spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'ours.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const startTheirs = (): ChildProcess => spawn('prometheus', [`--config.file=${join(dir, 'theirs.yml')}`, `--storage.tsdb.path=${join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${pport}`], { stdio: 'ignore' });
  let server = startOurs();
  let prom = startTheirs();
  t.after(async () => {
    server.kill('SIGKILL');
    prom.kill('SIGKILL');
    target.close();
    await ours.close();
    await theirs.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ready = (b: string) => waitFor(`${b} ready`, async () => ((await fetch(`${b}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined), 600, 100);
  // Distinct timestamps per series (stale markers, NaN, left out: count_over_time does not count them), and all deliveries.
  const received = (rx: typeof ours) => {
    const per = new Map<string, number[]>();
    for (const r of rx.requests.filter((x) => x.status === 204)) for (const s of decodeV1(r.body)) if (s.labels.__name__ === 'rw_series') per.set(s.labels.i!, [...(per.get(s.labels.i!) ?? []), ...s.samples.filter((x) => !Number.isNaN(x.v)).map((x) => x.t)]);
    return per;
  };
  await Promise.all([ready(base), ready(pbase)]);
  await waitFor('samples at both receivers', async () => ((received(ours).get('0')?.length ?? 0) >= 3 && (received(theirs).get('0')?.length ?? 0) >= 3 ? true : undefined), 600, 100);
  let before = 0;
  for (let i = 0; i < 5; i++, await sleep(1000)) before = Math.max(before, rssMb(server.pid));

  // The outage: scrapes go on; both senders are killed and started again halfway.
  up = false;
  const began = Date.now();
  let during = 0;
  const sampler = setInterval(() => (during = Math.max(during, rssMb(server.pid))), 1000);
  await sleep(OUTAGE_MS / 2);
  for (const c of [server, prom]) c.kill('SIGKILL');
  await Promise.all([server, prom].map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(undefined) : c.once('exit', r)))));
  server = startOurs();
  prom = startTheirs();
  await Promise.all([ready(base), ready(pbase)]);
  await sleep(Math.max(0, OUTAGE_MS - (Date.now() - began)));
  clearInterval(sampler);
  up = true;
  // Let the last scrapes of the outage land, then freeze the series: compare what each stored with what its receiver got.
  await sleep(3000);
  target.freeze();
  await sleep(2000);
  const caughtUp = async (rx: typeof ours, q: Query) => {
    const stored = await q('count_over_time(rw_series[15m])');
    const got = received(rx);
    return stored.length === SERIES && stored.every((s) => new Set(got.get(s.metric.i!) ?? []).size >= Number(s.value[1])) ? true : undefined;
  };
  await waitFor('our receiver to catch up', () => caughtUp(ours, queryAt(base)), 300, 200);
  // Prometheus gets the same time to send what it still will (it does not catch up on what it skipped).
  await sleep(10_000);
  const loss = async (rx: typeof ours, q: Query) => {
    const stored = await q('count_over_time(rw_series[15m])');
    const got = received(rx);
    let [storedN, lost, dup] = [0, 0, 0];
    for (const s of stored) {
      const ts = got.get(s.metric.i!) ?? [];
      storedN += Number(s.value[1]);
      lost += Math.max(0, Number(s.value[1]) - new Set(ts).size);
      dup += ts.length - new Set(ts).size;
    }
    return { series: stored.length, stored: storedN, lost, duplicates: dup };
  };
  const [a, b] = [await loss(ours, queryAt(base)), await loss(theirs, queryAt(pbase))];
  console.log(`outage ${OUTAGE_MS / 1000}s with a SIGKILL restart, ${SERIES} series at 1s:`);
  console.log(`  promethium:      stored ${a.stored}, lost ${a.lost}, duplicates ${a.duplicates}; RSS before ${before.toFixed(0)} MB, max during ${during.toFixed(0)} MB`);
  console.log(`  prometheus 2.42: stored ${b.stored}, lost ${b.lost} (${((100 * b.lost) / Math.max(1, b.stored)).toFixed(1)}%), duplicates ${b.duplicates}`);
  assert.equal(a.series, SERIES);
  const got = received(ours);
  for (const s of await queryAt(base)('count_over_time(rw_series[15m])')) assert.equal(new Set(got.get(s.metric.i!)).size, Number(s.value[1]), `series ${s.metric.i}: every stored sample reached the receiver`);
  assert.equal(a.lost, 0);
  assert.ok(a.duplicates <= PER_SEND, `duplicates ${a.duplicates}: at most one batch`);
  assert.ok(during > 0 && during < before + RSS_GROWTH_BOUND_MB, `RSS during the outage ${during.toFixed(0)} MB, before ${before.toFixed(0)} MB`);
});
