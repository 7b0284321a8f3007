// Queries (instant and range) on the main thread instead of a worker (src/server/query-pool/inline.ts):
// a first try under a short budget, proven-cheap ones under a larger one, and everything else, or
// whatever runs past its budget, on the workers, with the same answers and the same limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import type { LabelMatcher } from '../../src/storage/matchers.js';
import { Engine, parseExpr } from '../../src/promql/index.js';
import { encodeRangeSuccess, encodeSuccess } from '../../src/server/query-pool/encode.js';
import { makeQueryService } from '../../src/server/services.js';
import { CheapQueries, INLINE_EVICT_MS, INLINE_MAX_EVAL_MS, INLINE_MAX_RANGE_POINTS, INLINE_MAX_SERIES, INLINE_TRY_WASTE_PER_SECOND_MS, InlineBudgetExceeded, costClock, queryKey, seriesBudgeted } from '../../src/server/query-pool/inline.js';
import type { EngineOptions } from '../../src/promql/index.js';

test('a new query is tried inline; one that failed or ran out of its budget goes to the workers until measured cheap', () => {
  let now = 0;
  const q = new CheapQueries({ now: () => now });
  const plain = 'sum(rate(x[5m]))';
  const parsed = parseExpr(plain);
  assert.equal(q.verdict(plain, parsed), 'try', 'never seen: tried inline');
  q.forget(plain, 10);
  q.record(plain, parsed, INLINE_MAX_EVAL_MS + 1, 100);
  assert.equal(q.verdict(plain, parsed), 'try', 'a first try that ran out of time gets a second one');
  q.forget(plain, 10);
  assert.equal(q.verdict(plain, parsed), 'pool', 'ran out of its budget again: on the workers');
  q.record(plain, parsed, INLINE_MAX_EVAL_MS + 1, 100);
  assert.equal(q.verdict(plain, parsed), 'pool', 'a worker measured it, not cheap enough');
  q.record(plain, parsed, 1, 100);
  assert.equal(q.verdict(plain, parsed), 'inline', 'a worker measured it cheap');
  const sub = 'max_over_time(x[1h:1s])';
  assert.equal(q.verdict(sub, parseExpr(sub)), 'pool', 'subqueries are never tried');
  const long = `sum(x{a="${'y'.repeat(5000)}"})`;
  assert.equal(q.verdict(long, parseExpr(long)), 'pool', 'long expressions are not remembered, so never tried');
  // Tries that ran out of their budget may waste only so much of the main thread per second.
  const other = (i: number): string => `count(y${i})`;
  assert.equal(q.verdict(other(0), parseExpr(other(0))), 'try');
  q.forget(other(0), INLINE_TRY_WASTE_PER_SECOND_MS - 20);
  q.forget(other(0), 20);
  assert.equal(q.verdict(other(1), parseExpr(other(1))), 'pool', 'this second\'s waste is used up');
  now += 1001;
  assert.equal(q.verdict(other(1), parseExpr(other(1))), 'try', 'a second later');
});

/** This thread's user + system CPU time in clock ticks, as the kernel accounts it (/proc/thread-self/stat). */
function threadTicks(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the comm field: state is field 3, utime 14 and stime 15 (1-based over the whole line).
  return Number(fields[14 - 3]) + Number(fields[15 - 3]);
}

test('a first run measured not quite cheap gets one more inline try; measured so again, the workers take it', () => {
  const q = new CheapQueries({ now: () => 0 });
  const warm = 'sum(rate(warm[5m]))';
  const parsed = parseExpr(warm);
  assert.equal(q.verdict(warm, parsed), 'try');
  q.record(warm, parsed, INLINE_MAX_EVAL_MS + 10, 100);
  assert.equal(q.verdict(warm, parsed), 'try', 'a first run over the cheap line (cold code) is tried once more');
  q.record(warm, parsed, 3, 100);
  assert.equal(q.verdict(warm, parsed), 'inline', 'warm, it measured cheap');
  const slow = 'sum(rate(slow[5m]))';
  const slowParsed = parseExpr(slow);
  q.verdict(slow, slowParsed);
  q.record(slow, slowParsed, INLINE_MAX_EVAL_MS + 10, 100);
  assert.equal(q.verdict(slow, slowParsed), 'try');
  q.record(slow, slowParsed, INLINE_MAX_EVAL_MS + 5, 100);
  assert.equal(q.verdict(slow, slowParsed), 'pool', 'not cheap twice: on the workers');
  const costly = 'sum(rate(costly[5m]))';
  const costlyParsed = parseExpr(costly);
  q.verdict(costly, costlyParsed);
  q.record(costly, costlyParsed, INLINE_EVICT_MS + 1, 100);
  assert.equal(q.verdict(costly, costlyParsed), 'pool', 'a first run past the eviction line gets no second try');
});

test('a run\'s cost is the CPU time of its own thread: not the time it waited, not other threads\' work', { skip: process.platform !== 'linux' }, async () => {
  const waited = costClock();
  // Another thread of the process spins for 150 ms while this one waits for it.
  const spinner = new Worker('const t = Date.now(); while (Date.now() - t < 150); require("node:worker_threads").parentPort.postMessage("done");', { eval: true });
  await once(spinner, 'message');
  await spinner.terminate();
  const waitedMs = waited();
  assert.ok(waitedMs >= 0 && waitedMs < 60, `a run that waited while another thread worked costs little (${waitedMs} ms)`);
  // Busy until the kernel has charged this thread 5 ticks (50 ms at the usual 100 Hz): the clock
  // must say about as much, whatever the wall time was on a loaded machine.
  const tickMs = 10;
  const busy = costClock();
  const t0 = threadTicks();
  let spins = 0;
  while (threadTicks() - t0 < 5) spins++;
  const cost = busy();
  assert.ok(spins > 0 && cost >= 5 * tickMs - 2 * tickMs, `a busy run costs its CPU time (${cost} ms for 5 ticks)`);
});

test('an inline run stops once its selections pass the series budget, and releases what it held', () => {
  const released: number[] = [];
  const selection = (id: number, length: number) => ({ length, release: () => released.push(id) });
  let next = 0;
  const sizes = [3, 4];
  const from = { select: () => selection(next, sizes[next++]!) } as never;
  const budgeted = seriesBudgeted(from, 5);
  const none: LabelMatcher[] = [];
  assert.equal(budgeted.select(none, 0, 1).length, 3);
  assert.throws(() => budgeted.select(none, 0, 1), InlineBudgetExceeded);
  assert.deepEqual(released, [1], 'the selection past the budget was released; the first is the engine\'s');
});

/** A database of `n` series `m{i="..."}`, a query service over it, and a stand-in pool that counts what it is given. */
function setUp(t: { after: (f: () => void) => void }, n: number, engine: Omit<EngineOptions, 'rangeKernel'> = {}, tryMs = 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-inline-queries-'));
  const db = Storage.open(join(dir, 'data'));
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const labels = Array.from({ length: n }, (_, i) => ({ __name__: 'm', i: String(i) }));
  db.append(db.seriesRefs(labels), new Float64Array(n).fill(1000), Float64Array.from(labels, (_, i) => (i % 3 === 0 ? 1e22 : i + 0.5)));
  const counts = { pooled: 0, inlineSelects: 0 };
  // What a worker would answer (the engine's own envelope), under the same limits.
  const pool = {
    async run(q: { job: { kind: 'instant'; expr: string; timeMs: number } | { kind: 'range'; expr: string; startMs: number; endMs: number; stepMs: number }; timeoutMs: number }) {
      counts.pooled++;
      const e = new Engine(db, { ...engine, timeoutMs: q.timeoutMs });
      if (q.job.kind === 'range') {
        const d = e.rangeQueryDense(q.job.expr, q.job.startMs, q.job.endMs, q.job.stepMs);
        return { encoded: Buffer.from(encodeRangeSuccess(d)), warnings: d.warnings, infos: d.infos, evalMs: 1, release() {} };
      }
      const r = e.instantQuery(q.job.expr, q.job.timeMs);
      return { encoded: Buffer.from(encodeSuccess(r)), warnings: r.warnings, infos: r.infos, evalMs: 1, release() {} };
    },
  };
  // The storage as the main thread reads it: only inline runs select through it.
  const storage = Object.assign(Object.create(db) as Storage, {
    select: (ms: LabelMatcher[], mint: number, maxt: number) => {
      counts.inlineSelects++;
      return db.select(ms, mint, maxt);
    },
  });
  const metrics = { engineQueryDuration: { startTimer: () => () => {} } };
  // By default a first try's budget no busy machine runs past for these small queries.
  const service = makeQueryService(storage, engine, metrics as never, undefined, pool as never, undefined, new CheapQueries({ tryMs }));
  const ask = async (expr: string, timeoutMs?: number): Promise<string> => ((await service.instant(expr, 2000, timeoutMs !== undefined ? { timeoutMs } : {})) as unknown as { encoded: Buffer }).encoded.toString();
  const expected = (expr: string): string => encodeSuccess(new Engine(db, engine).instantQuery(expr, 2000));
  // Range queries over `steps` steps of 1 s from 1 s on: every step sees the samples at 1 s.
  const askRange = async (expr: string, steps: number): Promise<string> => ((await service.range(expr, 1000, steps * 1000, 1000, {})) as unknown as { encoded: Buffer }).encoded.toString();
  const expectedRange = (expr: string, steps: number): string => Buffer.from(encodeRangeSuccess(new Engine(db, engine).rangeQueryDense(expr, 1000, steps * 1000, 1000))).toString();
  return { db, counts, ask, expected, askRange, expectedRange };
}

test('a new cheap instant query is answered inline the first time, as a worker would answer it', async (t) => {
  const { counts, ask, expected } = setUp(t, 30);
  for (const expr of ['sort(m * 2)', 'm > 10', 'topk(3, m)', 'count(m)']) {
    // Evaluated here first: the engine's code is loaded before an inline run is timed.
    const want = expected(expr);
    assert.equal(await ask(expr), want, expr);
    assert.equal(await ask(expr), want, `${expr}, again`);
  }
  assert.equal(counts.pooled, 0, 'no query went to the pool');
  assert.match(await ask('m'), /"1e\+22"/);
  await ask('max_over_time(m[5m:1s])');
  await ask('max_over_time(m[5m:1s])');
  assert.equal(counts.pooled, 2, 'subqueries always go to the pool');
});

test('a query selecting more series than an inline run may goes to the pool, with the same answer, and stays there', async (t) => {
  const { counts, ask, expected } = setUp(t, INLINE_MAX_SERIES + 1);
  assert.equal(await ask('count(m)'), expected('count(m)'));
  assert.equal(counts.pooled, 1, 'answered by the pool');
  assert.equal(counts.inlineSelects, 1, 'after one inline try');
  assert.equal(await ask('count(m)'), expected('count(m)'));
  assert.equal(counts.pooled, 2);
  assert.equal(counts.inlineSelects, 1, 'not tried inline again');
});

test('inline runs hold the query\'s sample limit: the same error as on a worker, and then the workers take it', async (t) => {
  const { counts, ask } = setUp(t, 50, { maxSamples: 10 });
  await assert.rejects(ask('count(m)'), (e: Error & { errorType?: string }) => e.errorType === 'execution' && /too many samples/.test(e.message));
  assert.equal(counts.pooled, 0, 'refused inline');
  await assert.rejects(ask('count(m)'), (e: Error & { errorType?: string }) => e.errorType === 'execution' && /too many samples/.test(e.message));
  assert.equal(counts.pooled, 1, 'the second time on the pool, refused the same way');
  assert.match(await ask('count(m{i=~"1|2"})'), /"2"/, 'a small query still answers');
});

test('a first try past its time budget goes to the pool; measured cheap there, the query runs inline, under the query\'s own timeout', async (t) => {
  // A budget already over when the try starts: its first deadline check stops it.
  const { counts, ask, expected } = setUp(t, 30, {}, -1);
  assert.equal(await ask('sum(m)'), expected('sum(m)'));
  assert.equal(counts.pooled, 1, 'the try ran out of its budget: answered by the pool');
  assert.equal(counts.inlineSelects, 0, 'stopped before it selected anything');
  assert.equal(await ask('sum(m)'), expected('sum(m)'));
  assert.equal(counts.pooled, 1, 'the pool measured it cheap: inline');
  assert.equal(counts.inlineSelects, 1);
  // The query's own time over (not the inline budget): the query's timeout error, not the pool.
  await assert.rejects(ask('sum(m)', -1), (e: Error & { errorType?: string }) => e.errorType === 'timeout');
  assert.equal(counts.pooled, 1);
});

test('a range query is remembered by its expression and its number of steps, not by where its window is', () => {
  assert.equal(queryKey('up'), 'up');
  const key = (startMs: number, endMs: number, stepMs: number): string => queryKey('up', { startMs, endMs, stepMs });
  assert.equal(key(0, 60_000, 15_000), key(45_000, 105_000, 15_000), 'a dashboard\'s moving window: the same query');
  assert.notEqual(key(0, 60_000, 15_000), key(0, 120_000, 15_000), 'more steps: another query');
  assert.notEqual(key(0, 60_000, 15_000), 'up', 'a range query is not the instant query of its expression');
});

test('a new cheap range query is answered inline, as a worker would answer it, and no worker is asked', async (t) => {
  const { counts, askRange, expectedRange } = setUp(t, 30);
  for (const expr of ['m * 2', 'sum(m)', 'rate(m[1m])', 'm > 10']) {
    const want = expectedRange(expr, 20);
    assert.equal(await askRange(expr, 20), want, expr);
    assert.equal(await askRange(expr, 20), want, `${expr}, again`);
  }
  assert.equal(counts.pooled, 0, 'no query went to the pool');
  await askRange('max_over_time(m[5m:1s])', 5);
  assert.equal(counts.pooled, 1, 'subqueries always go to the pool');
});

test('a range query whose result holds more points than an inline run encodes goes to the pool, with the same answer, and stays there', async (t) => {
  const series = 300;
  const steps = Math.ceil(INLINE_MAX_RANGE_POINTS / series) + 1;
  const { counts, askRange, expectedRange } = setUp(t, series);
  const want = expectedRange('m', steps);
  assert.equal(await askRange('m', steps), want);
  assert.equal(counts.pooled, 1, 'answered by the pool');
  assert.equal(counts.inlineSelects, 1, 'after one inline try');
  assert.equal(await askRange('m', steps), want);
  assert.equal(counts.pooled, 2);
  assert.equal(counts.inlineSelects, 1, 'not tried inline again');
  // The same expression over fewer steps is another query: small enough, it runs inline.
  assert.equal(await askRange('m', 10), expectedRange('m', 10));
  assert.equal(counts.pooled, 2);
  assert.equal(counts.inlineSelects, 2);
});
