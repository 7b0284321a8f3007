// The server's start-up hold on the young generation (src/server/startup-heap.ts): while held, the
// semi-spaces keep their size however much survives scavenges; once released, V8 grows them again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getHeapSpaceStatistics } from 'node:v8';
import { holdYoungGenerationDuringStartup, releaseYoungGeneration } from '../../src/server/startup-heap.js';

const newSpaceBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

/** Small objects that stay reachable, as module loading's are: each scavenge sees them survive. */
function survivors(n: number): object[] {
  const kept: object[] = [];
  for (let i = 0; i < n; i++) kept.push({ i, name: `s${i}`, list: [i] });
  return kept;
}

test('held, the young generation keeps its size under surviving allocations; released, it grows', () => {
  holdYoungGenerationDuringStartup();
  const held = newSpaceBytes();
  const kept = survivors(300_000);
  assert.ok(newSpaceBytes() <= held, `new space grew from ${held} to ${newSpaceBytes()} bytes while held`);
  releaseYoungGeneration();
  const more = survivors(300_000);
  assert.ok(newSpaceBytes() > held, `new space stayed at ${newSpaceBytes()} bytes after the release`);
  assert.equal(kept.length + more.length, 600_000);
});
