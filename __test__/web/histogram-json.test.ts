// Native histograms in the HTTP API's JSON, as Prometheus writes them: `histogram` for an instant
// sample, `histograms` beside (or instead of) `values` in a range series, and buckets as
// [boundaryRule, lower, upper, count] with the bounds computed from the schema or custom values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { histogramJson } from '../../src/web/api/histogram-json.js';
import { encodeSuccess } from '../../src/server/query-pool/encode.js';
import { toApiData } from '../../src/server/services.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import type { QueryResult } from '../../src/promql/index.js';

const EXPONENTIAL: FloatHistogram = {
  counterResetHint: 0,
  schema: 0,
  zeroThreshold: 0.001,
  zeroCount: 2,
  count: 12,
  sum: 3.25,
  positiveSpans: [{ offset: 0, length: 2 }, { offset: 1, length: 1 }],
  positiveBuckets: [3, 0, 4],
  negativeSpans: [{ offset: 0, length: 2 }],
  negativeBuckets: [1, 2],
  customValues: [],
};

test('exponential buckets: negative (most negative first, [lower, upper)), the zero bucket closed, positive (lower, upper]; empty ones left out', () => {
  assert.deepEqual(histogramJson(EXPONENTIAL), {
    count: '12',
    sum: '3.25',
    buckets: [
      [1, '-2', '-1', '2'],
      [1, '-1', '-0.5', '1'],
      [3, '-0.001', '0.001', '2'],
      [0, '0.5', '1', '3'],
      [0, '4', '8', '4'],
    ],
  });
});

test('schemas above zero: bounds 2^(i/2^schema); below zero: whole powers', () => {
  const fine = histogramJson({ ...EXPONENTIAL, schema: 2, zeroCount: 0, zeroThreshold: 0, negativeSpans: [], negativeBuckets: [], positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [1] });
  assert.deepEqual(fine.buckets, [[0, '1', '1.189207115002721', '1']]);
  const coarse = histogramJson({ ...EXPONENTIAL, schema: -2, zeroCount: 0, zeroThreshold: 0, negativeSpans: [], negativeBuckets: [], positiveSpans: [{ offset: 1, length: 1 }], positiveBuckets: [5] });
  assert.deepEqual(coarse.buckets, [[0, '1', '16', '5']]);
});

test('custom buckets: (-Inf, first], ..., (last, +Inf]; a histogram with no observations has no buckets', () => {
  const nhcb: FloatHistogram = { ...EXPONENTIAL, schema: -53, zeroThreshold: 0, zeroCount: 0, count: 6, sum: 2, positiveSpans: [{ offset: 0, length: 2 }, { offset: 1, length: 1 }], positiveBuckets: [1, 2, 3], negativeSpans: [], negativeBuckets: [], customValues: [-1, 0.5, 1] };
  assert.deepEqual(histogramJson(nhcb).buckets, [
    [0, '-Inf', '-1', '1'],
    [0, '-1', '0.5', '2'],
    [0, '1', '+Inf', '3'],
  ]);
  assert.deepEqual(histogramJson({ ...EXPONENTIAL, count: 0, sum: 0, zeroCount: 0, positiveBuckets: [0, 0, 0], negativeBuckets: [0, 0] }), { count: '0', sum: '0' });
});

test('query results: the worker encoding and the in-process shapes agree, histogram points written as Prometheus does', () => {
  const vector: QueryResult = {
    resultType: 'vector',
    result: [
      { metric: { __name__: 'h' }, t: 1_000_500, value: NaN, h: EXPONENTIAL },
      { metric: { __name__: 'f' }, t: 1_000_500, value: 2 },
    ],
    warnings: [],
    infos: [],
  };
  const v = JSON.parse(encodeSuccess(vector)) as { data: unknown };
  assert.deepEqual(v.data, toApiData(vector));
  assert.deepEqual(v.data, {
    resultType: 'vector',
    result: [
      { metric: { __name__: 'h' }, histogram: [1000.5, histogramJson(EXPONENTIAL)] },
      { metric: { __name__: 'f' }, value: [1000.5, '2'] },
    ],
  });
  const matrix: QueryResult = {
    resultType: 'matrix',
    result: [
      { metric: { a: '1' }, t: [], v: [], histograms: [{ t: 1000, h: EXPONENTIAL }, { t: 2000, h: { ...EXPONENTIAL, count: 13 } }] },
      { metric: { a: '2' }, t: [1000], v: [1], histograms: [{ t: 2000, h: EXPONENTIAL }] },
      { metric: { a: '3' }, t: [1000], v: [1.5] },
    ],
    warnings: [],
    infos: [],
  };
  const m = JSON.parse(encodeSuccess(matrix)) as { data: { result: Record<string, unknown>[] } };
  assert.deepEqual(m.data, toApiData(matrix));
  assert.equal(m.data.result[0]!.values, undefined, 'no float points: no values');
  assert.deepEqual((m.data.result[0]!.histograms as [number, { count: string }][]).map(([t, h]) => [t, h.count]), [[1, '12'], [2, '13']]);
  assert.deepEqual(m.data.result[1]!.values, [[1, '1']]);
  assert.equal((m.data.result[1]!.histograms as unknown[]).length, 1);
  assert.equal(m.data.result[2]!.histograms, undefined);
});
