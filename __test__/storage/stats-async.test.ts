// Issue 23: /metrics reads the head's totals with statsAsync, which walks every series under the
// storage's read lock on the thread pool. While a helper thread holds the write lock (as a head
// truncation step does), the call must hand back a pending promise and let timers run; once the
// lock goes, it answers what stats() answers. Were it read on the calling thread, it would block
// until the hold's own time limit and the timer below would not have run before it returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLabelSets } from '../../src/storage/label-codec.js';
import { loadNative } from '../../src/storage/native.js';

const HOLD_LIMIT_MS = 3000;
const T0 = 1_700_000_000_000;

test('statsAsync answers off the event loop, with the figures stats() gives', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-stats-async-'));
  const db = new (loadNative().NativeDb)(dir);
  try {
    const sets = Array.from({ length: 500 }, (_, i) => ({ __name__: 'probe_total', i: String(i) }));
    const refs = db.seriesRefs(encodeLabelSets(sets));
    db.append(refs, new Float64Array(refs.length).fill(T0), new Float64Array(refs.length).fill(1));

    await db.holdWritesForTest(HOLD_LIMIT_MS);
    let settled = false;
    const pending = db.statsAsync(0).then((s) => {
      settled = true;
      return s;
    });
    const timerRan = await new Promise<boolean>((resolve) => setTimeout(() => resolve(!settled), 50));
    assert.equal(timerRan, true, 'a timer runs while the stats wait for the lock');
    db.releaseWritesForTest();
    const s = await pending;
    const sync = db.stats(0);
    assert.equal(s.numSeries, 500);
    assert.equal(s.numSeries, sync.numSeries);
    assert.equal(s.chunkCount, sync.chunkCount);
    assert.equal(s.counters.samplesAppended, sync.counters.samplesAppended);
    assert.deepEqual(s.seriesCountByMetricName, []);
    const top = (await db.statsAsync(5)).seriesCountByMetricName;
    assert.equal(top.length, 1);
    assert.deepEqual(top, db.stats(5).seriesCountByMetricName);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
