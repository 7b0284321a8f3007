// Issue 23: a scrape's native parse and append run off the event loop. While a helper thread holds
// the storage's write lock (what every append waits for), the scrape cache's finish must hand back
// a pending promise at once, and timers and I/O callbacks must keep running; once the lock goes,
// the samples are appended. Were finish to append on the calling thread, it would block until the
// hold's own time limit and return its counts directly: every assertion below would fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { encodeLabelSets } from '../../src/storage/label-codec.js';
import { loadNative, type NativeDb } from '../../src/storage/native.js';
import { TextScrapeCache } from '../../src/storage/text-scrape-cache.js';
import { behindHeldLock } from '../helpers/event-loop.js';

const SERIES = 2000;
/** How long the hold lasts if the test never releases it: only a blocked event loop gets there. */
const HOLD_LIMIT_MS = 3000;
const T0 = 1_700_000_000_000;

function body(step: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < SERIES; i++) lines.push(`probe_total{i="${i}"} ${i + step}`);
  return Buffer.from(lines.join('\n') + '\n');
}

/** Parses the residue of a first scrape the way the full parser would (series text, value). */
function residueSamples(residue: string, ts: number): { series: string[]; values: number[]; timestamps: Float64Array } {
  const series: string[] = [];
  const values: number[] = [];
  for (const line of residue.split('\n')) {
    const m = /^(\S+\})\s+(\S+)$/.exec(line.trim());
    if (m === null) continue;
    series.push(m[1]!);
    values.push(Number(m[2]));
  }
  return { series, values, timestamps: new Float64Array(series.length).fill(ts) };
}


/** A fresh database in a temporary directory for `body`, closed and removed after it; returns the closed handle. */
async function withNativeDb(prefix: string, body: (db: NativeDb) => Promise<void>): Promise<NativeDb> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = new (loadNative().NativeDb)(dir);
  try {
    await body(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return db;
}

test('the scrape cache appends off the event loop while the storage write lock is held', async () => {
  await withNativeDb('promethium-scrape-async-', async (db) => {
    const cache = new TextScrapeCache(db);
    // First scrape: every series is new, so the whole body comes back as residue to resolve.
    const residue = await cache.scan(body(0), T0, true);
    assert.ok(residue !== null);
    const first = residueSamples(residue, T0);
    assert.equal(first.series.length, SERIES);
    const labelSets = first.series.map((s) => ({ __name__: 'probe_total', i: /i="(\d+)"/.exec(s)![1]! }));
    const refs = db.seriesRefs(encodeLabelSets(labelSets));
    const done = await cache.finish({ series: first.series, refs, timestamps: first.timestamps, values: Float64Array.from(first.values) }, T0, 0);
    assert.ok(!('sampleLimitExceeded' in done));
    assert.equal(done.appended, SERIES);

    // Second scrape: the cache knows every series and appends them itself, behind the held lock.
    assert.equal(await cache.scan(body(1), T0 + 1000, true), null);
    const second = await behindHeldLock(db, HOLD_LIMIT_MS, () => cache.finish({ series: [], refs: new Uint32Array(0), timestamps: new Float64Array(0), values: new Float64Array(0) }, T0 + 1000, 0), 'finish');
    assert.ok(!('sampleLimitExceeded' in second));
    assert.equal(second.appended, SERIES);
    assert.equal(second.scraped, SERIES);
    assert.equal(second.stale, 0);
    const sel = db.select([{ type: '=', name: '__name__', value: 'probe_total' }], T0, T0 + 1000);
    const samples = sel.samples();
    assert.equal(sel.length(), SERIES);
    assert.equal(samples.t.length, 2 * SERIES);
    sel.release();
  });
});

test('new series are created off the event loop while the storage write lock is held', async () => {
  const db = await withNativeDb('promethium-series-async-', async (db) => {
    const sets = encodeLabelSets(Array.from({ length: SERIES }, (_, i) => ({ __name__: 'probe_total', i: String(i) })));
    const refs = await behindHeldLock(db, HOLD_LIMIT_MS, () => db.seriesRefsAsync(sets), 'seriesRefsAsync');
    assert.equal(new Set(refs).size, SERIES);
    assert.deepEqual([...db.seriesRefs(sets)], [...refs], 'the same label sets map to the refs created');
    assert.equal(db.stats().numSeries, SERIES);
  });
  assert.throws(() => db.seriesRefsAsync(encodeLabelSets([{ __name__: 'late' }])), /closed/i);
});

test("a failed scrape's stale markers are appended off the event loop while the storage write lock is held", async () => {
  await withNativeDb('promethium-scrape-fail-async-', async (db) => {
    const cache = new TextScrapeCache(db);
    const residue = await cache.scan(body(0), T0, true);
    const first = residueSamples(residue!, T0);
    const refs = db.seriesRefs(encodeLabelSets(first.series.map((s) => ({ __name__: 'probe_total', i: /i="(\d+)"/.exec(s)![1]! }))));
    await cache.finish({ series: first.series, refs, timestamps: first.timestamps, values: Float64Array.from(first.values) }, T0, 0);

    // The target goes down: every series of the last scrape gets a stale marker, behind the held lock.
    assert.equal(await behindHeldLock(db, HOLD_LIMIT_MS, () => cache.fail(T0 + 1000), 'fail'), SERIES);
    assert.equal(db.stats().counters.samplesAppended, 2 * SERIES, 'one sample and one stale marker per series');
  });
});

test('appendAsync appends off the event loop while the storage write lock is held, with the counts append gives', async () => {
  await withNativeDb('promethium-append-async-', async (db) => {
    const refs = db.seriesRefs(encodeLabelSets(Array.from({ length: SERIES }, (_, i) => ({ __name__: 'probe_total', i: String(i) }))));
    db.append(refs, new Float64Array(SERIES).fill(T0 + 1000), new Float64Array(SERIES).fill(1));
    // Half in order, half older than what the series hold (refused as out of order).
    const ts = Float64Array.from({ length: SERIES }, (_, i) => (i % 2 === 0 ? T0 + 2000 : T0));
    const c = await behindHeldLock(db, HOLD_LIMIT_MS, () => db.appendAsync(refs, ts, new Float64Array(SERIES).fill(2), new Float64Array(SERIES).fill(T0 - 1000)), 'appendAsync');
    assert.deepEqual([c.appended, c.outOfOrder, c.duplicate, c.unknownRef], [SERIES / 2, SERIES / 2, 0, 0]);
    assert.equal(db.stats().counters.samplesAppended, SERIES + SERIES / 2);
  });
});

test('the scan reads the body where JavaScript lent it, not a copy, and keeps it alive until it is done', async () => {
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  await withNativeDb('promethium-scan-lent-', async (db) => {
    const cache = new TextScrapeCache(db);
    const [ref] = db.seriesRefs(encodeLabelSets([{ __name__: 'pool_filler' }]));
    await db.holdWritesForTest(HOLD_LIMIT_MS);
    let filling: Promise<unknown>[] = [];
    let scanned: Promise<string | null>;
    try {
      // Appends waiting for the held lock take every thread of the pool: the scan waits its turn.
      filling = Array.from({ length: 16 }, (_, i) => db.appendAsync(Uint32Array.of(ref!), Float64Array.of(T0 + i), Float64Array.of(i)));
      let lent: Buffer | undefined = Buffer.from('lent_probe{was="before"} 1\n');
      scanned = cache.scan(lent, T0, true);
      // Written after the call (what scan's contract rules out, here to see which bytes it reads),
      // then let go of and collected: the scan's reference keeps the memory alive.
      lent.write('during', lent.indexOf('before'), 'latin1');
      lent = undefined;
      collectGarbage();
    } finally {
      db.releaseWritesForTest();
    }
    await Promise.all(filling);
    const residue = await scanned;
    assert.ok(residue?.includes('lent_probe{was="during"} 1'), `the scan read the lent memory: ${residue}`);
  });
});
