// The large-server case (`npm run bench -- scrape --scale 1m`): Promethium, Prometheus 2.42 and
// VictoriaMetrics 1.79 scrape the same synthetic targets at the same time (one timeline, so the
// machine's noise falls on all three alike), and for each: ingest CPU per sample, resident memory
// per series, `up` latency while the head is cut into a block (both TSDBs run with a short block
// range so that happens within minutes), a `sum by (job) (rate(...[5m]))` over every series, and the
// time to become ready again after `kill -9` (WAL replay). The rate queries and the restarts load
// the machine: they run one server at a time, once every server's head cut was observed, so none
// of them falls into another server's measured window.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/util/free-port.js';
import { cpuSeconds, rssBytes } from './proc.js';
import type { ScrapeServer } from './scrape.js';

const root = new URL('..', import.meta.url).pathname;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ScaleOptions {
  targets: number;
  seriesPerTarget: number;
  intervalSeconds: number;
  warmupSeconds: number;
  measureSeconds: number;
  /** --storage.tsdb.min-block-duration (and max) for both TSDBs: the head is cut after 1.5 of it. */
  blockMinutes: number;
}

export interface ScaleFigures {
  cpuSecondsPerMillionSamples: number;
  samplesPerSecond: number;
  headSeries: number;
  rssBytes: number;
  /** RSS every 30 s from start, to show when memory stops growing. */
  rssTrajectoryMiB: number[];
  /** `up` latency while only scraping (the measured window). */
  upSteadyMedianMs: number;
  upSteadyMaxMs: number;
  /** The server's first query (`up`, at the end of the warm-up, before the measured ones): first use, reported apart. */
  firstQueryMs: number;
  /** `up` latency from the moment the head could be cut until 10 s after its truncation was counted. */
  upCompactionMaxMs?: number;
  upCompactionP99Ms?: number;
  compactionObserved?: boolean;
  /** Seconds from the start until the head truncation was counted. */
  compactionAtSeconds?: number;
  /** The rate query over every series: median of 3, and how many groups it returned. */
  rateQueryMs?: number;
  rateQueryGroups?: number;
  /**
   * RSS right before the rate queries, its peak while they ran (read every 100 ms), and 30 s after
   * the last; whether the head was cut in those 30 s (a cut's own memory is then in `after30s`).
   */
  rssRateQueryBytes?: { before: number; peak: number; after30s: number; headCutBetween: boolean };
  /** kill -9, then restart on the same data: seconds until the readiness endpoint answers 200. */
  restartReadySeconds?: number;
  /** The server's own replay duration, where it reports one (metric or log line). */
  replaySeconds?: number;
  rssAfterRestartBytes?: number;
  /** Phases after the ingest figures that failed (a slow machine), with the reason: the other figures stand. */
  failures: string[];
}

interface Running {
  kind: ScrapeServer;
  dir: string;
  base: string;
  args: string[];
  child: ChildProcess;
  log: string;
}

function start(kind: ScrapeServer, dir: string, port: number, cfg: string, blockMinutes: number): Running {
  const data = join(dir, 'data');
  let cmd: string;
  let args: string[];
  if (kind === 'victoriametrics') {
    cmd = 'victoria-metrics';
    args = [`-promscrape.config=${cfg}`, `-storageDataPath=${data}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y', '-search.maxUniqueTimeseries=10000000', '-search.maxSamplesPerQuery=1000000000'];
  } else {
    const block = `${blockMinutes}m`;
    const common = [`--config.file=${cfg}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.min-block-duration=${block}`, `--storage.tsdb.max-block-duration=${block}`];
    cmd = kind === 'ours' ? process.execPath : 'prometheus';
    args = kind === 'ours' ? [join(root, 'bin', 'promethium.js'), 'server', ...common] : common;
  }
  const r: Running = { kind, dir, base: `http://127.0.0.1:${port}`, args: [cmd, ...args], child: undefined as unknown as ChildProcess, log: '' };
  spawnInto(r);
  return r;
}

function spawnInto(r: Running): void {
  const [cmd, ...args] = r.args;
  r.log = '';
  r.child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // Keep only the tail: Prometheus logs its replay duration there, and nothing else is needed.
  r.child.stderr!.on('data', (d: Buffer) => (r.log = (r.log + d.toString()).slice(-20_000)));
}

async function waitReady(r: Running, timeoutMs: number): Promise<void> {
  const path = r.kind === 'victoriametrics' ? '/health' : '/-/ready';
  const t0 = Date.now();
  for (;;) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${r.kind} did not become ready:\n${r.log.slice(-2000)}`);
    if (r.child.exitCode !== null) throw new Error(`${r.kind} exited (${r.child.exitCode}):\n${r.log.slice(-2000)}`);
    try {
      if ((await fetch(`${r.base}${path}`, { signal: AbortSignal.timeout(10_000) })).ok) return;
    } catch {
      /* starting */
    }
    await sleep(100);
  }
}

/**
 * fetch with a generous timeout, tried again on a network error: on a loaded machine a server
 * busy with a million series may not accept a connection at once, and one miss must not lose a
 * run of many minutes.
 */
async function get(url: string, tries = 5): Promise<Response> {
  for (let i = 1; ; i++) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(180_000) });
    } catch (e) {
      if (i >= tries) throw new Error(`${url}: ${(e as Error).message} (${String((e as { cause?: unknown }).cause ?? '')})`);
      await sleep(2000);
    }
  }
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await get(`${base}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function query(base: string, q: string): Promise<{ ms: number; results: number; value: number }> {
  const t0 = process.hrtime.bigint();
  const res = await get(`${base}/api/v1/query?query=${encodeURIComponent(q)}`, 1);
  const body = (await res.json()) as { status?: string; error?: string; data?: { result?: { value: [number, string] }[] } };
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (body.status !== 'success') throw new Error(`${base} ${q}: ${body.error ?? res.status}`);
  const result = body.data?.result ?? [];
  return { ms, results: result.length, value: Number(result[0]?.value[1] ?? NaN) };
}

const samplesMetric = (kind: ScrapeServer): string => (kind === 'victoriametrics' ? 'vm_rows_added_to_storage_total' : 'prometheus_tsdb_head_samples_appended_total');

async function seriesCount(r: Running): Promise<number> {
  if (r.kind !== 'victoriametrics') return metric(r.base, 'prometheus_tsdb_head_series');
  // VictoriaMetrics's active-series gauge fills lazily; its query API counts what it holds, once
  // the newest rows are searchable (it holds them back briefly), so ask again for up to a minute.
  for (let i = 0; ; i++) {
    try {
      const n = (await query(r.base, 'count({__name__=~".+"})')).value;
      if (!Number.isNaN(n) || i >= 60) return n;
    } catch (e) {
      if (i >= 60) throw e;
    }
    await sleep(1000);
  }
}

/** Asks for `up` every 250 ms until stopped; returns [time since start ms, latency ms] pairs. */
function pollUp(r: Running, t0: number): { stop: () => Promise<[number, number][]> } {
  const out: [number, number][] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Date.now() - t0;
      try {
        out.push([at, (await query(r.base, 'up')).ms]);
      } catch {
        out.push([at, NaN]);
      }
      await sleep(250);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return out;
    },
  };
}

const quantile = (xs: number[], q: number): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function replaySeconds(r: Running): Promise<number | undefined> {
  if (r.kind === 'ours') return metric(r.base, 'prometheus_tsdb_data_replay_duration_seconds');
  if (r.kind === 'prometheus') {
    const m = /WAL replay completed.*?total_replay_duration=([0-9.]+)(ms|s|m)\b/.exec(r.log);
    if (!m) return undefined;
    const v = Number(m[1]);
    return m[2] === 'ms' ? v / 1000 : m[2] === 'm' ? v * 60 : v;
  }
  return undefined;
}

/** What the concurrent part of a server's run measured (everything but the rate query and the restart). */
type SharedFigures = Omit<ScaleFigures, 'rssTrajectoryMiB' | 'rateQueryMs' | 'rateQueryGroups' | 'rssRateQueryBytes' | 'restartReadySeconds' | 'replaySeconds' | 'rssAfterRestartBytes' | 'failures'>;

/** A server's warm-up, measured window and head cut, on the shared timeline that starts at t0. */
async function steadyAndCut(r: Running, o: ScaleOptions, t0: number): Promise<SharedFigures> {
  await waitReady(r, 900_000);
  await sleep(Math.max(0, t0 + o.warmupSeconds * 1000 - Date.now()));
  const firstQueryMs = (await query(r.base, 'up')).ms;
  const pid = r.child.pid!;
  const cpu0 = cpuSeconds(pid);
  const samples0 = await metric(r.base, samplesMetric(r.kind));
  const m0 = Date.now();
  const steady = pollUp(r, t0);
  await sleep(o.measureSeconds * 1000);
  const steadyUp = (await steady.stop()).map(([, ms]) => ms);
  const cpu = cpuSeconds(pid) - cpu0;
  const samples = (await metric(r.base, samplesMetric(r.kind))) - samples0;
  const seconds = (Date.now() - m0) / 1000;
  const headSeries = await seriesCount(r);
  const rss = rssBytes(pid);

  // Head compaction: the head is cut once it spans 1.5 block ranges, at the servers' next
  // once-a-minute check. Keep asking for `up` from then until the truncation is counted.
  let compaction: Pick<ScaleFigures, 'upCompactionMaxMs' | 'upCompactionP99Ms' | 'compactionObserved' | 'compactionAtSeconds'> = {};
  if (r.kind !== 'victoriametrics') {
    const truncations0 = await metric(r.base, 'prometheus_tsdb_head_truncations_total');
    const from = Date.now() - t0;
    const during = pollUp(r, t0);
    const deadline = Date.now() + (o.blockMinutes * 1.5 + 6) * 60_000;
    let at: number | undefined;
    while (Date.now() < deadline) {
      if ((await metric(r.base, 'prometheus_tsdb_head_truncations_total')) > truncations0) {
        at = Date.now() - t0;
        break;
      }
      await sleep(1000);
    }
    if (at !== undefined) await sleep(10_000);
    const lat = (await during.stop()).filter(([t]) => t >= from).map(([, ms]) => ms);
    compaction = { compactionObserved: at !== undefined, compactionAtSeconds: at === undefined ? undefined : at / 1000, upCompactionMaxMs: quantile(lat, 1), upCompactionP99Ms: quantile(lat, 0.99) };
  }
  return {
    cpuSecondsPerMillionSamples: cpu / (samples / 1e6),
    samplesPerSecond: samples / seconds,
    headSeries,
    rssBytes: rss,
    upSteadyMedianMs: quantile(steadyUp, 0.5),
    upSteadyMaxMs: quantile(steadyUp, 1),
    firstQueryMs,
    ...compaction,
  };
}

const RATE_QUERY = `sum by (job) (rate(synthetic_requests_total[5m]))`;

/** Seconds after the rate queries when the memory they leave behind is read. */
const AFTER_QUERY_SECONDS = 30;

/**
 * The rate query over every series, three times: the median, how many groups it returned, and
 * the server's RSS around them (a dashboard's large query should not leave its memory behind).
 */
async function rateQuery(r: Running, failures: string[]): Promise<Pick<ScaleFigures, 'rateQueryMs' | 'rateQueryGroups' | 'rssRateQueryBytes'>> {
  const pid = r.child.pid!;
  const before = rssBytes(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 100);
  try {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await query(r.base, RATE_QUERY));
    clearInterval(sampler);
    // VictoriaMetrics has no such counter (NaN): it cuts no head.
    const cuts0 = await metric(r.base, 'prometheus_tsdb_head_truncations_total');
    await sleep(AFTER_QUERY_SECONDS * 1000);
    const after30s = rssBytes(pid);
    const headCutBetween = (await metric(r.base, 'prometheus_tsdb_head_truncations_total')) > cuts0;
    return { rateQueryMs: quantile(runs.map((x) => x.ms), 0.5), rateQueryGroups: runs[0]!.results, rssRateQueryBytes: { before, peak, after30s, headCutBetween } };
  } catch (e) {
    failures.push(`rate query: ${(e as Error).message.slice(0, 200)}`);
    return {};
  } finally {
    clearInterval(sampler);
  }
}

/** kill -9 and restart on the same data directory: the time until ready, and the replay's. */
async function restart(r: Running, failures: string[]): Promise<Pick<ScaleFigures, 'restartReadySeconds' | 'replaySeconds' | 'rssAfterRestartBytes'>> {
  r.child.kill('SIGKILL');
  await new Promise((res) => (r.child.exitCode !== null || r.child.signalCode !== null ? res(undefined) : r.child.once('exit', res)));
  const k0 = Date.now();
  spawnInto(r);
  try {
    await waitReady(r, 900_000);
    return { restartReadySeconds: (Date.now() - k0) / 1000, replaySeconds: await replaySeconds(r), rssAfterRestartBytes: rssBytes(r.child.pid!) };
  } catch (e) {
    failures.push(`restart: ${(e as Error).message.slice(0, 200)}`);
    return {};
  }
}

export async function measureScale(referenceDir: string, o: ScaleOptions, peers: { prometheus: boolean; victoriametrics: boolean }): Promise<Partial<Record<ScrapeServer, ScaleFigures | string>>> {
  const ports = await Promise.all(Array.from({ length: o.targets }, () => freePort()));
  const targets = ports.map((p) => spawn(process.execPath, [join(referenceDir, 'target.mjs'), String(p), String(o.seriesPerTarget)], { stdio: 'ignore' }));
  const kinds: ScrapeServer[] = ['ours', ...(peers.prometheus ? (['prometheus'] as const) : []), ...(peers.victoriametrics ? (['victoriametrics'] as const) : [])];
  const running: Running[] = [];
  let rssTimer: NodeJS.Timeout | undefined;
  try {
    await sleep(2000);
    const t0 = Date.now();
    for (const kind of kinds) {
      const dir = mkdtempSync(join(tmpdir(), `promethium-scale-bench-${kind}-`));
      const cfg = join(dir, 'prometheus.yml');
      writeFileSync(cfg, `global:\n  scrape_interval: ${o.intervalSeconds}s\n  scrape_timeout: ${Math.min(o.intervalSeconds, 20)}s\nscrape_configs:\n  - job_name: synthetic\n    static_configs:\n      - targets: [${ports.map((p) => `"127.0.0.1:${p}"`).join(', ')}]\n`);
      running.push(start(kind, dir, await freePort(), cfg, o.blockMinutes));
    }
    const trajectories = running.map(() => [] as number[]);
    rssTimer = setInterval(() => {
      running.forEach((r, i) => {
        try {
          trajectories[i]!.push(Math.round(rssBytes(r.child.pid!) / 2 ** 20));
        } catch {
          /* restarting */
        }
      });
    }, 30_000);
    const shared = await Promise.allSettled(running.map((r) => steadyAndCut(r, o, t0)));
    const out: Partial<Record<ScrapeServer, ScaleFigures | string>> = {};
    const failures = running.map(() => [] as string[]);
    // One server at a time from here, the others only scraping.
    const late = running.map(() => ({}) as Pick<ScaleFigures, 'rateQueryMs' | 'rateQueryGroups' | 'rssRateQueryBytes' | 'restartReadySeconds' | 'replaySeconds' | 'rssAfterRestartBytes'>);
    const measured = running.flatMap((r, i) => (shared[i]!.status === 'fulfilled' ? [i] : []));
    for (const i of measured) Object.assign(late[i]!, await rateQuery(running[i]!, failures[i]!));
    for (const [k, i] of measured.entries()) {
      // The server restarted before has scraped again (its first scrapes look every series up anew).
      if (k > 0) await sleep((o.intervalSeconds + 10) * 1000);
      Object.assign(late[i]!, await restart(running[i]!, failures[i]!));
    }
    shared.forEach((s, i) => {
      out[kinds[i]!] = s.status === 'fulfilled' ? { ...s.value, rssTrajectoryMiB: trajectories[i]!, ...late[i], failures: failures[i]! } : `failed: ${(s.reason as Error).message.slice(0, 300)}`;
    });
    return out;
  } finally {
    clearInterval(rssTimer);
    for (const r of running) r.child.kill('SIGKILL');
    for (const t of targets) t.kill('SIGKILL');
    await sleep(500);
    for (const r of running) rmSync(r.dir, { recursive: true, force: true });
  }
}
