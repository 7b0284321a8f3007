// `npm run bench -- remote-write-receiver [--series N] [--rounds R]`: the same remote-write 1.0
// payloads (R rounds of N series, 2,000 series per request, snappy-compressed) POSTed to our
// `/api/v1/write` and to Prometheus 2.42's (`--web.enable-remote-write-receiver`); the figure is
// samples ingested per CPU second of the receiving process (utime+stime from /proc, start-up
// excluded), and the wall-clock rate with 4 requests in flight.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds, rssBytes } from './proc.js';
import { encodeV1, seriesV1 } from '../__test__/remote/proto.js';
import { freePort } from '../src/util/free-port.js';

const here = new URL('.', import.meta.url).pathname;
const PER_REQUEST = 2000;

export interface ReceiverFigures {
  samples: number;
  cpuSeconds: number;
  wallSeconds: number;
  rssBytes: number;
}

function payloads(series: number, rounds: number, startMs: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = startMs + r * 15_000;
    for (let first = 0; first < series; first += PER_REQUEST) {
      const ts = [];
      for (let i = first; i < Math.min(series, first + PER_REQUEST); i++) ts.push(seriesV1([['__name__', `bench_metric_${i % 100}_total`], ['instance', `host-${i % 500}:9100`], ['job', 'bench'], ['series', String(i)]], [[t, r * 10 + (i % 7)]]));
      out.push(encodeV1(ts));
    }
  }
  return out;
}

async function waitReady(base: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base} did not become ready`);
}

async function drive(proc: ChildProcess, base: string, bodies: Uint8Array[], samples: number, groups: number): Promise<ReceiverFigures> {
  await waitReady(base);
  const cpu0 = cpuSeconds(proc.pid!);
  const t0 = performance.now();
  // Like a sender's shards: each worker owns some series groups and sends their rounds in order,
  // so no series' samples arrive out of order.
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; i < bodies.length; i++) {
      if ((i % groups) % 4 !== w) continue;
      const body = bodies[i]!;
      const r = await fetch(`${base}/api/v1/write`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' }, body: new Uint8Array(body) });
      if (r.status !== 204) throw new Error(`${base}: HTTP ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all([worker(0), worker(1), worker(2), worker(3)]);
  const wall = (performance.now() - t0) / 1000;
  const figures = { samples, cpuSeconds: cpuSeconds(proc.pid!) - cpu0, wallSeconds: wall, rssBytes: rssBytes(proc.pid!) };
  proc.kill('SIGKILL');
  return figures;
}

export async function measureReceiver(series: number, rounds: number, withPrometheus: boolean): Promise<{ ours: ReceiverFigures; prometheus?: ReceiverFigures }> {
  const work = mkdtempSync(join(tmpdir(), 'promethium-rw-bench-'));
  try {
    const bodies = payloads(series, rounds, Date.now() - rounds * 15_000);
    const samples = series * rounds;
    const cfg = join(work, 'p.yml');
    writeFileSync(cfg, 'global:\n  scrape_interval: 1h\n');
    const ourPort = await freePort();
    const ours = spawn(process.execPath, ['--import', 'tsx', join(here, 'server-from-sources.ts'), 'server', `--config.file=${cfg}`, `--storage.tsdb.path=${join(work, 'ours')}`, `--web.listen-address=127.0.0.1:${ourPort}`, '--web.enable-remote-write-receiver'], { stdio: 'ignore' });
    const groups = Math.ceil(series / PER_REQUEST);
    const oursFigures = await drive(ours, `http://127.0.0.1:${ourPort}`, bodies, samples, groups);
    if (!withPrometheus) return { ours: oursFigures };
    const promPort = await freePort();
    const prom = spawn('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(work, 'prom')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--web.enable-remote-write-receiver'], { stdio: 'ignore' });
    return { ours: oursFigures, prometheus: await drive(prom, `http://127.0.0.1:${promPort}`, bodies, samples, groups) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
