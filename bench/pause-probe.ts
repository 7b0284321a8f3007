// A smaller, faster look at `up` latency while scraping and while the head is cut into a block
// than `npm run bench -- scrape --scale 1m`: only our server (from the sources, with the probes of
// pause-probe-server.ts), a few synthetic targets with many series, a short block range, and `up`
// asked for every 50 ms over HTTP.
//   node --import tsx bench/pause-probe.ts [--targets 4] [--series-per-target 75000]
//     [--interval 15] [--block-minutes 2] [--after-cut 20] [--warmup 120]
// Prints the server's probe lines (event-loop delay, main-thread time in native calls), then `up`
// p50 / p99 / max before the head cut and from 10 s before the truncation was counted to
// --after-cut seconds after it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/util/free-port.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const targets = opt('targets', 4);
const perTarget = opt('series-per-target', 75_000);
const interval = opt('interval', 15);
const blockMinutes = opt('block-minutes', 2);
const afterCut = opt('after-cut', 20);
/** Seconds before the steady window starts: every target's first scrapes have created their series. */
const warmup = opt('warmup', 120);
const root = new URL('..', import.meta.url).pathname;
const reference = join(root, '..', 'shared', 'reference');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const quantile = (xs: number[], q: number): number => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

const ports = await Promise.all(Array.from({ length: targets }, () => freePort()));
const targetProcs = ports.map((p) => spawn(process.execPath, [join(reference, 'target.mjs'), String(p), String(perTarget)], { stdio: 'ignore' }));
const dir = mkdtempSync(join(tmpdir(), 'promethium-pause-probe-'));
const cfg = join(dir, 'prometheus.yml');
writeFileSync(cfg, `global:\n  scrape_interval: ${interval}s\n  scrape_timeout: ${Math.min(interval, 10)}s\nscrape_configs:\n  - job_name: synthetic\n    static_configs:\n      - targets: [${ports.map((p) => `"127.0.0.1:${p}"`).join(', ')}]\n`);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const block = `${blockMinutes}m`;
const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'pause-probe-server.ts'), 'server', `--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.min-block-duration=${block}`, `--storage.tsdb.max-block-duration=${block}`], { stdio: ['ignore', 'ignore', 'pipe'] });
const t0 = Date.now();
server.stderr.on('data', (d: Buffer) => {
  for (const line of d.toString().split('\n')) if (line.startsWith('probe ') || /error/i.test(line)) console.log(line);
});

try {
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode})`);
    try {
      if ((await fetch(`${base}/-/ready`)).ok) break;
    } catch {
      /* starting */
    }
    await sleep(200);
  }
  const samples: [number, number][] = [];
  let truncatedAt: number | undefined;
  let stopped = false;
  const poll = (async () => {
    while (!stopped) {
      const at = Date.now() - t0;
      const q0 = performance.now();
      try {
        await (await fetch(`${base}/api/v1/query?query=up`)).json();
        samples.push([at, performance.now() - q0]);
      } catch {
        samples.push([at, NaN]);
      }
      await sleep(50);
    }
  })();
  const truncations0 = await metric(base, 'prometheus_tsdb_head_truncations_total');
  const deadline = Date.now() + (blockMinutes * 1.5 + 4) * 60_000;
  while (Date.now() < deadline && truncatedAt === undefined) {
    if ((await metric(base, 'prometheus_tsdb_head_truncations_total')) > truncations0) truncatedAt = Date.now() - t0;
    else await sleep(1000);
  }
  if (truncatedAt !== undefined) await sleep(afterCut * 1000);
  stopped = true;
  await poll;
  const cutFrom = (truncatedAt ?? Infinity) - 10_000;
  // Steady: after the first scrapes created the series, before anything of the cut.
  const steady = samples.filter(([t]) => t > warmup * 1000 && t < Math.min(cutFrom, blockMinutes * 1.5 * 60_000)).map(([, ms]) => ms);
  const cut = samples.filter(([t]) => t >= cutFrom).map(([, ms]) => ms);
  const fmt = (xs: number[]): string => `${quantile(xs, 0.5).toFixed(1)} / ${quantile(xs, 0.99).toFixed(1)} / ${quantile(xs, 1).toFixed(1)} ms (${xs.length} queries)`;
  console.log(`${targets} x ${perTarget} series every ${interval}s, block ${block}`);
  console.log(`up while scraping, p50 / p99 / max: ${fmt(steady)}`);
  console.log(truncatedAt === undefined ? 'no truncation seen' : `up around the head cut (truncation counted at ${(truncatedAt / 1000).toFixed(0)} s), p50 / p99 / max: ${fmt(cut)}`);
  const worst = [...samples].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`slowest: ${worst.map(([t, ms]) => `${(t / 1000).toFixed(1)}s:${ms.toFixed(0)}ms`).join(' ')}`);
} finally {
  server.kill('SIGKILL');
  for (const t of targetProcs) t.kill('SIGKILL');
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
