// RE2's guarantee, kept: patterns that take a backtracking engine exponential time (the ReDoS
// classics) answer on adversarial values. They run in a child process, set up as production is, so
// that a regression stalls the child, not the test runner: the child must print its answers before
// a generous kill timer; being killed counts as a failure. No wall-clock assertion beyond that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

const child = new URL('./fixtures/catastrophic.ts', import.meta.url).pathname;
const KILL_AFTER_MS = 60_000;

test('catastrophic patterns answer on adversarial values, in the main thread and in a worker', async () => {
  const proc = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    proc.kill('SIGKILL');
  }, KILL_AFTER_MS);
  const code = await new Promise<number | null>((resolve) => proc.once('close', resolve));
  clearTimeout(timer);
  assert.equal(killed, false, `the child did not answer within ${KILL_AFTER_MS / 1000} s: a regex backtracked`);
  assert.equal(code, 0, err);
  const results = JSON.parse(out) as { pattern: string; matched: boolean }[];
  // The answers are RE2's: only the last three values (and no adversarial one) match.
  assert.deepEqual(
    results.map((r) => r.matched),
    [false, false, false, false, false, false, false, false, false, true, true, true, false],
  );
});
