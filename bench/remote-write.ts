// Remote-write figures: our server and Debian's Prometheus 2.42, one after the other in the same
// run, scraping the scrape bench's synthetic targets (../shared/reference/target.mjs) every 2 s
// and remote-writing to a Prometheus 2.42 receiver (--web.enable-remote-write-receiver). Each
// sender runs twice, without and with remote_write, so the figures are what the queue adds: CPU
// seconds per million samples sent, resident memory, and bytes on the wire per sample (from the
// senders' own prometheus_remote_storage_bytes_total / samples_total).
//
// The "live" CPU figure subtracts the scraping's CPU (from the run without remote_write) and is
// noisy on a shared machine: scraping costs several times what the queue does, and when the
// receiver cannot keep up the samples sent per second (shown) drop and the subtraction's error
// dominates. So each sender also drains a backlog: it scrapes with the receiver up until every
// series has been sent once (the one-time write relabeling is done), the receiver stops while
// scraping goes on, then the scrapes are dropped (config reload) and the receiver comes back: the
// sender's whole CPU from then until its samples_total stops growing is remote write alone (WAL
// reading, encoding, compression, HTTP), divided by the samples it sent. Both senders get the
// same queue_config (QUEUE below), so they send requests of the same size.
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
  /** How long the drain run scrapes with the receiver down. */
  backlogSeconds: number;
}

interface Run {
  cpu: number;
  rss: number;
  sent: number;
  bytes: number;
  seconds: number;
  appended: number;
}

/** The same queue settings for both senders (our defaults; Prometheus 2.42 sends 500 samples a request by default). */
const QUEUE = '    queue_config: { max_samples_per_send: 2000, capacity: 10000, max_shards: 50 }\n';

function senderConfig(kind: 'ours' | 'prometheus', targetPorts: number[], receiver: string | undefined): string {
  const rw = receiver === undefined ? '' : `remote_write:\n  - url: ${receiver}\n${QUEUE}`;
  const scrape = targetPorts.length === 0 ? '' : `scrape_configs:\n  - job_name: synthetic\n    static_configs:\n      - targets: [${targetPorts.map((p) => `"127.0.0.1:${p}"`).join(', ')}]\n`;
  return `global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n  external_labels: { sender: ${kind} }\n${scrape}${rw}`;
}

function startSender(kind: 'ours' | 'prometheus', cfg: string, dir: string, port: number): ChildProcess {
  const args = [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`];
  return kind === 'ours' ? spawn(process.execPath, [join(root, 'bin', 'promethium.js'), 'server', ...args], { stdio: 'ignore' }) : spawn('prometheus', args, { stdio: 'ignore' });
}

function startReceiver(dir: string, port: number): ChildProcess {
  return spawn('prometheus', ['--web.enable-remote-write-receiver', `--storage.tsdb.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--config.file=/dev/null'], { stdio: 'ignore' });
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

export interface DrainFigures {
  cpuSecondsPerMillionSent: number;
  samplesSent: number;
  seconds: number;
}

/** CPU per sample of a sender draining a backlog with nothing else to do (see the top of the file). */
export async function drainSender(kind: 'ours' | 'prometheus', targetPorts: number[], backlogSeconds: number, seriesTotal: number, quietSeconds = 5): Promise<DrainFigures> {
  const dir = mkdtempSync(join(tmpdir(), `promethium-rw-drain-${kind}-`));
  const rxDir = join(dir, 'rx');
  const rxPort = await freePort();
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, senderConfig(kind, targetPorts, `http://127.0.0.1:${rxPort}/api/v1/write`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let rx = startReceiver(rxDir, rxPort);
  const child = startSender(kind, cfg, dir, port);
  try {
    await ready(`http://127.0.0.1:${rxPort}`, 'the receiver');
    await ready(base, kind);
    // Every series sent once: its relabeling is behind us.
    for (let i = 0; i < 600 && (await metricSum(base, 'prometheus_remote_storage_samples_total')) < seriesTotal * 2; i++) await sleep(500);
    await stopChild(rx);
    await sleep(backlogSeconds * 1000);
    writeFileSync(cfg, senderConfig(kind, [], `http://127.0.0.1:${rxPort}/api/v1/write`));
    child.kill('SIGHUP');
    await sleep(2000);
    const pid = child.pid!;
    const [cpu0, sent0] = [cpuSeconds(pid), await metricSum(base, 'prometheus_remote_storage_samples_total')];
    const t0 = Date.now();
    rx = startReceiver(rxDir, rxPort);
    let [cpu1, sent1, still] = [cpu0, sent0, 0];
    while (still < quietSeconds && Date.now() - t0 < 300_000) {
      await sleep(1000);
      const sent = await metricSum(base, 'prometheus_remote_storage_samples_total');
      if (sent === sent1 && sent > sent0) still++;
      else [cpu1, sent1, still] = [cpuSeconds(pid), sent, 0];
    }
    return { cpuSecondsPerMillionSent: (cpu1 - cpu0) / Math.max(1e-9, (sent1 - sent0) / 1e6), samplesSent: sent1 - sent0, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await stopChild(child);
    await stopChild(rx);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runSender(kind: 'ours' | 'prometheus', targetPorts: number[], receiver: string | undefined, o: RemoteWriteBenchOptions): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), `promethium-rw-bench-${kind}-`));
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, senderConfig(kind, targetPorts, receiver));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = startSender(kind, cfg, dir, port);
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

export interface RemoteWriteResult {
  ours: RemoteWriteFigures;
  prometheus?: RemoteWriteFigures;
  oursDrain: DrainFigures;
  prometheusDrain?: DrainFigures;
}

export async function measureRemoteWrite(referenceDir: string, o: RemoteWriteBenchOptions, withPrometheus: boolean): Promise<RemoteWriteResult> {
  const ports = await Promise.all(Array.from({ length: o.targets }, () => freePort()));
  const targets = ports.map((p) => spawn(process.execPath, [join(referenceDir, 'target.mjs'), String(p), String(o.seriesPerTarget)], { stdio: 'ignore' }));
  const rxDir = mkdtempSync(join(tmpdir(), 'promethium-rw-bench-rx-'));
  const rxPort = await freePort();
  const rx = startReceiver(rxDir, rxPort);
  try {
    await ready(`http://127.0.0.1:${rxPort}`, 'the receiver');
    const receiver = `http://127.0.0.1:${rxPort}/api/v1/write`;
    const ours = figures(await runSender('ours', ports, undefined, o), await runSender('ours', ports, receiver, o));
    const prometheus = withPrometheus ? figures(await runSender('prometheus', ports, undefined, o), await runSender('prometheus', ports, receiver, o)) : undefined;
    const series = o.targets * o.seriesPerTarget;
    const oursDrain = await drainSender('ours', ports, o.backlogSeconds, series);
    const prometheusDrain = withPrometheus ? await drainSender('prometheus', ports, o.backlogSeconds, series) : undefined;
    return { ours, oursDrain, ...(prometheus === undefined ? {} : { prometheus }), ...(prometheusDrain === undefined ? {} : { prometheusDrain }) };
  } finally {
    for (const t of targets) t.kill('SIGKILL');
    rx.kill('SIGKILL');
    await sleep(300);
    rmSync(rxDir, { recursive: true, force: true });
  }
}
