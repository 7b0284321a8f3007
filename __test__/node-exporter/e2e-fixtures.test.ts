// Upstream's own end-to-end yardstick: node_exporter 1.5.0's output over its fixture tree
// (/work/shared/conformance/node-exporter-e2e), diffed family by family against ours with the same
// flags. Families we do not match yet are listed, each with its reason, in e2e-pending.tsv; the
// test fails when a family outside that list differs and when a listed one has started to match
// (then it comes off the list), so the list can only shrink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { differingFamilies, readPending, runOurs, unpackFixtures } from '../../scripts/node-exporter-e2e.js';
import { conformanceDir } from '../helpers/conformance.js';
import { knownFlagNames } from '../../src/node-exporter/main.js';

const PENDING = fileURLToPath(new URL('./e2e-pending.tsv', import.meta.url));

test("node_exporter 1.5.0's end-to-end fixtures: every family matches or is listed as pending with a reason", { timeout: 180_000 }, async (t) => {
  const e2eDir = conformanceDir('node-exporter-e2e');
  assert.ok(existsSync(join(e2eDir, 'fixtures', 'e2e-output.txt')), `${e2eDir}/fixtures/e2e-output.txt is missing`);
  const work = mkdtempSync(join(tmpdir(), 'ne-e2e-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  unpackFixtures(e2eDir, work);
  const run = await runOurs(e2eDir, work, knownFlagNames());
  const pending = readPending(PENDING);
  for (const [name, reason] of pending) assert.notEqual(reason.trim(), '', `${name}: a pending family needs its reason`);
  const differing = differingFamilies(run);
  const unexpected = differing.filter((n) => !pending.has(n)).map((n) => `${n}\n--- node_exporter 1.5.0\n${run.expected.get(n) ?? '(absent)'}\n+++ ours\n${run.ours.get(n) ?? '(absent)'}`);
  assert.deepEqual(unexpected, [], 'families that differ and are not listed as pending');
  const nowMatching = [...pending.keys()].filter((n) => !differing.includes(n));
  assert.deepEqual(nowMatching, [], 'listed as pending but matching now: take them off e2e-pending.tsv');
  // The yardstick itself: most of the ~995 families are there to compare.
  assert.ok(run.expected.size > 900, `only ${run.expected.size} families in e2e-output.txt`);
});
