// Idle footprint: `promethium server` and Prometheus 2.42, each on its built-in style default
// (scrape itself every 10s, nothing else), started side by side; RSS and thread count are sampled
// from /proc/PID/status every few seconds once both are ready. No load is put on either. Then
// each gets what a person opening the web UI sends (a few instant and range queries, labels,
// targets, rules, metadata): its first query's time and its RSS a few seconds later are what an
// idle server that someone looked at holds. A third process, node running a one-route fastify
// server (bench/idle-floor.mjs), is sampled alongside: the floor the runtime and the HTTP framework
// put under ours.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/util/free-port.js';
import { defaultConfigYaml } from '../src/config/index.js';

const root = new URL('..', import.meta.url).pathname;

export interface IdleFigures {
  /** RSS samples in bytes, one per interval after readiness. */
  rss: number[];
  threads: number;
  /** The first API query's time (ms), over HTTP. */
  firstQueryMs: number;
  /** RSS (bytes) five seconds after the requests of a look at the UI. */
  rssAfterLook: number;
}

/** What the web UI's first pages ask (times relative to now, in seconds). */
function lookRequests(nowS: number): string[] {
  const range = `start=${nowS - 3600}&end=${nowS}&step=14`;
  return [
    `/api/v1/query?query=up&time=${nowS}`,
    `/api/v1/query_range?query=up&${range}`,
    `/api/v1/query_range?query=${encodeURIComponent('rate(prometheus_http_requests_total[1m])')}&${range}`,
    '/api/v1/label/__name__/values',
    '/api/v1/labels',
    `/api/v1/series?match[]=up&start=${nowS - 3600}&end=${nowS}`,
    '/api/v1/targets',
    '/api/v1/rules',
    '/api/v1/alerts',
    '/api/v1/metadata',
    '/api/v1/status/buildinfo',
    '/api/v1/status/runtimeinfo',
    '/api/v1/status/flags',
    '/api/v1/status/config',
  ];
}

/** Sends the look's requests in turn; returns the first one's time (ms). */
async function look(base: string): Promise<number> {
  let firstMs = NaN;
  for (const path of lookRequests(Math.floor(Date.now() / 1000))) {
    const t0 = performance.now();
    const r = await fetch(base + path);
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${base}${path}: ${r.status}`);
    if (Number.isNaN(firstMs)) firstMs = performance.now() - t0;
  }
  return firstMs;
}

function statusField(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Resolves when the process logs its readiness line; rejects if it exits first or takes over two minutes. */
function whenReady(child: ChildProcess, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`${name} not ready after 120 s:\n${log.slice(-2000)}`)), 120_000);
    const onData = (d: Buffer): void => {
      log += d.toString();
      if (log.includes('Server is ready to receive web requests')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${log.slice(-2000)}`));
    });
  });
}

/**
 * Makes this process's first `fetch`, to a server of its own: the first call loads and sets up
 * the client (undici), ~60 ms that would otherwise be counted in whichever server is asked first.
 */
async function warmClient(): Promise<void> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).arrayBuffer();
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Starts ours, Prometheus (when asked) and the fastify floor, waits until all are ready, samples every `everySeconds` for `seconds`. */
export async function measureIdle(seconds: number, everySeconds: number, withPrometheus: boolean): Promise<{ ours: IdleFigures; prometheus?: IdleFigures; /** RSS samples (bytes) of the fastify floor (bench/idle-floor.mjs), taken with ours. */ floor: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-idle-'));
  const children: ChildProcess[] = [];
  try {
    const ourPort = await freePort();
    // No prometheus.yml in its working directory: ours uses its built-in default (it scrapes itself).
    const bases = [`http://127.0.0.1:${ourPort}`];
    const ours = spawn(process.execPath, [join(root, 'bin', 'promethium.js'), 'server', `--web.listen-address=127.0.0.1:${ourPort}`, `--storage.tsdb.path=${join(dir, 'ours')}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(ours);
    const ready = [whenReady(ours, 'promethium server')];
    let prometheus: ChildProcess | undefined;
    if (withPrometheus) {
      const port = await freePort();
      bases.push(`http://127.0.0.1:${port}`);
      const cfg = join(dir, 'prometheus.yml');
      writeFileSync(cfg, defaultConfigYaml(`127.0.0.1:${port}`));
      prometheus = spawn('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'prometheus')}`, `--web.listen-address=127.0.0.1:${port}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(prometheus);
      ready.push(whenReady(prometheus, 'prometheus'));
    }
    const floor = spawn(process.execPath, [join(root, 'bench', 'idle-floor.mjs'), String(await freePort())], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(floor);
    ready.push(whenReady(floor, 'the fastify floor'));
    await Promise.all(ready);
    const names = children.map((c) => (c === ours ? 'ours' : c === floor ? 'fastify floor' : 'prometheus'));
    const sampled = children.map(() => [] as number[]);
    for (let t = 0; t < seconds; t += everySeconds) {
      await new Promise((r) => setTimeout(r, everySeconds * 1000));
      children.forEach((c, i) => sampled[i]!.push(statusField(c.pid!, 'VmRSS') * 1024));
      console.error(`  ${t + everySeconds}s: ${children.map((c, i) => `${names[i]} ${(sampled[i]!.at(-1)! / 2 ** 20).toFixed(1)} MiB`).join(', ')}`);
    }
    const threads = children.map((c) => statusField(c.pid!, 'Threads'));
    // One server at a time, so that neither's first query waits for the other's.
    const firstQueryMs: number[] = [];
    await warmClient();
    for (const base of bases) firstQueryMs.push(await look(base));
    await new Promise((r) => setTimeout(r, 5000));
    const figures = (i: number): IdleFigures => ({ rss: sampled[i]!, threads: threads[i]!, firstQueryMs: firstQueryMs[i]!, rssAfterLook: statusField(children[i]!.pid!, 'VmRSS') * 1024 });
    return { ours: figures(0), ...(prometheus !== undefined ? { prometheus: figures(1) } : {}), floor: sampled[children.indexOf(floor)]! };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
