// freePort across processes: test files run side by side, and a port handed to one process must not
// be handed to another before its server binds it (a collision once had a test scrape Debian's
// node_exporter instead of ours).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const module = new URL('../../src/util/free-port.ts', import.meta.url).href;
const script = `import { freePort } from ${JSON.stringify(module)};
const ports = await Promise.all(Array.from({ length: 150 }, () => freePort()));
process.stdout.write(JSON.stringify(ports) + '\\n');
// Hold the claims until every process has its ports: a process that exits frees them for others.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));`;

function portsFromChild(): Promise<{ ports: number[]; done: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.endsWith('\n')) resolve({ ports: JSON.parse(out) as number[], done: () => child.stdin.end() });
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code} before answering`)));
  });
}

test('ports handed to processes running at once are all different and below the ephemeral range', async () => {
  const children = await Promise.all([portsFromChild(), portsFromChild(), portsFromChild()]);
  for (const c of children) c.done();
  const all = children.flatMap((c) => c.ports);
  assert.equal(all.length, 450);
  assert.equal(new Set(all).size, all.length);
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    /* not Linux */
  }
  for (const p of all) assert.ok(p >= 1024 && p < ephemeralLow, `port ${p}`);
});
