// Silence figures: 2,000 silences created one after another over HTTP (POST /api/v2/silences, each
// awaited, as amtool or a script would), against Promethium's Alertmanager (run from the sources)
// and Debian's Alertmanager 0.25 in the same run, each on a fresh storage directory; then the time
// a restart takes to load them back.
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/util/free-port.js';
import { cpuSeconds } from './proc.js';

const root = new URL('..', import.meta.url).pathname;
const UPSTREAM = 'prometheus-alertmanager';

export interface SilenceFigures {
  createSeconds: number;
  /** CPU time the server spent on the creations (less sensitive to a busy machine than wall time). */
  serverCpuSeconds: number;
  restartSeconds: number;
  count: number;
}

async function ready(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/-/ready`)).ok) return;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('did not become ready');
}

/** One POST on a kept-alive connection (node:http: a lighter client than fetch, so the servers dominate). */
function post(agent: http.Agent, port: number, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function measure(cmd: (cfg: string, data: string, port: number) => string[], count: number): Promise<SilenceFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-bench-silences-'));
  const cfg = join(dir, 'am.yml');
  writeFileSync(cfg, 'route:\n  receiver: r\nreceivers:\n  - name: r\n');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const start = async (): Promise<[ChildProcess, number]> => {
    const t0 = performance.now();
    const [bin, ...rest] = cmd(cfg, join(dir, 'data'), port);
    const child = spawn(bin!, rest, { stdio: 'ignore' });
    await ready(base, child);
    return [child, (performance.now() - t0) / 1000];
  };
  let [child] = await start();
  try {
    const now = Date.now();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const cpu0 = cpuSeconds(child.pid!);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const body = JSON.stringify({ matchers: [{ name: 'instance', value: `host-${i}:9100`, isRegex: false, isEqual: true }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3600_000).toISOString(), createdBy: 'bench', comment: `silence ${i}` });
      const res = await post(agent, port, '/api/v2/silences', body);
      if (res.status !== 200) throw new Error(`silence ${i}: ${res.status} ${res.text}`);
    }
    agent.destroy();
    const createSeconds = (performance.now() - t0) / 1000;
    const serverCpuSeconds = cpuSeconds(child.pid!) - cpu0;
    // A clean stop (snapshots written), then the time until it answers again with all of them.
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    let restartSeconds: number;
    [child, restartSeconds] = await start();
    const n = ((await (await fetch(`${base}/api/v2/silences`)).json()) as unknown[]).length;
    if (n !== count) throw new Error(`${n} silences after the restart, ${count} created`);
    return { createSeconds, serverCpuSeconds, restartSeconds, count };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureSilences(count: number): Promise<{ ours: SilenceFigures; upstream: SilenceFigures | undefined }> {
  const ours = await measure((cfg, data, port) => [process.execPath, '--import', 'tsx', join(root, 'bench', 'promethium-src.ts'), 'alertmanager', `--config.file=${cfg}`, `--storage.path=${data}`, `--web.listen-address=127.0.0.1:${port}`], count);
  const installed = spawnSync(UPSTREAM, ['--version'], { encoding: 'utf8' }).status === 0;
  const upstream = installed ? await measure((cfg, data, port) => [UPSTREAM, `--config.file=${cfg}`, `--storage.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], count) : undefined;
  return { ours, upstream };
}
