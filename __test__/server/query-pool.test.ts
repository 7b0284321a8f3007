// The query pool's guarantees when a worker misbehaves: a worker that does not stop after its
// query's timeout is terminated and replaced (the query gets 503 timeout), one that runs out of
// its --query.max-memory-derived heap fails its query with 422 and is replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryPool } from '../../src/server/query-pool/pool.js';
import { ApiError } from '../../src/web/api/envelope.js';

const workerUrl = new URL('./fixtures/misbehaving-query-worker.mjs', import.meta.url);
const init = { storageId: 0, dir: '', engine: {} };
const job = (expr: string) => ({ job: { kind: 'instant' as const, expr, timeMs: 0 }, limit: 0, timeoutMs: 200 });

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    return e;
  }
  assert.fail('expected the query to fail');
}

test('a worker that ignores its timeout is terminated and replaced', async (t) => {
  const pool = new QueryPool({ init, maxQueued: 20, maxMemoryBytes: 0, graceMs: 100, workers: 1, workerUrl });
  t.after(() => pool.close());
  const e = await rejection(pool.run(job('spin')));
  assert.equal(e.errorType, 'timeout');
  assert.equal(e.statusCode, 503);
  assert.equal(e.message, 'query timed out in expression evaluation');
  const ok = await pool.run(job('fine'));
  assert.equal(ok.encoded.toString(), '{"status":"success","data":"fine"}');
});

test('a worker out of its heap fails the query with 422 naming --query.max-memory, and is replaced', async (t) => {
  const pool = new QueryPool({ init, maxQueued: 20, maxMemoryBytes: 16 << 20, workers: 1, workerUrl });
  t.after(() => pool.close());
  const e = await rejection(pool.run({ ...job('hog'), timeoutMs: 60_000 }));
  assert.equal(e.errorType, 'execution');
  assert.equal(e.statusCode, 422);
  assert.match(e.message, /--query\.max-memory=16777216 bytes/);
  const ok = await pool.run(job('fine'));
  assert.equal(ok.encoded.toString(), '{"status":"success","data":"fine"}');
});

test('queries beyond --query.max-concurrency are refused, the others wait their turn', async (t) => {
  const pool = new QueryPool({ init, maxQueued: 2, maxMemoryBytes: 0, workers: 1, workerUrl });
  t.after(() => pool.close());
  const a = pool.run(job('a'));
  const b = pool.run(job('b'));
  const c = await rejection(pool.run(job('c')));
  assert.equal(c.errorType, 'unavailable');
  assert.equal((await a).encoded.toString(), '{"status":"success","data":"a"}');
  assert.equal((await b).encoded.toString(), '{"status":"success","data":"b"}');
});
