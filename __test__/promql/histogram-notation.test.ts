import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHistogramNotation } from '../../src/promql/histogram/notation.js';
import { addHistograms } from '../../src/promql/histogram/arithmetic.js';
import { STALE, expandHistogramItem, expandLoadValues } from '../../src/promql/series-notation.js';
import { CounterResetHint, CUSTOM_BUCKETS_SCHEMA } from '../../src/model/histogram.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { Storage } from '../../src/storage/index.js';
import { appendLoad, nhcbSeries } from './promqltest-load.js';
import type { LoadSeries } from './promqltest-load.js';

test('a {{…}} histogram reads every field, with the notation defaults', () => {
  const { h, hintSpelled } = parseHistogramNotation('schema:1 count:12 sum:18.4 z_bucket:2 z_bucket_w:0.001 buckets:[1 2 0 1 1] offset:-1 n_buckets:[1 2] n_offset:2 counter_reset_hint:gauge');
  assert.equal(hintSpelled, true);
  assert.deepEqual(h, {
    counterResetHint: CounterResetHint.Gauge,
    schema: 1,
    zeroThreshold: 0.001,
    zeroCount: 2,
    count: 12,
    sum: 18.4,
    positiveSpans: [{ offset: -1, length: 5 }],
    positiveBuckets: [1, 2, 0, 1, 1],
    negativeSpans: [{ offset: 2, length: 2 }],
    negativeBuckets: [1, 2],
    customValues: [],
  });
  const empty = parseHistogramNotation('');
  assert.deepEqual([empty.h.schema, empty.h.count, empty.h.positiveSpans, empty.hintSpelled], [0, 0, [], false]);
  const custom = parseHistogramNotation('schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]').h;
  assert.deepEqual([custom.schema, custom.customValues, custom.positiveSpans], [CUSTOM_BUCKETS_SCHEMA, [5, 10], [{ offset: 0, length: 1 }]]);
  assert.throws(() => parseHistogramNotation('bogus:1'), /unknown histogram key "bogus"/);
  assert.throws(() => parseHistogramNotation('sum:1 sum:2'), /duplicate key sum/);
  assert.throws(() => parseHistogramNotation('counter_reset_hint:maybe'), /bad counter_reset_hint "maybe"/);
  assert.throws(() => parseHistogramNotation('schema:0.5'), /schema must be an integer/);
  assert.throws(() => parseHistogramNotation('buckets:1'), /buckets must be a list/);
  assert.throws(() => parseHistogramNotation('sum:abc'), /bad number "abc" for sum/);
});

test('repetition and generation expand as FORMAT.md says', () => {
  assert.equal(expandHistogramItem('{{sum:1}}x3').length, 4);
  const gen = expandHistogramItem('{{schema:0 sum:4 count:4 buckets:[1 2 1]}}+{{sum:2 count:1 buckets:[1] offset:1}}x2').map((x) => x.h);
  assert.deepEqual(
    gen.map((h) => [h.count, h.sum, h.positiveBuckets]),
    [
      [4, 4, [1, 2, 1]],
      [5, 6, [1, 3, 1]],
      [6, 8, [1, 4, 1]],
    ],
  );
  const down = expandHistogramItem('{{sum:10 count:10 counter_reset_hint:gauge}}-{{sum:1 count:3 counter_reset_hint:gauge}}x1');
  assert.deepEqual([down[1]!.h.count, down[1]!.h.counterResetHint, down[1]!.hintSpelled], [7, CounterResetHint.Gauge, true]);
  // Different schemas add at the coarser one: schema 0 bucket 1 and 2 fall into schema -1 bucket 1.
  const a = parseHistogramNotation('schema:-1 sum:4 count:1 buckets:[1] offset:1').h;
  const b = parseHistogramNotation('schema:0 sum:4 count:4 buckets:[2 2] offset:1').h;
  const sum = addHistograms(a, b).h;
  assert.deepEqual([sum.schema, sum.count, sum.positiveSpans, sum.positiveBuckets], [-1, 5, [{ offset: 1, length: 1 }], [5]]);
});

test('load values mix floats, stale markers and histograms', () => {
  const v = expandLoadValues('1 _ {{sum:1 count:1}}x1 stale {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}+{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}x1 2+1x1');
  assert.equal(v.length, 9);
  assert.deepEqual([v[0], v[1], v[4], v[7], v[8]], [1, undefined, STALE, 2, 3]);
  assert.equal((v[6] as FloatHistogram).positiveBuckets[0], 2);
  assert.equal((v[6] as FloatHistogram).schema, CUSTOM_BUCKETS_SCHEMA);
});

test('loaded histogram series are stored in time order with their floats', () => {
  const s = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-nh-load-')));
  appendLoad(s, [
    { labels: { __name__: 'mixed' }, values: expandLoadValues('{{sum:1 count:1}} 5 {{sum:2 count:2}} stale 7') },
    { labels: { __name__: 'plain' }, values: expandLoadValues('1 2 3') },
  ], 60_000);
  const sel = s.select([{ type: '=', name: '__name__', value: 'mixed' }], 0, 600_000);
  assert.deepEqual([...sel.samples().t], [60_000, 240_000]);
  assert.deepEqual([...sel.histogramSamples().t], [0, 120_000]);
  const steps = { start: 0, end: 240_000, step: 60_000 };
  assert.deepEqual([...sel.instantHistograms(steps, 300_000).index], [0, -1, 1, -1, -1], 'the stale marker at 3m ends the histogram');
  s.close();
});

test('load_with_nhcb turns classic histograms into custom-bucket histograms', () => {
  const series: LoadSeries[] = [
    { labels: { __name__: 'h_bucket', le: '0.1', job: 'a' }, values: expandLoadValues('1 2') },
    { labels: { __name__: 'h_bucket', le: '1', job: 'a' }, values: expandLoadValues('3 5') },
    { labels: { __name__: 'h_bucket', le: '+Inf', job: 'a' }, values: expandLoadValues('4 7') },
    { labels: { __name__: 'h_sum', job: 'a' }, values: expandLoadValues('2.5 4') },
    { labels: { __name__: 'h_count', job: 'a' }, values: expandLoadValues('4 7') },
  ];
  const [nhcb, ...rest] = nhcbSeries(series);
  assert.equal(rest.length, 0);
  assert.deepEqual({ ...nhcb!.labels }, { job: 'a', __name__: 'h' });
  const second = nhcb!.values[1] as FloatHistogram;
  assert.deepEqual([second.schema, second.customValues, second.positiveBuckets, second.count, second.sum], [CUSTOM_BUCKETS_SCHEMA, [0.1, 1], [2, 3, 2], 7, 4]);
});
