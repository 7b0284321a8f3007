import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { decodeHistograms, encodeHistograms } from '../../src/storage/histogram-codec.js';
import { CounterResetHint, CUSTOM_BUCKETS_SCHEMA } from '../../src/model/histogram.js';
import type { FloatHistogram } from '../../src/model/histogram.js';

const STALE_NAN = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0]!;

function hist(i: number, isInteger = true): FloatHistogram {
  const positiveBuckets = [i, 2 * i, 1];
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 1,
    zeroThreshold: 0.001,
    zeroCount: 2,
    count: 2 + positiveBuckets.reduce((a, b) => a + b, 0) + 3,
    sum: i * 1.5,
    positiveSpans: [{ offset: -1, length: 2 }, { offset: 2, length: 1 }],
    positiveBuckets,
    negativeSpans: [{ offset: 0, length: 1 }],
    negativeBuckets: [3],
    customValues: [],
    ...(isInteger ? { isInteger: true } : {}),
  };
}

function open(): Storage {
  return Storage.open(mkdtempSync(join(tmpdir(), 'promethium-nh-')));
}

const name = (value: string) => [{ type: '=' as const, name: '__name__', value }];

/** What the storage hands back: hints from chunk headers (first sample Unknown, then NotCounterReset). */
function asRead(h: FloatHistogram, first: boolean): FloatHistogram {
  return { ...h, counterResetHint: first ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset };
}

test('the histogram buffer round-trips every field and refuses a truncated one', () => {
  const custom: FloatHistogram = { ...hist(4, false), schema: CUSTOM_BUCKETS_SCHEMA, negativeSpans: [], negativeBuckets: [], customValues: [0.5, 1, 10], counterResetHint: CounterResetHint.Gauge };
  const hs = [hist(1), custom];
  const buf = encodeHistograms(hs);
  assert.deepEqual(decodeHistograms(buf), hs);
  assert.throws(() => decodeHistograms(buf.subarray(0, buf.length - 8)), /histogram 1 is past the end/);
});

test('histograms appended beside floats come back as their own kind, also after a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-nh-'));
  let s = Storage.open(dir);
  const app = s.appender();
  // One series switches kind twice within a batch: the order added is kept.
  app.add({ __name__: 'mixed' }, 1000, 1);
  app.addHistogram({ __name__: 'mixed' }, 2000, hist(1));
  app.addHistogram({ __name__: 'mixed' }, 3000, hist(2, false));
  app.add({ __name__: 'mixed' }, 4000, 2);
  app.addHistogram({ __name__: 'mixed' }, 5000, hist(3));
  app.addHistogram({ __name__: 'only_h' }, 1000, hist(5));
  assert.equal(app.size, 6);
  const r = app.commit();
  assert.equal(r.appended, 6);
  assert.equal(r.outOfOrder, 0);
  const check = (st: Storage) => {
    const sel = st.select(name('mixed'), 0, 10_000);
    const floats = sel.samples();
    assert.deepEqual([...floats.t], [1000, 4000]);
    assert.deepEqual([...floats.v], [1, 2]);
    const hs = sel.histogramSamples();
    assert.deepEqual([...hs.offsets], [0, 3]);
    assert.deepEqual([...hs.t], [2000, 3000, 5000]);
    assert.deepEqual(hs.h, [asRead(hist(1), true), asRead(hist(2, false), true), asRead(hist(3), true)]);
    const steps = { start: 1500, end: 5500, step: 1000 };
    const inst = st.select(name('mixed'), 0, 10_000).instant(steps, 300_000);
    assert.deepEqual([...inst.present], [1, 0, 0, 1, 0], 'no float where the newest sample is a histogram');
    const ih = sel.instantHistograms(steps, 300_000);
    assert.deepEqual([...ih.index], [-1, 0, 1, -1, 2]);
    assert.deepEqual([...ih.timestamps], [0, 2000, 3000, 0, 5000]);
    assert.equal(ih.h[1]!.isInteger, undefined);
  };
  check(s);
  s.close();
  s = Storage.open(dir);
  check(s);
  // A float stale marker after a histogram ends the series for histogram lookups too.
  const ref = s.seriesRefs([{ __name__: 'mixed' }]);
  assert.equal(s.append(ref, new Float64Array([6000]), new Float64Array([STALE_NAN])).appended, 1);
  const ih = s.select(name('mixed'), 0, 10_000).instantHistograms({ start: 6500, end: 6500, step: 1 }, 300_000);
  assert.deepEqual([...ih.index], [-1]);
  assert.equal(s.select(name('mixed'), 0, 10_000).histogramSamples().h.length, 3, 'stale markers are left out');
  s.close();
});

test('start timestamps of histogram samples are stored and come back as a typed array, also after a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-nh-st-'));
  let s = Storage.open(dir);
  const app = s.appender();
  app.addHistogram({ __name__: 'h' }, 1000, hist(1));
  app.addHistogram({ __name__: 'h' }, 2000, hist(2), 1500);
  app.addHistogram({ __name__: 'h' }, 3000, hist(3, false), 1500);
  app.addHistogram({ __name__: 'plain' }, 1000, hist(1));
  assert.equal(app.commit().appended, 4);
  const ref = s.seriesRefs([{ __name__: 'h' }]);
  assert.equal(s.appendHistograms(ref, new Float64Array([4000]), [hist(4, false)], new Float64Array([3999])).appended, 1);
  assert.throws(() => s.appendHistograms(ref, new Float64Array([5000]), [hist(5)], new Float64Array([1, 2])), /differ in length/);
  const check = (st: Storage) => {
    const hs = st.select(name('h'), 0, 10_000).histogramSamples();
    assert.ok(hs.starts instanceof Float64Array);
    assert.deepEqual([...hs.t], [1000, 2000, 3000, 4000]);
    assert.deepEqual([...hs.starts], [0, 1500, 1500, 3999]);
    assert.deepEqual([...st.select(name('plain'), 0, 10_000).histogramSamples().starts], [0]);
  };
  check(s);
  s.close();
  s = Storage.open(dir);
  check(s);
  s.close();
});

test('appendHistograms counts refusals and names an invalid histogram', () => {
  const s = open();
  const refs = s.seriesRefs([{ __name__: 'h' }]);
  assert.equal(s.appendHistograms(refs, new Float64Array([2000]), [hist(1)]).appended, 1);
  const again = s.appendHistograms(new Uint32Array([refs[0]!, refs[0]!, 999_999]), new Float64Array([1000, 2000, 3000]), [hist(1), hist(2), hist(1)]);
  assert.deepEqual([again.appended, again.outOfOrder, again.duplicate, again.unknownRef], [0, 1, 1, 1]);
  const bad = { ...hist(1), positiveBuckets: [1] };
  assert.throws(() => s.appendHistograms(refs, new Float64Array([3000]), [bad]), /histogram 0 .*positive spans cover 3 buckets but 1 are given/);
  assert.throws(() => s.appendHistograms(refs, new Float64Array([3000, 4000]), [hist(1)]), /differ in length/);
  s.close();
});

test('histogram chunks are persisted by compaction and read back from the block', async () => {
  const s = open();
  const app = s.appender();
  const hour = 3_600_000;
  const now = Date.now() - 5 * hour;
  const start = now - (now % (2 * hour));
  for (let i = 0; i < 300; i++) app.addHistogram({ __name__: 'persisted' }, start + i * 60_000, hist(i + 1, i % 2 === 0));
  app.commit();
  await s.compact();
  assert.ok(s.stats().blocks.length >= 1);
  const got = s.select(name('persisted'), start, start + 300 * 60_000).histogramSamples();
  assert.equal(got.h.length, 300);
  assert.deepEqual(got.h[150], asRead(hist(151), true));
  assert.equal(got.h[151]!.isInteger, undefined, 'float histograms stay float');
  s.close();
});

test('histogramSamples over float series only: an offset per series, all zero, and no samples', () => {
  const s = open();
  try {
    const refs = s.seriesRefs([{ __name__: 'f', i: '1' }, { __name__: 'f', i: '2' }, { __name__: 'f', i: '3' }]);
    s.append(refs, Float64Array.from([1000, 1000, 1000]), Float64Array.from([1, 2, 3]));
    const sel = s.select(name('f'), 0, 10_000);
    assert.equal(sel.length, 3);
    const hs = sel.histogramSamples();
    assert.deepEqual([...hs.offsets], [0, 0, 0, 0]);
    assert.equal(hs.t.length, 0);
    assert.equal(hs.starts.length, 0);
    assert.deepEqual(hs.h, []);
    // One histogram among them: the offsets place it in its series.
    const h = s.seriesRefs([{ __name__: 'f', i: '4' }]);
    s.appendHistograms(h, Float64Array.from([2000]), [hist(1)]);
    const mixed = s.select(name('f'), 0, 10_000).histogramSamples();
    assert.deepEqual([...mixed.offsets], [0, 0, 0, 0, 1]);
    assert.deepEqual([...mixed.t], [2000]);
  } finally {
    s.close();
  }
});
