// `anchored` and `smoothed` over native histograms, beyond what the conformance scripts cover:
// float stale markers, gauges interpolated across a drop, `@` with `smoothed`, and the chain of
// counter resets between the window's edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import { expandLoadValues } from '../../src/promql/series-notation.js';
import { parseHistogramNotation } from '../../src/promql/histogram/notation.js';
import { extendedHistogramRate, interpolateHistogram, smoothedHistogramAt } from '../../src/promql/histogram/extended.js';
import type { WindowSamples } from '../../src/promql/histogram/range-functions.js';
import { appendLoad } from './promqltest-load.js';
import type { LoadSeries } from './promqltest-load.js';

const h = (text: string) => parseHistogramNotation(text).h;
const STALE = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;

function collect(): { warns: string[]; infos: string[]; ann: { warn: (t: string) => void; info: (t: string) => void } } {
  const warns: string[] = [];
  const infos: string[] = [];
  return { warns, infos, ann: { warn: (t) => warns.push(t), info: (t) => infos.push(t) } };
}

function engineWith(series: LoadSeries[], interval: number): { storage: Storage; engine: Engine } {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-nh-extended-')));
  appendLoad(storage, series, interval);
  return { storage, engine: new Engine(storage) };
}

test('a counter interpolated across a reset restarts from zero; a gauge goes in a straight line', () => {
  const before = h('sum:10 count:10 buckets:[10]');
  const after = h('sum:2 count:2 buckets:[2]');
  const counter = interpolateHistogram(0, before, 10_000, after, 5_000, true);
  assert.deepEqual([counter.crossedReset, counter.h.count, counter.h.positiveBuckets], [true, 1, [1]]);
  const gauge = interpolateHistogram(0, before, 10_000, after, 5_000, false);
  assert.deepEqual([gauge.crossedReset, gauge.h.count, gauge.h.sum, gauge.h.positiveBuckets], [false, 6, 6, [6]]);
});

test('extended rate: a float stale marker in the window is no float sample, a real float is a mix', () => {
  const window = (ft: number[], fv: ArrayLike<number>): WindowSamples => ({ ft, fv, ht: [0, 30_000, 60_000], hh: [h('count:1 sum:1 buckets:[1]'), h('count:3 sum:3 buckets:[3]'), h('count:7 sum:7 buckets:[7]')] });
  const stale = collect();
  const r = extendedHistogramRate(window([45_000], Float64Array.of(STALE)), 0, 60_000, false, true, false, 'x', stale.ann);
  assert.equal(r.kind, 'histogram');
  assert.equal(r.kind === 'histogram' && r.h.count, 6);
  assert.deepEqual(stale.warns, []);
  const mixed = collect();
  assert.deepEqual(extendedHistogramRate(window([45_000], [2]), 0, 60_000, false, true, false, 'x', mixed.ann), { kind: 'none' });
  assert.deepEqual(mixed.warns, ['PromQL warning: encountered a mix of histograms and floats for metric name "x"']);
  // A float before the histogram that anchors the window is no edge sample: no mix.
  const older = collect();
  const r2 = extendedHistogramRate(window([-60_000], [2]), 0, 60_000, false, true, false, 'x', older.ann);
  assert.deepEqual([r2.kind === 'histogram' && r2.h.count, older.warns], [6, []]);
  // Without a histogram at or before the start, an earlier float is the anchor: a mix.
  const anchor = collect();
  assert.deepEqual(extendedHistogramRate(window([-60_000], [2]), -30_000, 60_000, false, true, false, 'x', anchor.ann), { kind: 'none' });
  assert.equal(anchor.warns.length, 1);
});

test('extended increase adds the value before every reset between the edges, each sample once', () => {
  // 5, 8, 2 (reset by count), 6, 1 (reset by hint): anchored over (0, 120s] → 1 - 5 + 8 + 6 = 10.
  const hh = ['count:5 sum:5 buckets:[5]', 'count:8 sum:8 buckets:[8]', 'count:2 sum:2 buckets:[2]', 'count:6 sum:6 buckets:[6]', 'count:1 sum:1 buckets:[1] counter_reset_hint:reset'].map(h);
  const w: WindowSamples = { ft: [], fv: [], ht: [0, 30_000, 60_000, 90_000, 120_000], hh };
  const anchored = extendedHistogramRate(w, 0, 120_000, false, true, false, 'x', collect().ann);
  assert.equal(anchored.kind === 'histogram' && anchored.h.count, 10);
  // As a rate: per second of the range, not of the sampled interval.
  const rate = extendedHistogramRate(w, 0, 120_000, false, true, true, 'x', collect().ann);
  assert.equal(rate.kind === 'histogram' && rate.h.count, 10 / 120);
  // delta does not correct resets and warns that these are not gauges.
  const d = collect();
  const delta = extendedHistogramRate(w, 0, 120_000, false, false, false, 'x', d.ann);
  assert.equal(delta.kind === 'histogram' && delta.h.count, -4);
  assert.deepEqual(d.warns, ['PromQL warning: this native histogram metric is not a gauge: "x"']);
});

test('smoothed instant: a sample at the step wins, a float neighbour leaves the float answer, none before any sample', () => {
  const w: WindowSamples = { ft: [60_000], fv: [4], ht: [0, 30_000], hh: [h('count:1 sum:1 buckets:[1]'), h('count:4 sum:4 buckets:[4]')] };
  const exact = smoothedHistogramAt(w, 30_000, 300_000, 'x', collect().ann);
  assert.equal(exact.kind === 'histogram' && exact.h.count, 4);
  const between = smoothedHistogramAt(w, 10_000, 300_000, 'x', collect().ann);
  assert.equal(between.kind === 'histogram' && between.h.count, 2);
  const mix = collect();
  assert.deepEqual(smoothedHistogramAt(w, 45_000, 300_000, 'x', mix.ann), { kind: 'none' });
  assert.equal(mix.warns.length, 1);
  assert.deepEqual(smoothedHistogramAt(w, 60_000, 300_000, 'x', collect().ann), { kind: 'keep' });
  assert.deepEqual(smoothedHistogramAt({ ...w, ht: [20_000, 30_000], hh: w.hh }, 10_000, 300_000, 'x', collect().ann), { kind: 'keep' }, 'nothing before the step: no value');
});

test('queries: smoothed with @ holds one interpolated histogram at every step; anchored increase over a range', () => {
  const { storage, engine } = engineWith([{ labels: { __name__: 'req' }, values: expandLoadValues('{{count:1 sum:1 buckets:[1]}}+{{count:3 sum:3 buckets:[3]}}x4') }], 15_000);
  const at = engine.rangeQuery('histogram_count(req smoothed @ 20)', 0, 60_000, 30_000);
  assert.equal(at.resultType, 'matrix');
  // Between count 4 (15s) and 7 (30s), a third of the way.
  assert.deepEqual(at.resultType === 'matrix' && at.result[0]!.v, [5, 5, 5]);
  const inc = engine.rangeQuery('histogram_count(increase(req[30s] anchored))', 30_000, 60_000, 30_000);
  assert.deepEqual(inc.resultType === 'matrix' && inc.result[0]!.v, [6, 6]);
  storage.close();
});
