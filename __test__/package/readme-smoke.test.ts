// The release workflow's smoke test (README examples against the checkout's build, importing the
// package by its own name) passes here, so a failure on another platform means that platform.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('scripts/release/readme-smoke.mjs runs the README examples through the package self-reference', () => {
  const script = new URL('../../scripts/release/readme-smoke.mjs', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^2 passed, 0 failed$/m);
  assert.match(r.stdout, /^ok: ## Query with PromQL from your own code$/m);
});
