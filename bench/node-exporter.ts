// Node exporter figures: scrape latency, CPU per scrape and resident memory of ours next to
// Debian's node_exporter 1.5, both with their default collectors, scraped alternately on this machine.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

import { freePort } from '../src/util/free-port.js';
import { cpuSeconds, rssBytes } from './proc.js';
import { COLLECTORS } from '../src/node-exporter/collectors/index.js';

const root = new URL('..', import.meta.url).pathname;

interface Running {
  child: ChildProcess;
  url: string;
}

async function start(cmd: string[], port: number): Promise<Running> {
  const child = spawn(cmd[0]!, [...cmd.slice(1), `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'ignore'] });
  const url = `http://127.0.0.1:${port}/metrics`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return { child, url };
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${cmd.join(' ')} did not start`);
}

interface Figures {
  medianMs: number;
  p90Ms: number;
  p99Ms: number;
  cpuMsPerScrape: number;
  rssMiB: number;
  bytes: number;
}

/** Every collector we have, enabled on both sides ("all collectors"), next to node_exporter's own defaults. */
const ALL_COLLECTORS = COLLECTORS.map((c) => c.name);
const allFlags = ['--collector.disable-defaults', ...ALL_COLLECTORS.map((c) => `--collector.${c}`)];

export async function measureExporters(scrapes: number): Promise<{ ours: Figures; oursDefaults: Figures; theirs?: Figures; theirsSame?: Figures }> {
  const targets: Record<string, string[]> = { ours: [process.execPath, `${root}bin/promethium.js`, 'node-exporter', ...allFlags] };
  // The footprint goal is stated for the default collectors.
  targets['oursDefaults'] = [process.execPath, `${root}bin/promethium.js`, 'node-exporter'];
  targets['theirs'] = ['/usr/bin/prometheus-node-exporter'];
  targets['theirsSame'] = ['/usr/bin/prometheus-node-exporter', ...allFlags];
  const running: Record<string, Running> = {};
  const times: Record<string, number[]> = {};
  const bytes: Record<string, number> = {};
  const cpuStart: Record<string, number> = {};
  try {
    for (const [k, cmd] of Object.entries(targets)) {
      try {
        running[k] = await start(cmd, await freePort());
      } catch (e) {
        if (k.startsWith('ours')) throw e;
      }
    }
    // Warm up (JIT, first reads), then scrape alternately so both see the same machine load.
    for (const r of Object.values(running)) for (let i = 0; i < 10; i++) await (await fetch(r.url)).text();
    for (const [k, r] of Object.entries(running)) {
      times[k] = [];
      cpuStart[k] = cpuSeconds(r.child.pid!);
    }
    for (let i = 0; i < scrapes; i++) {
      for (const [k, r] of Object.entries(running)) {
        const t0 = process.hrtime.bigint();
        const body = await (await fetch(r.url)).text();
        times[k]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
        bytes[k] = body.length;
      }
    }
    const figures = (k: string): Figures | undefined => {
      const r = running[k];
      if (!r) return undefined;
      const t = times[k]!.sort((a, b) => a - b);
      return {
        medianMs: t[Math.floor(t.length / 2)]!,
        p90Ms: t[Math.floor(t.length * 0.9)]!,
        p99Ms: t[Math.min(t.length - 1, Math.floor(t.length * 0.99))]!,
        cpuMsPerScrape: ((cpuSeconds(r.child.pid!) - cpuStart[k]!) * 1000) / scrapes,
        rssMiB: rssBytes(r.child.pid!) / 2 ** 20,
        bytes: bytes[k]!,
      };
    };
    return { ours: figures('ours')!, oursDefaults: figures('oursDefaults')!, theirs: figures('theirs'), theirsSame: figures('theirsSame') };
  } finally {
    for (const r of Object.values(running)) r.child.kill('SIGKILL');
  }
}
