// Stopping the Alertmanager ends pending notification retries: a receiver that is down must not
// keep a stopped Alertmanager (or its process) waiting for the next retry, up to group_interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

const child = new URL('./fixtures/stop-during-retry.ts', import.meta.url).pathname;

test('a stopped Alertmanager leaves no notification retry pending (the process ends by itself)', async () => {
  const p = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (b: Buffer) => (out += b.toString()));
  // A generous bound, far below the 2-minute retry backoff the child would otherwise wait out.
  const killer = setTimeout(() => p.kill('SIGKILL'), 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => p.on('exit', (c, s) => r([c, s])));
  clearTimeout(killer);
  assert.equal(out.trim(), 'stopped');
  assert.deepEqual([code, signal], [0, null], 'the process ended by itself after stop()');
});
