// /api/v1/status/tsdb's service reads the head's figures on the thread pool: with a million series
// its cardinality lists walk the whole head, which the event loop must not wait for. While
// another thread holds the storage's write lock the answer stays pending and the event loop turns;
// then it gives the figures and the top lists of the stored series.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { loadNative } from '../../src/storage/native.js';
import { makeTsdbService } from '../../src/server/services.js';
import { behindHeldLock } from '../helpers/event-loop.js';

const T0 = 1_700_000_000_000;

test('the TSDB status is read off the event loop, with the head figures and top lists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-tsdb-status-'));
  const storage = Storage.open(dir);
  try {
    const refs = storage.seriesRefs([
      { __name__: 'a', job: 'x' },
      { __name__: 'a', job: 'y' },
      { __name__: 'b', job: 'x' },
    ]);
    storage.append(refs, new Float64Array(3).fill(T0), new Float64Array(3).fill(1));
    const tsdb = makeTsdbService(storage, dir, false);
    // Another handle on the same database holds its write lock (as a head truncation step does).
    const other = new (loadNative().NativeDb)(storage.id);
    const s = await behindHeldLock(other, 3000, () => tsdb.status(10), 'the TSDB status');
    assert.deepEqual(s.headStats, { numSeries: 3, numLabelPairs: 4, chunkCount: 3, minTime: T0, maxTime: T0 });
    assert.deepEqual(s.seriesCountByMetricName, [
      { name: 'a', value: 2 },
      { name: 'b', value: 1 },
    ]);
    assert.deepEqual(s.labelValueCountByLabelName.map((c) => c.name).sort(), ['__name__', 'job']);
  } finally {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
