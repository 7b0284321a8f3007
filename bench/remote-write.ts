// Remote-write figures: our server and Debian's Prometheus 2.42, one after the other in the same
// run, scraping the scrape bench's synthetic targets (../shared/reference/target.mjs) every 2 s
// and remote-writing to a Prometheus 2.42 receiver (--web.enable-remote-write-receiver). Each
// sender runs twice, without and with remote_write, so the figures are what the queue adds: CPU
// seconds per million samples sent, resident memory, and bytes on the wire per sample (from the
// senders' own prometheus_remote_storage_bytes_total / samples_total).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/util/free-port.js';
import { cpuSeconds, rssBytes } from './proc.js';

const root = new URL('..', import.meta.url).pathname;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function metricSum(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

async function ready(base: string, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/-/ready`)).ok) return;
    } catch {
      /* starting */
    }
    await sleep(100);
  }
  throw new Error(`${what} did not become ready`);
}

export interface RemoteWriteFigures {
  cpuSecondsPerMillionSent: number;
  bytesPerSample: number;
  rssAddedMiB: number;
  samplesSentPerSecond: number;
}

export interface RemoteWriteBenchOptions {
  targets: number;
  seriesPerTarget: number;
  warmupSeconds: number;
  measureSeconds: number;
}

interface Run {
  cpu: number;
  rss: number;
  sent: number;
  bytes: number;
  seconds: number;
  appended: number;
}

async function runSender(kind: 'ours' | 'prometheus', targetPorts: number[], receiver: string | undefined, o: RemoteWriteBenchOptions): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), `promethium-rw-bench-${kind}-`));
  const cfg = join(dir, 'prometheus.yml');
  const rw = receiver === undefined ? '' : `remote_write:\n  - url: ${receiver}\n`;
  writeFileSync(cfg, `global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n  external_labels: { sender: ${kind} }\nscrape_configs:\n  - job_name: synthetic\n    static_configs:\n      - targets: [${targetPorts.map((p) => `"127.0.0.1:${p}"`).join(', ')}]\n${rw}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
  const child: ChildProcess = kind === 'ours' ? spawn(process.execPath, [join(root, 'bin', 'promethium.js'), 'server', ...args], { stdio: 'ignore' }) : spawn('prometheus', args, { stdio: 'ignore' });
  try {
    await ready(base, kind);
    await sleep(o.warmupSeconds * 1000);
    const pid = child.pid!;
    const [cpu0, sent0, bytes0, app0] = [cpuSeconds(pid), await metricSum(base, 'prometheus_remote_storage_samples_total'), await metricSum(base, 'prometheus_remote_storage_bytes_total'), await metricSum(base, 'prometheus_tsdb_head_samples_appended_total')];
    const t0 = Date.now();
    await sleep(o.measureSeconds * 1000);
    return {
      cpu: cpuSeconds(pid) - cpu0,
      rss: rssBytes(pid),
      sent: (await metricSum(base, 'prometheus_remote_storage_samples_total')) - sent0,
      bytes: (await metricSum(base, 'prometheus_remote_storage_bytes_total')) - bytes0,
      appended: (await metricSum(base, 'prometheus_tsdb_head_samples_appended_total')) - app0,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    child.kill('SIGKILL');
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU the queue adds: the run's CPU minus the same scraping's CPU without remote_write (scaled to the samples appended). */
function figures(without: Run, withRw: Run): RemoteWriteFigures {
  const scrapeCpuPerSample = without.cpu / Math.max(1, without.appended);
  const added = withRw.cpu - scrapeCpuPerSample * withRw.appended;
  return { cpuSecondsPerMillionSent: added / (withRw.sent / 1e6), bytesPerSample: withRw.bytes / Math.max(1, withRw.sent), rssAddedMiB: (withRw.rss - without.rss) / 2 ** 20, samplesSentPerSecond: withRw.sent / withRw.seconds };
}

export async function measureRemoteWrite(referenceDir: string, o: RemoteWriteBenchOptions, withPrometheus: boolean): Promise<{ ours: RemoteWriteFigures; prometheus?: RemoteWriteFigures }> {
  const ports = await Promise.all(Array.from({ length: o.targets }, () => freePort()));
  const targets = ports.map((p) => spawn(process.execPath, [join(referenceDir, 'target.mjs'), String(p), String(o.seriesPerTarget)], { stdio: 'ignore' }));
  const rxDir = mkdtempSync(join(tmpdir(), 'promethium-rw-bench-rx-'));
  const rxPort = await freePort();
  const rx = spawn('prometheus', ['--web.enable-remote-write-receiver', `--storage.tsdb.path=${rxDir}`, `--web.listen-address=127.0.0.1:${rxPort}`, '--config.file=/dev/null'], { stdio: 'ignore' });
  try {
    await ready(`http://127.0.0.1:${rxPort}`, 'the receiver');
    const receiver = `http://127.0.0.1:${rxPort}/api/v1/write`;
    const ours = figures(await runSender('ours', ports, undefined, o), await runSender('ours', ports, receiver, o));
    const prometheus = withPrometheus ? figures(await runSender('prometheus', ports, undefined, o), await runSender('prometheus', ports, receiver, o)) : undefined;
    return prometheus === undefined ? { ours } : { ours, prometheus };
  } finally {
    for (const t of targets) t.kill('SIGKILL');
    rx.kill('SIGKILL');
    await sleep(300);
    rmSync(rxDir, { recursive: true, force: true });
  }
}
