// Native-histogram arithmetic and estimates of the PromQL engine (src/promql/histogram/), each
// against values worked out by hand from Prometheus's documented semantics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterResetHint } from '../../src/model/histogram.js';
import { parseHistogramNotation } from '../../src/promql/histogram/notation.js';
import { addHistograms, detectReset, divideHistogram, histogramsEqual, IncompatibleSchemaError } from '../../src/promql/histogram/arithmetic.js';
import { compact, compactSparse, exponentialBound, positiveSparse, negativeSparse, reduceResolution } from '../../src/promql/histogram/buckets.js';
import { histogramFraction, histogramQuantile, histogramVariance } from '../../src/promql/histogram/statistics.js';
import { trimHistogram } from '../../src/promql/histogram/trim.js';
import { combineHistograms } from '../../src/promql/histogram/compensated.js';
import { goG, histogramString } from '../../src/promql/histogram/format.js';
import { labelsHash, xxhash64 } from '../../src/model/labels-hash.js';
import { expandHistogramItem } from '../../src/promql/series-notation.js';

const h = (text: string) => parseHistogramNotation(text).h;
const buckets = (x: ReturnType<typeof h>) => {
  const p = compactSparse(positiveSparse(x));
  const n = compactSparse(negativeSparse(x));
  return { p: p.index.map((i, k) => [i, p.count[k]]), n: n.index.map((i, k) => [i, n.count[k]]) };
};
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${a} != ${b}`);

test('notation: keys, one span per list, spelled hints', () => {
  const n = parseHistogramNotation('schema:1 sum:10 count:4 z_bucket:1 z_bucket_w:0.5 buckets:[1 2] offset:-1 n_buckets:[3] n_offset:2 counter_reset_hint:gauge');
  assert.equal(n.hintSpelled, true);
  assert.equal(n.h.counterResetHint, CounterResetHint.Gauge);
  assert.deepEqual(n.h.positiveSpans, [{ offset: -1, length: 2 }]);
  assert.deepEqual(n.h.negativeSpans, [{ offset: 2, length: 1 }]);
  assert.equal(parseHistogramNotation('').hintSpelled, false);
  assert.throws(() => parseHistogramNotation('bogus:1'), /unknown histogram key/);
  // {{A}}+{{B}}x2 is A, A+B, A+2B.
  const seq = expandHistogramItem('{{sum:1 count:1 buckets:[1]}}+{{sum:2 count:2 buckets:[2]}}x2');
  assert.deepEqual(seq.map((x) => x.h.count), [1, 3, 5]);
});

test('exponential bounds: schema 0 doubles, schema 2 steps by 2^(1/4), the last finite bucket ends at the largest double', () => {
  assert.equal(exponentialBound(0, 0), 1);
  assert.equal(exponentialBound(3, 0), 8);
  close(exponentialBound(1, 2), 2 ** 0.25);
  assert.equal(exponentialBound(1024, 0), Number.MAX_VALUE);
});

test('addition reduces to the coarser schema and widens the zero bucket', () => {
  // schema 1 buckets 1..2 are (2^0, 2^0.5], (2^0.5, 2^1] -> one schema-0 bucket (1, 2] (index 1).
  const a = h('schema:1 count:3 sum:3 buckets:[1 2] offset:1');
  const b = h('schema:0 count:1 sum:1 z_bucket:0 z_bucket_w:0 buckets:[1] offset:1');
  const r = addHistograms(a, b);
  assert.equal(r.h.schema, 0);
  assert.deepEqual(buckets(r.h).p, [[1, 4]]);
  assert.equal(r.h.count, 4);
  // A zero threshold of 1 swallows the bucket (0.5, 1] of the other histogram.
  const z = addHistograms(h('schema:0 count:1 z_bucket:1 z_bucket_w:1'), h('schema:0 count:2 buckets:[2 3] offset:0'));
  assert.equal(z.h.zeroThreshold, 1);
  assert.equal(z.h.zeroCount, 3);
  assert.deepEqual(buckets(z.h).p, [[1, 3]]);
  assert.throws(() => addHistograms(h('schema:0'), h('schema:-53 custom_values:[1]')), IncompatibleSchemaError);
});

test('custom buckets with different bounds are reconciled to the bounds both have', () => {
  const r = addHistograms(h('schema:-53 count:15 custom_values:[1 2 3 4 5 6 7 8] buckets:[10 20 30 40 50 60 70 80 90]'), h('schema:-53 count:15 custom_values:[2 4 6] buckets:[1 2 5 7]'), -1);
  assert.equal(r.boundsReconciled, true);
  assert.deepEqual(r.h.customValues, [2, 4, 6]);
  assert.deepEqual(buckets(r.h).p, [[0, 29], [1, 68], [2, 105], [3, 233]]);
});

test('hints of sums: gauge wins, then unknown; reset with not-reset collides', () => {
  const gauge = h('counter_reset_hint:gauge count:1');
  const notReset = h('counter_reset_hint:not_reset count:1');
  const reset = h('counter_reset_hint:reset count:1');
  assert.equal(addHistograms(notReset, gauge).h.counterResetHint, CounterResetHint.Gauge);
  assert.equal(addHistograms(h('count:1'), notReset).h.counterResetHint, CounterResetHint.Unknown);
  assert.equal(addHistograms(notReset, reset).counterResetCollision, true);
});

test('reset detection: lower count or bucket, finer schema; not for added buckets', () => {
  const prev = h('schema:0 count:3 buckets:[1 2]');
  assert.equal(detectReset(h('schema:0 count:4 buckets:[1 2 1]'), prev), false);
  assert.equal(detectReset(h('schema:0 count:3 buckets:[2 1]'), prev), true);
  assert.equal(detectReset(h('schema:1 count:5 buckets:[1 2 2]'), prev), true);
  assert.equal(detectReset(h('schema:0 count:9 buckets:[9] counter_reset_hint:not_reset'), prev), false);
});

test('division by zero keeps Inf counts and drops the buckets; compact drops empty buckets', () => {
  const d = divideHistogram(h('count:2 sum:2 z_bucket:1 z_bucket_w:0.001 buckets:[1]'), 0);
  assert.equal(d.count, Infinity);
  assert.deepEqual(d.positiveBuckets, []);
  assert.deepEqual(compact(h('buckets:[0 1 0 0 2 0]')).positiveSpans, [
    { offset: 1, length: 1 },
    { offset: 2, length: 1 },
  ]);
  assert.ok(histogramsEqual(h('buckets:[0 1]'), h('offset:1 buckets:[1]')));
  assert.deepEqual(buckets(reduceResolution(h('schema:2 buckets:[1 1 1 1] offset:1'), 0)).p, [[1, 4]]);
});

test('quantile: exponential interpolation in a bucket, linear in custom buckets; fraction and variance', () => {
  // Half of bucket (1, 2] lies below sqrt(2) on a logarithmic scale.
  close(histogramQuantile(0.5, h('schema:0 count:2 sum:3 buckets:[0 2]')).value, Math.SQRT2);
  close(histogramQuantile(0.5, h('schema:-53 count:2 sum:3 custom_values:[10 20] buckets:[0 2]')).value, 15);
  assert.equal(histogramQuantile(0.99, h('schema:-53 count:2 custom_values:[10] buckets:[0 2]')).value, 10);
  assert.equal(histogramQuantile(2, h('count:1 buckets:[1]')).value, Infinity);
  close(histogramFraction(0, Math.SQRT2, h('schema:0 count:2 sum:3 buckets:[0 2]')).value, 0.5);
  // NaN observations count in the total but in no bucket.
  close(histogramFraction(-Infinity, Infinity, h('schema:0 count:15 sum:NaN buckets:[12]')).value, 0.8);
  // Two observations at the geometric midpoints of (1,2] and (2,4]: sqrt(2) and sqrt(8).
  const v = histogramVariance(h(`schema:0 count:2 sum:${Math.SQRT2 + Math.sqrt(8)} buckets:[0 1 1]`));
  close(v, ((Math.sqrt(8) - Math.SQRT2) / 2) ** 2);
});

test('trim operators keep one side, interpolating and re-estimating the sum', () => {
  const t = trimHistogram(h('schema:0 sum:123.75 count:34 z_bucket:1 z_bucket_w:0.001 buckets:[2 4 8 16] n_buckets:[1 2]'), 2, true);
  assert.equal(t.count, 10);
  close(t.sum, 3.5355339059327373);
  const c = trimHistogram(h('schema:-53 sum:172.5 count:15 custom_values:[5 10 15 20] buckets:[1 6 4 3 1]'), 13, true);
  close(c.count, 9.4);
  close(c.sum, 75.1);
  // Nothing trimmed: the original sum stays.
  assert.equal(trimHistogram(h('schema:0 sum:7 count:1 buckets:[1]'), Infinity, true).sum, 7);
});

test('compensated sums keep small values next to cancelling large ones; means survive overflow', () => {
  const parts = ['count:1 sum:3.1', 'count:1 sum:1e100', 'count:1 sum:-1e100', 'count:1 sum:1.3'].map(h);
  close(combineHistograms(parts, 'sum').h.sum, 4.4);
  const big = combineHistograms([h('count:1.7976931348623157e308'), h('count:1e308')], 'avg').h;
  close(big.count, (1.7976931348623157e308 / 2) + 1e308 / 2);
});

test('text form for count_values and the label hash of limit_ratio', () => {
  assert.equal(histogramString(h('schema:0 sum:10 count:20 z_bucket_w:0.001 z_bucket:2 buckets:[1 2] n_buckets:[1 2]')), '{count:20, sum:10, [-2,-1):2, [-1,-0.5):1, [-0.001,0.001]:2, (0.5,1]:1, (1,2]:2}');
  assert.equal(goG(1e6), '1e+06');
  assert.equal(goG(0.0001), '0.0001');
  assert.equal(xxhash64(new TextEncoder().encode('abc')).toString(16), '44bc2cf5ad770999');
  // name 0xff value 0xff per label, in name order, whatever the key order of the object.
  const bytes = Uint8Array.of(0x61, 0xff, 0x31, 0xff, 0x62, 0xff, 0x32, 0xff);
  assert.equal(labelsHash({ b: '2', a: '1' }), xxhash64(bytes));
});
