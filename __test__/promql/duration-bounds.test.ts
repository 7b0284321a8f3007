// Offsets, ranges and @ times computed from step()/range() at evaluation are range-checked as
// the parser checks constant ones (issue 16 follow-up): beyond time.Duration they are Prometheus's
// "duration is out of range" (bad_data), an @ time beyond int64 seconds is "timestamp out of
// bounds", any other @ time is clamped to the storable times. Before, they reached the storage
// as out-of-range integers and failed as internal errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { Engine, QueryError } from '../../src/promql/index.js';

function badData(pattern: RegExp): (e: unknown) => boolean {
  return (e) => e instanceof QueryError && e.errorType === 'bad_data' && pattern.test(e.message);
}

test('durations and @ times computed from step() and range() are range-checked', () => {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-duration-bounds-')));
  const app = storage.appender();
  app.add({ __name__: 'x' }, 0, 1);
  app.commit();
  const engine = new Engine(storage);
  const range = (q: string) => engine.rangeQuery(q, 0, 60_000, 60_000);
  try {
    assert.throws(() => range('x offset (step() * 1e300)'), badData(/^\d+:\d+: duration is out of range$/));
    assert.throws(() => range('x offset (-step() * 1e300)'), badData(/duration is out of range/));
    assert.throws(() => range('x offset (range() * 1e15)'), badData(/duration is out of range/));
    assert.throws(() => range('rate(x[step() * 1e300])'), badData(/duration is out of range/));
    assert.throws(() => range('rate(x[5m] offset (step() * 1e300))'), badData(/duration is out of range/));
    assert.throws(() => range('max_over_time(x[step() * 1e300:])'), badData(/duration is out of range/));
    assert.throws(() => range('max_over_time(x[5m:step() * 1e300])'), badData(/duration is out of range/));
    assert.throws(() => range('x @ (step() * 1e300)'), badData(/^timestamp out of bounds for @ modifier: /));
    // Within int64 seconds but beyond what storage holds: nothing there, as for a constant @.
    assert.deepEqual(range('x @ (step() * 1e15)').result, []);
    assert.deepEqual(range('x @ (-step() * 1e15)').result, []);
    assert.deepEqual(engine.rangeQuery('x @ (step() * 1e15)', 0, 60_000, 60_000), engine.rangeQuery('x @ 6e16', 0, 60_000, 60_000));
    // In range: still answered.
    const r = range('x offset (step() - 1m)');
    assert.ok(r.resultType === 'matrix' && r.result.length === 1);
  } finally {
    storage.close();
  }
});
