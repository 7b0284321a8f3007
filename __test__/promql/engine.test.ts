import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { Engine, QueryError, parseExpr, PromQLSyntaxError } from '../../src/promql/index.js';

function fixture(): { storage: Storage; engine: Engine } {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-engine-')));
  const app = storage.appender();
  for (let t = 0; t <= 600_000; t += 15_000) {
    app.add({ __name__: 'http_requests_total', job: 'api', code: '200' }, t, t / 150);
    app.add({ __name__: 'http_requests_total', job: 'api', code: '500' }, t, t / 1500);
    app.add({ __name__: 'up', job: 'api', instance: 'a' }, t, 1);
    app.add({ __name__: 'up', job: 'node', instance: 'b' }, t, t < 300_000 ? 1 : 0);
  }
  app.commit();
  return { storage, engine: new Engine(storage) };
}

test('parse errors carry line:column like Prometheus', () => {
  assert.throws(() => parseExpr('sum(rate(x[5m])'), (e: unknown) => e instanceof PromQLSyntaxError && /^1:16: parse error: unexpected end of input/.test(e.message));
  assert.throws(() => parseExpr('foo{a="b"'), /1:10: parse error/);
  assert.throws(() => parseExpr('rate(x)'), /expected type range vector in call to function "rate", got instant vector/);
  assert.throws(() => parseExpr('1 > 2'), /comparisons between scalars must use BOOL modifier/);
  assert.throws(() => parseExpr('{a=""}'), /vector selector must contain at least one non-empty matcher/);
  assert.throws(() => parseExpr('x{a=~"(?<=x)"}'), /invalid regular expression/);
  assert.throws(() => parseExpr('nosuchfn(x)'), /unknown function with name "nosuchfn"/);
  assert.throws(() => parseExpr('foo\n  + '), /2:5: parse error/);
});

test('instant queries: the walkthrough expressions', () => {
  const { storage, engine } = fixture();
  const down = engine.instantQuery('up == 0', 600_000);
  assert.equal(down.resultType, 'vector');
  assert.deepEqual(down.resultType === 'vector' && down.result.map((r) => r.metric), [{ __name__: 'up', job: 'node', instance: 'b' }]);
  const rate = engine.instantQuery('sum by (code) (rate(http_requests_total[5m]))', 600_000);
  assert.ok(rate.resultType === 'vector');
  const byCode = Object.fromEntries(rate.result.map((r) => [r.metric['code'], r.value]));
  assert.ok(Math.abs(byCode['200']! - 100 / 15) < 1e-9, String(byCode['200']));
  const s = engine.instantQuery('scalar(sum(up))', 0);
  assert.deepEqual(s.resultType === 'scalar' && s.result.value, 2);
  storage.close();
});

test('range queries: step alignment, matrix output sorted by labels', () => {
  const { storage, engine } = fixture();
  const r = engine.rangeQuery('up', 0, 600_000, 300_000);
  assert.ok(r.resultType === 'matrix');
  assert.deepEqual(r.result.map((s) => s.metric['instance']), ['a', 'b']);
  assert.deepEqual(r.result[1]!.t, [0, 300_000, 600_000]);
  assert.deepEqual(r.result[1]!.v, [1, 0, 0]);
  assert.throws(() => engine.rangeQuery('up[5m]', 0, 60_000, 15_000), (e: unknown) => e instanceof QueryError && e.errorType === 'bad_data' && /range vector/.test(e.message));
  assert.throws(() => engine.rangeQuery('up', 0, 12_000_000, 1_000), /exceeded maximum resolution of 11,000 points/);
  storage.close();
});

test('limits: samples and time, with Prometheus error types', () => {
  const { storage } = fixture();
  const small = new Engine(storage, { maxSamples: 10 });
  assert.throws(() => small.rangeQuery('up', 0, 600_000, 15_000), (e: unknown) => e instanceof QueryError && /too many samples/.test(e.message));
  const late = new Engine(storage, { timeoutMs: -1 });
  assert.throws(() => late.instantQuery('up', 0), (e: unknown) => e instanceof QueryError && e.errorType === 'timeout');
  storage.close();
});

test('vector matching errors are Prometheus errors', () => {
  const { storage, engine } = fixture();
  assert.throws(() => engine.instantQuery('http_requests_total + on(job) up', 600_000), /many-to-many matching not allowed|multiple matches/);
  storage.close();
});

test('gated language features refuse with Prometheus messages when switched off', () => {
  const off = { experimentalFunctions: false, extendedRangeSelectors: false, binopFillModifiers: false };
  assert.throws(() => parseExpr('mad_over_time(x[5m])', off), /function "mad_over_time" is not enabled/);
  assert.throws(() => parseExpr('limitk(2, x)', off), /limitk\(\) is experimental and must be enabled with --enable-feature=promql-experimental-functions/);
  assert.throws(() => parseExpr('rate(x[5m] anchored)', off), /anchored modifier is experimental and not enabled/);
  assert.throws(() => parseExpr('a + fill(0) b', off), /binop fill modifiers are experimental and not enabled/);
  assert.doesNotThrow(() => parseExpr('rate(x[5m]) + on(a) group_left b', off));
  assert.doesNotThrow(() => parseExpr('mad_over_time(x[5m])'));
});

test('start timestamps: start_timestamp() and the functions that read them, only with use-start-timestamps', () => {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-engine-st-')));
  const app = storage.appender();
  // A counter that restarts at 35s (start 35s) while its value keeps rising; no start on the first sample.
  const samples: [number, number, number][] = [[10_000, 5, 0], [20_000, 8, 1_000], [30_000, 9, 1_000], [40_000, 12, 35_000], [50_000, 13, 35_000]];
  for (const [t, v, st] of samples) app.add({ __name__: 'c_total', job: 'x' }, t, v, st);
  app.commit();
  const withSt = new Engine(storage, { useStartTimestamps: true });
  const values = (e: Engine, q: string, at: number): number[] => {
    const r = e.instantQuery(q, at);
    return r.resultType === 'vector' ? r.result.map((s) => s.value) : [];
  };
  assert.deepEqual(values(withSt, 'start_timestamp(c_total)', 45_000), [35]);
  assert.deepEqual(values(withSt, 'start_timestamp((c_total))', 15_000), [0], 'no start timestamp: 0');
  assert.deepEqual(values(withSt, 'start_timestamp(c_total * 1)', 45_000), [], 'an expression has none');
  assert.deepEqual(values(new Engine(storage), 'start_timestamp(c_total)', 45_000), [], 'feature off: none');
  const range = withSt.rangeQuery('start_timestamp(c_total)', 20_000, 50_000, 10_000);
  assert.ok(range.resultType === 'matrix');
  assert.deepEqual(range.result[0]!.v, [1, 1, 35, 35]);
  assert.deepEqual(range.result[0]!.metric, { job: 'x' });
  // The restart is a reset: irate restarts from zero, resets() counts it; without the feature neither.
  assert.deepEqual(values(withSt, 'resets(c_total[1m])', 50_000), [1]);
  assert.deepEqual(values(new Engine(storage), 'resets(c_total[1m])', 50_000), [0]);
  assert.deepEqual(values(withSt, 'irate(c_total[15s])', 40_000), [1.2]);
  storage.close();
});
