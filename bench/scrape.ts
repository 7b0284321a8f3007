// Scrape ingestion figures: our server and Debian's Prometheus 2.42, one after the other in the same
// run, scraping the same synthetic targets (../shared/reference/target.mjs): CPU seconds per million
// samples, resident memory per head series, and how long `up` takes to answer through the API while
// the scrapes run (a large scrape must not block the HTTP API).
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
}

export interface ScrapeBenchOptions {
  targets: number;
  seriesPerTarget: number;
  intervalSeconds: number;
  warmupSeconds: number;
  measureSeconds: number;
}

async function runServer(kind: 'ours' | 'prometheus', targetPorts: number[], o: ScrapeBenchOptions): Promise<ScrapeFigures> {
  const dir = mkdtempSync(join(tmpdir(), `promethium-scrape-bench-${kind}-`));
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, `global:\n  scrape_interval: ${o.intervalSeconds}s\n  scrape_timeout: ${o.intervalSeconds}s\nscrape_configs:\n  - job_name: synthetic\n    static_configs:\n      - targets: [${targetPorts.map((p) => `"127.0.0.1:${p}"`).join(', ')}]\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
  const child: ChildProcess = kind === 'ours' ? spawn(process.execPath, [join(root, 'bin', 'promethium.js'), 'server', ...args], { stdio: 'ignore' }) : spawn('prometheus', args, { stdio: 'ignore' });
  try {
    for (let i = 0; ; i++) {
      if (i > 600) throw new Error(`${kind} did not become ready`);
      try {
        if ((await fetch(`${base}/-/ready`)).ok) break;
      } catch {
        /* starting */
      }
      await sleep(100);
    }
    await sleep(o.warmupSeconds * 1000);
    const pid = child.pid!;
    const cpu0 = cpuSeconds(pid);
    const samples0 = await metric(base, 'prometheus_tsdb_head_samples_appended_total');
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
    const samples = (await metric(base, 'prometheus_tsdb_head_samples_appended_total')) - samples0;
    const headSeries = await metric(base, 'prometheus_tsdb_head_series');
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
    };
  } finally {
    child.kill('SIGKILL');
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureScraping(referenceDir: string, o: ScrapeBenchOptions, withPrometheus: boolean): Promise<{ ours: ScrapeFigures; prometheus?: ScrapeFigures }> {
  const ports = await Promise.all(Array.from({ length: o.targets }, () => freePort()));
  const targets = ports.map((p) => spawn(process.execPath, [join(referenceDir, 'target.mjs'), String(p), String(o.seriesPerTarget)], { stdio: 'ignore' }));
  try {
    await sleep(500);
    const ours = await runServer('ours', ports, o);
    const prometheus = withPrometheus ? await runServer('prometheus', ports, o) : undefined;
    return { ours, prometheus };
  } finally {
    for (const t of targets) t.kill('SIGKILL');
  }
}
