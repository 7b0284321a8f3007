// Scrape ingestion figures: our server, Debian's Prometheus 2.42 and VictoriaMetrics 1.79
// (single-node, `-promscrape.config`), one after the other in the same run, scraping the same
// synthetic targets (../shared/reference/target.mjs): CPU seconds per million samples, resident
// memory per active series, and how long `up` takes to answer through the API while the scrapes run
// (a large scrape must not block the HTTP API).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/util/free-port.js';
import { cpuSeconds, rssBytes } from './proc.js';

const root = new URL('..', import.meta.url).pathname;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

export interface ScrapeFigures {
  cpuSecondsPerMillionSamples: number;
  samplesPerSecond: number;
  rssBytesPerSeries: number;
  headSeries: number;
  rssMiB: number;
  upQueryMedianMs: number;
  upQueryMaxMs: number;
  /**
   * The server's first query, asked at the end of the warm-up, before the measured ones: what it
   * costs beyond the others is first use (our server loads its evaluator and the route's validator
   * with it), not scraping, so it is reported apart.
   */
  firstQueryMs: number;
}

export interface ScrapeBenchOptions {
  targets: number;
  seriesPerTarget: number;
  intervalSeconds: number;
  warmupSeconds: number;
  measureSeconds: number;
}

export type ScrapeServer = 'ours' | 'prometheus' | 'victoriametrics';

/** Samples ingested so far and active series, from each server's own metrics. */
async function ingestCounters(kind: ScrapeServer, base: string, withSeries: boolean): Promise<{ samples: number; series: number }> {
  if (kind !== 'victoriametrics') {
    return { samples: await metric(base, 'prometheus_tsdb_head_samples_appended_total'), series: await metric(base, 'prometheus_tsdb_head_series') };
  }
  // VictoriaMetrics: rows added to its storage, and the series its query API counts (its own
  // active-series gauge fills only lazily).
  if (!withSeries) return { samples: await metric(base, 'vm_rows_added_to_storage_total'), series: NaN };
  const count = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent('count({__name__=~".+"})')}`)).json()) as { data?: { result?: { value: [number, string] }[] } };
  return { samples: await metric(base, 'vm_rows_added_to_storage_total'), series: Number(count.data?.result?.[0]?.value[1] ?? NaN) };
}

function serverProcess(kind: ScrapeServer, cfg: string, dir: string, port: number): ChildProcess {
  if (kind === 'victoriametrics') {
    return spawn('victoria-metrics', [`-promscrape.config=${cfg}`, `-storageDataPath=${join(dir, 'data')}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y'], { stdio: 'ignore' });
  }
  const args = [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
  return kind === 'ours' ? spawn(process.execPath, [join(root, 'bin', 'promethium.js'), 'server', ...args], { stdio: 'ignore' }) : spawn('prometheus', args, { stdio: 'ignore' });
}

async function runServer(kind: ScrapeServer, targetPorts: number[], o: ScrapeBenchOptions): Promise<ScrapeFigures> {
  const dir = mkdtempSync(join(tmpdir(), `promethium-scrape-bench-${kind}-`));
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, `global:\n  scrape_interval: ${o.intervalSeconds}s\n  scrape_timeout: ${o.intervalSeconds}s\nscrape_configs:\n  - job_name: synthetic\n    static_configs:\n      - targets: [${targetPorts.map((p) => `"127.0.0.1:${p}"`).join(', ')}]\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = serverProcess(kind, cfg, dir, port);
  try {
    for (let i = 0; ; i++) {
      if (i > 600) throw new Error(`${kind} did not become ready`);
      try {
        if ((await fetch(`${base}${kind === 'victoriametrics' ? '/health' : '/-/ready'}`)).ok) break;
      } catch {
        /* starting */
      }
      await sleep(100);
    }
    await sleep(o.warmupSeconds * 1000);
    const first0 = process.hrtime.bigint();
    await (await fetch(`${base}/api/v1/query?query=up`)).text();
    const firstQueryMs = Number(process.hrtime.bigint() - first0) / 1e6;
    const pid = child.pid!;
    const cpu0 = cpuSeconds(pid);
    const samples0 = (await ingestCounters(kind, base, false)).samples;
    const t0 = Date.now();
    // Ask for `up` every 250 ms while the scrapes run: a blocked event loop shows up as a slow answer.
    const latencies: number[] = [];
    while (Date.now() - t0 < o.measureSeconds * 1000) {
      const q0 = process.hrtime.bigint();
      await (await fetch(`${base}/api/v1/query?query=up`)).text();
      latencies.push(Number(process.hrtime.bigint() - q0) / 1e6);
      await sleep(250);
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const after = await ingestCounters(kind, base, true);
    const samples = after.samples - samples0;
    const headSeries = after.series;
    const rss = rssBytes(pid);
    latencies.sort((a, b) => a - b);
    return {
      cpuSecondsPerMillionSamples: cpu / (samples / 1e6),
      samplesPerSecond: samples / seconds,
      rssBytesPerSeries: rss / headSeries,
      headSeries,
      rssMiB: rss / 2 ** 20,
      upQueryMedianMs: latencies[Math.floor(latencies.length / 2)]!,
      upQueryMaxMs: latencies[latencies.length - 1]!,
      firstQueryMs,
    };
  } finally {
    child.kill('SIGKILL');
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureScraping(referenceDir: string, o: ScrapeBenchOptions, peers: { prometheus: boolean; victoriametrics: boolean }): Promise<{ ours: ScrapeFigures; prometheus?: ScrapeFigures; victoriametrics?: ScrapeFigures }> {
  const ports = await Promise.all(Array.from({ length: o.targets }, () => freePort()));
  const targets = ports.map((p) => spawn(process.execPath, [join(referenceDir, 'target.mjs'), String(p), String(o.seriesPerTarget)], { stdio: 'ignore' }));
  try {
    await sleep(500);
    const ours = await runServer('ours', ports, o);
    const prometheus = peers.prometheus ? await runServer('prometheus', ports, o) : undefined;
    const victoriametrics = peers.victoriametrics ? await runServer('victoriametrics', ports, o) : undefined;
    return { ours, prometheus, victoriametrics };
  } finally {
    for (const t of targets) t.kill('SIGKILL');
  }
}
