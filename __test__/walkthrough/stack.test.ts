// `promethium start` as a user runs it: each component announced only once its readiness endpoint
// answers, `promethium stack stop|start` through the control endpoint, a component that dies later
// reported as such, SIGUSR2 starting the node exporter again; and a port already taken failing the
// start with the component's name and reason, the others stopped, exit code 1.
// The components run from dist/ (bin/promethium.js), as `npm start` runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const walkthrough = new URL('../../examples/walkthrough', import.meta.url).pathname;

interface Ports {
  server: number;
  nodeExporter: number;
  alertmanager: number;
  smtp: number;
  control: number;
}

async function ports(): Promise<Ports> {
  return { server: await freePort(), nodeExporter: await freePort(), alertmanager: await freePort(), smtp: await freePort(), control: await freePort() };
}

function startStack(p: Ports): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const data = mkdtempSync(join(tmpdir(), 'promethium-stack-'));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'start', `--config.dir=${walkthrough}`, `--storage.path=${data}`, `--smtp.port=${p.smtp}`, `--server.port=${p.server}`, `--node-exporter.port=${p.nodeExporter}`, `--alertmanager.port=${p.alertmanager}`, `--control.port=${p.control}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  // ANSI colours aside, the text as a user reads it.
  return { child, output: () => out.replace(/\x1b\[[\d;]*m/g, ''), exited };
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

function stackCommand(p: Ports, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'stack', ...args, `--control.port=${p.control}`], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const count = (s: string, what: string): number => s.split(what).length - 1;

test('the stack: announced when ready, stop/start through the control endpoint, a death reported, SIGUSR2 restarts', { timeout: 240_000 }, async (t) => {
  const p = await ports();
  const stack = startStack(p);
  t.after(() => stack.child.kill('SIGKILL'));
  // The server is announced only once /-/ready answers: at the moment the line appears, it does.
  await waitFor('server announced', async () => (stack.output().includes('✔ server is ready') ? true : undefined), 1200);
  assert.ok(await answers(`http://127.0.0.1:${p.server}/-/ready`), 'the server answers /-/ready when announced');
  await waitFor('stack up', async () => (stack.output().includes('Promethium is up') ? true : undefined), 1200);
  const out = stack.output();
  const order = ['✔ smtp-sink is ready', '✔ server is ready', '✔ node-exporter is ready', '✔ alertmanager is ready', 'Promethium is up'].map((s) => out.indexOf(s));
  assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!)), `announcements in order: ${out}`);
  assert.ok(await answers(`http://127.0.0.1:${p.nodeExporter}/metrics`));
  assert.ok(await answers(`http://127.0.0.1:${p.alertmanager}/-/ready`));

  // Stop the node exporter through the control endpoint; the others keep serving.
  const stop = stackCommand(p, 'stop', 'node-exporter');
  assert.equal(stop.code, 0, stop.out);
  assert.match(stop.out, /node-exporter\s+stopped/);
  assert.equal(await answers(`http://127.0.0.1:${p.nodeExporter}/metrics`), false);
  assert.ok(await answers(`http://127.0.0.1:${p.server}/-/ready`));
  assert.match(stackCommand(p, 'stop', 'node-exporter').out, /node-exporter is not running/);
  assert.match(stackCommand(p, 'stop', 'nope').out, /no component "nope"/);
  const start = stackCommand(p, 'start', 'node-exporter');
  assert.equal(start.code, 0, start.out);
  assert.ok(await answers(`http://127.0.0.1:${p.nodeExporter}/metrics`));
  assert.equal(count(stack.output(), '✔ node-exporter is ready'), 2);

  // A death nobody asked for is reported, and the rest keeps running.
  const status = stackCommand(p, 'status');
  const pid = Number(/node-exporter\s+running \(pid (\d+)\)/.exec(status.out)?.[1]);
  assert.ok(pid > 0, status.out);
  process.kill(pid, 'SIGKILL');
  await waitFor('death reported', async () => (/✘ node-exporter died \(SIGKILL\)/.test(stack.output()) ? true : undefined), 300);
  assert.ok(await answers(`http://127.0.0.1:${p.server}/-/ready`));
  // SIGUSR2 starts it again.
  stack.child.kill('SIGUSR2');
  await waitFor('restarted by SIGUSR2', async () => (count(stack.output(), '✔ node-exporter is ready') === 3 ? true : undefined), 600);
  // SIGUSR1 stops it.
  stack.child.kill('SIGUSR1');
  await waitFor('stopped by SIGUSR1', async () => (/node-exporter\s+stopped/.test(stackCommand(p, 'status').out) ? true : undefined), 300);

  stack.child.kill('SIGTERM');
  assert.equal(await stack.exited, 0, stack.output());
  assert.equal(await answers(`http://127.0.0.1:${p.server}/-/ready`), false, 'the server is stopped with the stack');
});

test('the stack: a port already taken fails the start, names the component and why, stops the others, exits 1', { timeout: 180_000 }, async (t) => {
  const p = await ports();
  const blocker = createServer((s) => s.destroy());
  await new Promise<void>((res) => blocker.listen(p.nodeExporter, '127.0.0.1', () => res()));
  t.after(() => blocker.close());
  const stack = startStack(p);
  t.after(() => stack.child.kill('SIGKILL'));
  const code = await stack.exited;
  const out = stack.output();
  assert.equal(code, 1, out);
  assert.match(out, /✔ server is ready/);
  assert.match(out, /✘ node-exporter failed to start: it exited \(code 1\)/);
  assert.match(out, /EADDRINUSE|address already in use/i);
  assert.match(out, /The other components were stopped/);
  assert.doesNotMatch(out, /Promethium is up|alertmanager is ready/);
  assert.equal(await answers(`http://127.0.0.1:${p.server}/-/ready`), false, 'the server was stopped');
});
