// `promethium test rules` on unit tests written for `promtool test rules`: the same verdicts as
// Debian's promtool on the same files, and failures that say what was expected and what came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/test-rules.js';

const dir = fileURLToPath(new URL('./testdata/', import.meta.url));

async function ours(file: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['rules', `${dir}${file}`], (s) => (out += s + '\n'));
  return { code, out };
}

function promtool(file: string): number | null {
  const r = spawnSync('promtool', ['test', 'rules', file], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.error, undefined, 'promtool (Debian package prometheus) must be installed');
  return r.status;
}

test('passing rule tests pass with both promethium and promtool', async () => {
  const r = await ours('alerts_test.yml');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/);
  assert.equal(promtool('alerts_test.yml'), 0);
});

test('failing rule tests fail with both, naming the alert, the time, what was expected and what came', async () => {
  const r = await ours('failing_test.yml');
  assert.equal(r.code, 1);
  assert.match(r.out, /alertname: InstanceDown, time: 10m/);
  assert.match(r.out, /Labels:\{alertname="InstanceDown", instance="host-1:9100", job="node", severity="page"\}/);
  assert.match(r.out, /got:\[\]/);
  assert.match(r.out, /expr: "job:up:sum", time: 5m/);
  assert.match(r.out, /exp: \[\{Labels:job:up:sum\{job="node"\} Value:2\}\]/);
  assert.match(r.out, /got: \[\{Labels:job:up:sum\{job="node"\} Value:1\}\]/);
  assert.equal(promtool('failing_test.yml'), 1);
});
