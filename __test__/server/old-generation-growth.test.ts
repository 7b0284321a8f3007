// The server's fixed old-generation growing factor (src/server/old-generation-growth.ts): V8 must
// honour the flag set from inside a running process, since the server sets it once it is ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fixOldGenerationGrowth, OLD_GENERATION_GROWING_PERCENT } from '../../src/server/old-generation-growth.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const used = (): number => getHeapStatistics().used_heap_size;

/** Full collections while the live heap grows from its size after one to `times` that size. */
async function majorsWhileGrowing(times: number): Promise<number> {
  gc();
  const start = used();
  let majors = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
  });
  // The forced collection's own entry is delivered later: wait for it before counting.
  await new Promise((r) => setTimeout(r, 20));
  observer.observe({ entryTypes: ['gc'] });
  const kept: object[] = [];
  while (used() < start * times) for (let i = 0; i < 1000; i++) kept.push({ i, list: [i, i + 1] });
  await new Promise((r) => setTimeout(r, 20));
  observer.disconnect();
  assert.ok(kept.length > 0);
  return majors;
}

test('a factor set while running is the one V8 sizes the old generation by', async () => {
  // Something to grow from, so the limit is not V8's minimum step.
  const base: object[] = [];
  for (let i = 0; i < 300_000; i++) base.push({ i, list: [i] });
  fixOldGenerationGrowth(100); // a limit of twice the live heap
  assert.ok((await majorsWhileGrowing(4)) >= 1, 'no full collection while the heap grew fourfold under a factor of 2');
  fixOldGenerationGrowth(); // the server's: four times
  assert.equal(await majorsWhileGrowing(2.5), 0, `a full collection before the heap grew 2.5x under ${OLD_GENERATION_GROWING_PERCENT}%`);
  assert.equal(base.length, 300_000);
});
