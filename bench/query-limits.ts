// `npm run bench -- query-limits`: the queries of issue 16 (defects 2 and 3) against ours and
// Prometheus 2.42 on the same data (2,000 series of synth_total, 2h at 15s, in a WAL both
// replay): each on a freshly started server with --query.timeout=20s, wall time and answer of the
// query, peak RSS of the server process while it ran (VmRSS polled every 10 ms from /proc, with the
// RSS before the query), and the slowest /-/healthy answer during it (polled every 100 ms).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../src/storage/index.js';
import { freePort } from '../src/util/free-port.js';
import { rssBytes } from './proc.js';

const here = new URL('.', import.meta.url).pathname;
const SERIES = 2000;
const STEP = 15_000;
const END = 1_700_000_000_000;
const START = END - 2 * 3600_000;

export const LIMIT_QUERIES = [
  'max_over_time(rate(synth_total[5m])[1h:1ms])',
  'max_over_time(rate(synth_total[5m])[10m:1ms])',
  'max_over_time(synth_total[1h:100ms])',
  'max_over_time(rate(synth_total[5m])[30d:1ms])',
];

export interface LimitFigure {
  wallS: number;
  /** HTTP status and errorType (or "success"). */
  answer: string;
  baselineRss: number;
  peakRss: number;
  /** Slowest /-/healthy answer during the query, ms (Infinity: one never came before the query ended). */
  healthyMaxMs: number;
}

function makeData(dir: string): void {
  const db = Storage.open(dir, { retentionMs: 0 });
  const refs = db.seriesRefs(Array.from({ length: SERIES }, (_, i) => ({ __name__: 'synth_total', id: String(i), job: 'synth' })));
  for (let t = START; t <= END; t += STEP) {
    db.append(refs, new Float64Array(SERIES).fill(t), new Float64Array(SERIES).map((_, i) => ((t - START) / 1000) * (1 + (i % 10))));
  }
  db.close();
}

/** Our server or Prometheus 2.42 on a data directory (config and flags beside it), once /-/ready answers. */
export async function startServer(kind: 'ours' | 'prometheus', data: string, extra: string[]): Promise<{ proc: ChildProcess; base: string }> {
  const port = await freePort();
  const cfg = join(data, '..', `${kind}-bench.yml`);
  writeFileSync(cfg, 'global:\n  scrape_interval: 1h\n');
  const args = [`--config.file=${cfg}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=100y', ...extra];
  const proc = kind === 'ours' ? spawn(process.execPath, ['--import', 'tsx', join(here, 'server-from-sources.ts'), 'server', ...args], { stdio: 'ignore' }) : spawn('prometheus', args, { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`${kind} exited at start`);
    try {
      if ((await fetch(`${base}/-/ready`)).status === 200) return { proc, base };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${kind} did not become ready`);
}

async function measure(kind: 'ours' | 'prometheus', data: string, query: string, extra: string[]): Promise<LimitFigure> {
  const { proc, base } = await startServer(kind, data, ['--query.timeout=20s', ...extra]);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const baselineRss = rssBytes(proc.pid!);
    let peakRss = baselineRss;
    let done = false;
    const poll = setInterval(() => {
      try {
        const rss = rssBytes(proc.pid!);
        if (Number.isFinite(rss)) peakRss = Math.max(peakRss, rss);
      } catch {
        /* exited */
      }
    }, 10);
    let healthyMaxMs = 0;
    const healthy = (async () => {
      while (!done) {
        const t0 = performance.now();
        const answered = await Promise.race([fetch(`${base}/-/healthy`).then(() => true, () => true), new Promise<false>((r) => setTimeout(() => r(false), 1000)).then(() => false)]);
        // Still waiting: count the time so far, keep waiting for that answer.
        healthyMaxMs = Math.max(healthyMaxMs, performance.now() - t0);
        if (answered) await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t0 = performance.now();
    let answer: string;
    try {
      const r = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}&time=${END / 1000}`, { signal: AbortSignal.timeout(300_000) });
      const body = (await r.json()) as { status: string; errorType?: string };
      answer = `${r.status} ${body.errorType ?? body.status}`;
    } catch (e) {
      // A dropped connection: did the process die (Prometheus 2.42 does on [30d:1ms], "fatal error: runtime: out of memory")?
      const exited = proc.exitCode !== null || proc.signalCode !== null || (await new Promise<boolean>((r) => {
        proc.once('exit', () => r(true));
        setTimeout(() => r(false), 2000);
      }));
      answer = exited ? `process died (exit ${proc.exitCode ?? proc.signalCode})` : `no answer (${(e as Error).message})`;
    }
    const wallS = (performance.now() - t0) / 1000;
    done = true;
    clearInterval(poll);
    await healthy;
    return { wallS, answer, baselineRss, peakRss, healthyMaxMs };
  } finally {
    proc.kill('SIGKILL');
  }
}

/** Runs every query on both engines; `extraOurs` adds flags to ours (e.g. --query.max-memory). */
export async function measureQueryLimits(extraOurs: string[] = [], withPrometheus = true): Promise<{ query: string; ours: LimitFigure; prometheus: LimitFigure | undefined }[]> {
  const work = mkdtempSync(join(tmpdir(), 'promethium-qlimits-'));
  try {
    const seed = join(work, 'seed');
    makeData(seed);
    const hasProm = withPrometheus && spawnSync('prometheus', ['--version']).status === 0;
    const out = [];
    for (const query of LIMIT_QUERIES) {
      const copy = (name: string): string => {
        const d = join(work, name);
        rmSync(d, { recursive: true, force: true });
        cpSync(seed, d, { recursive: true });
        return d;
      };
      const ours = await measure('ours', copy('ours'), query, extraOurs);
      const prometheus = hasProm ? await measure('prometheus', copy('prom'), query, []) : undefined;
      console.error(`  ${query}: ours ${JSON.stringify(ours)} | Prometheus ${JSON.stringify(prometheus)}`);
      out.push({ query, ours, prometheus });
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
