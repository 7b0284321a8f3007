// `npm run bench -- fuzz [--seconds N] [--seed S]`: bench/fuzz.ts's generator for N seconds
// against the server as a whole process (from the sources, through tsx), with Prometheus 2.42
// (Debian's package) answering the same requests on a copy of the same data when it is installed.
// Prints the count per status code, every input that got a 5xx, broke the envelope or got no
// answer, and where the two servers' status codes disagree.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { prng, request, send, type FuzzRequest, type FuzzResult } from './fuzz.js';
import { fuzzDataDir, fuzzServerFlags } from './fuzz-server.js';
import { freePort } from '../src/util/free-port.js';

const root = new URL('..', import.meta.url).pathname;
// The CLI from the sources (what the tests run), so that no build of dist/ is needed.
const cli = join(root, '__test__', 'helpers', 'cli.ts');

interface Peer {
  name: string;
  base: string;
  child: ChildProcess;
  exited?: string;
}

async function startPeer(name: string, command: string, args: string[], port: number): Promise<Peer> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const peer: Peer = { name, base: `http://127.0.0.1:${port}`, child };
  child.on('exit', (code, signal) => (peer.exited = `exited (code ${code}, signal ${signal}): ${log.slice(-1000)}`));
  for (let i = 0; i < 300; i++) {
    if (peer.exited !== undefined) throw new Error(`${name} ${peer.exited}`);
    const ok = await fetch(`${peer.base}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return peer;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not become ready: ${log.slice(-1000)}`);
}

/** The endpoint of a request for grouping: the path without its query, label names folded. */
function endpoint(req: FuzzRequest): string {
  return `${req.method} ${req.path.split('?')[0]!.replace(/^\/api\/v1\/label\/[^/]*\/values$/, '/api/v1/label/:name/values')}`;
}

function describe(req: FuzzRequest): string {
  const body = req.body !== undefined && req.body !== '' ? ` body=${req.body}` : '';
  const text = `${req.method} ${req.path}${body}`;
  return text.length > 400 ? `${text.slice(0, 400)}... (${text.length} characters)` : text;
}

export async function fuzzBench(seconds: number, seed: number): Promise<void> {
  const dir = fuzzDataDir();
  const ourPort = await freePort();
  const ours = await startPeer('promethium', process.execPath, ['--import', 'tsx', cli, 'server', ...fuzzServerFlags(dir, join(dir, 'data'), ourPort)], ourPort);
  let prom: Peer | undefined;
  if (spawnSync('prometheus', ['--version']).status === 0) {
    // Prometheus reads our data directory's format; a copy keeps each server's deletions its own.
    cpSync(join(dir, 'data'), join(dir, 'prom-data'), { recursive: true });
    const promPort = await freePort();
    prom = await startPeer('prometheus', 'prometheus', fuzzServerFlags(dir, join(dir, 'prom-data'), promPort), promPort).catch((e: Error) => {
      console.error(`Prometheus not compared: ${e.message}`);
      return undefined;
    });
  } else console.error('prometheus is not installed: no side-by-side statuses');

  console.error(`fuzzing for ${seconds} s with seed ${seed}${prom ? ', Prometheus 2.42 side by side' : ''}`);
  const rand = prng(seed);
  const byStatus = new Map<number, number>();
  const promByStatus = new Map<number, number>();
  const problems: string[] = [];
  const disagreements = new Map<string, { count: number; example: string }>();
  const deadline = Date.now() + seconds * 1000;
  let sent = 0;
  while (Date.now() < deadline && ours.exited === undefined) {
    const req = request(rand);
    const [a, b] = await Promise.all([send(ours.base, req), prom ? send(prom.base, req) : Promise.resolve<FuzzResult | undefined>(undefined)]);
    sent++;
    byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    if (a.problem !== undefined) problems.push(`${describe(req)}\n    -> ${a.problem}`);
    if (b !== undefined) {
      promByStatus.set(b.status, (promByStatus.get(b.status) ?? 0) + 1);
      if (a.status !== b.status) {
        const key = `${endpoint(req)}: ours ${a.status}, Prometheus ${b.status}`;
        const d = disagreements.get(key);
        if (d) d.count++;
        else disagreements.set(key, { count: 1, example: describe(req) });
      }
    }
  }
  const healthy = ours.exited === undefined ? (await fetch(`${ours.base}/-/healthy`).catch(() => undefined))?.status : undefined;

  const counts = (m: Map<number, number>): string => [...m].sort((x, y) => x[0] - y[0]).map(([s, n]) => `${s === 0 ? 'no answer' : s}: ${n}`).join(', ');
  console.log(`\nfuzz: ${sent} requests in ${seconds} s, seed ${seed}`);
  console.log(`Promethium statuses: ${counts(byStatus)}`);
  if (prom) console.log(`Prometheus 2.42 statuses: ${counts(promByStatus)}`);
  console.log(`Promethium afterwards: ${ours.exited ?? (healthy === 200 ? 'healthy' : `/-/healthy answered ${healthy}`)}`);
  console.log(`\nproblems (5xx, broken envelope, no answer): ${problems.length}`);
  for (const p of problems.slice(0, 50)) console.log(`  ${p}`);
  if (prom) {
    console.log(`\nstatus disagreements with Prometheus 2.42 (${[...disagreements.values()].reduce((s, d) => s + d.count, 0)} requests):`);
    for (const [key, d] of [...disagreements].sort((x, y) => y[1].count - x[1].count)) console.log(`  ${d.count} x ${key}\n    e.g. ${d.example}`);
  }
  ours.child.kill('SIGKILL');
  prom?.child.kill('SIGKILL');
}
