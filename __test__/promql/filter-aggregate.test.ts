// Comparison filters against a scalar share their input's values (only presence is copied, and
// only when a step drops out), and float aggregations run one loop per operator: the answers must
// be Prometheus's, step by step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import type { RangeSeries } from '../../src/promql/engine.js';

function fixture(): Engine {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-filter-')));
  const app = storage.appender();
  for (let t = 0; t <= 120_000; t += 15_000) {
    app.add({ __name__: 'g', a: 'x', b: '1' }, t, t / 15_000);
    app.add({ __name__: 'g', a: 'x', b: '2' }, t, 8 - t / 15_000);
    app.add({ __name__: 'g', a: 'y', b: '1' }, t, t === 60_000 ? NaN : 4);
  }
  app.commit();
  return new Engine(storage);
}

/** A range result as `{labels: [[t, v], ...]}`, comparable across expressions. */
function points(r: { result: RangeSeries[] }): Map<string, [number, number][]> {
  return new Map(r.result.map((s) => [JSON.stringify(s.metric), s.t.map((t, i): [number, number] => [t, s.v[i]!])]));
}

test('a filter keeps the values where the comparison holds and drops the other steps and series', () => {
  const engine = fixture();
  const range = (q: string) => points(engine.rangeQuery(q, 0, 120_000, 15_000) as { result: RangeSeries[] });
  const g = range('g');
  const expect = (keep: (v: number) => boolean) => {
    const out = new Map<string, [number, number][]>();
    for (const [k, ps] of g) {
      const kept = ps.filter(([, v]) => keep(v));
      if (kept.length > 0) out.set(k, kept);
    }
    return out;
  };
  assert.deepEqual(range('g > 3'), expect((v) => v > 3));
  assert.deepEqual(range('3 < g'), expect((v) => 3 < v));
  assert.deepEqual(range('g != 4'), expect((v) => v !== 4), 'NaN is unequal to everything, so it stays');
  assert.deepEqual(range('g > 100'), new Map());
  assert.deepEqual(range('g >= -1'), expect((v) => v >= -1), 'every step kept but NaN');
  // A filtered selection beside the same selector in one expression.
  const difference = new Map([...expect((v) => v > 3)].map(([k, ps]) => [JSON.stringify({ ...JSON.parse(k), __name__: undefined }), ps.map(([t]): [number, number] => [t, 0])]));
  assert.deepEqual(range('(g > 3) - g'), difference);
  assert.deepEqual(range('g unless (g > 3)'), expect((v) => !(v > 3)));
  // timestamp() over a filter is the step's time, not the sample's (as over any other expression).
  const instant = engine.instantQuery('timestamp(g > 3)', 100_000);
  assert.ok(instant.resultType === 'vector');
  assert.deepEqual(instant.result.map((s) => s.value), instant.result.map(() => 100));
});

/** Prometheus's rules for the float aggregations, step by step over plain arrays: the oracle. */
function aggregate(op: string, xs: number[]): number {
  switch (op) {
    case 'count':
      return xs.length;
    case 'group':
      return 1;
    case 'sum':
      return xs.reduce((a, b) => a + b, 0);
    default: {
      // min/max: NaN only when every value is NaN.
      let m = xs[0]!;
      for (const x of xs) if ((op === 'min' ? m > x : m < x) || Number.isNaN(m)) m = x;
      return m;
    }
  }
}

test('count, sum, group, min and max by zero, one and two labels: Prometheus\'s values at every step', () => {
  const engine = fixture();
  const range = (q: string) => points(engine.rangeQuery(q, 0, 120_000, 15_000) as { result: RangeSeries[] });
  const g = [...range('g')].map(([k, ps]) => ({ labels: JSON.parse(k) as Record<string, string>, ps }));
  const groupings: [string, (l: Record<string, string>) => Record<string, string>][] = [
    ['', () => ({})],
    ['by (a)', (l) => ({ a: l['a']! })],
    ['by (b, a)', (l) => ({ b: l['b']!, a: l['a']! })],
    ['without (b)', (l) => ({ a: l['a']! })],
  ];
  for (const op of ['count', 'sum', 'group', 'min', 'max']) {
    for (const [clause, groupOf] of groupings) {
      const byGroup = new Map<string, Map<number, number[]>>();
      for (const s of g) {
        const key = JSON.stringify(Object.fromEntries(Object.entries(groupOf(s.labels)).sort()));
        const steps = byGroup.get(key) ?? new Map<number, number[]>();
        byGroup.set(key, steps);
        for (const [t, v] of s.ps) steps.set(t, [...(steps.get(t) ?? []), v]);
      }
      const want = new Map([...byGroup].map(([k, steps]) => [k, [...steps].sort((x, y) => x[0] - y[0]).map(([t, xs]): [number, number] => [t, aggregate(op, xs)])]));
      const got = new Map([...range(`${op} ${clause} (g)`)].map(([k, ps]) => [JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(k) as Record<string, string>).sort())), ps]));
      assert.deepEqual(got, want, `${op} ${clause}`);
    }
  }
});
