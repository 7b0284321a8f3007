// The range-query answer the API writes from dense rows (native encoder) is byte for byte the
// envelope the per-point encoder writes, for the values and shapes that differ in text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRangeSuccess, encodeSuccess } from '../../src/server/query-pool/encode.js';
import { denseRows, toRangeSeries } from '../../src/promql/range-result.js';
import { QueryError } from '../../src/promql/values.js';

const n = 4;
const row = (vals: (number | undefined)[]): { values: Float64Array; present: Uint8Array } => ({
  values: Float64Array.from(vals, (v) => v ?? 0),
  present: Uint8Array.from(vals, (v) => (v === undefined ? 0 : 1)),
});

test('dense rows encode exactly as the per-point envelope, limit included', () => {
  const d = denseRows(
    [
      { metric: { job: 'b', 'quote"d': 'line\nbreak' }, ...row([2.5e-7, 1e22, NaN, -Infinity]) },
      { metric: { job: 'a' }, ...row([undefined, 0.1, undefined, -0]) },
      { metric: { job: 'empty' }, ...row([undefined, undefined, undefined, undefined]) },
      { metric: { job: 'a' }, ...row([1, undefined, 3, undefined]) },
    ],
    n,
    1_709_251_199_250,
    15_500,
    ['a warning'],
    [],
  );
  assert.deepEqual(d.metrics, [{ job: 'a' }, { job: 'b', 'quote"d': 'line\nbreak' }], 'merged, sorted, the empty row left out');
  const r = { resultType: 'matrix' as const, result: toRangeSeries(d), warnings: d.warnings, infos: d.infos };
  for (const limit of [0, 1, 5]) {
    const dense = Buffer.from(encodeRangeSuccess(d, limit)).toString('utf8');
    assert.equal(dense, encodeSuccess(r, limit), `limit ${limit}`);
    assert.doesNotThrow(() => JSON.parse(dense));
  }
  assert.match(Buffer.from(encodeRangeSuccess(d)).toString('utf8'), /"2.5e-07".*"1e\+22".*"NaN".*"-Inf"/);
});

test('two series with the same labels at the same step are refused, as Prometheus does', () => {
  assert.throws(() => denseRows([{ metric: { a: '1' }, ...row([1, 2]) }, { metric: { a: '1' }, ...row([undefined, 3]) }], 2, 0, 1, [], []), (e: unknown) => e instanceof QueryError && /same labelset/.test(e.message));
});

test("rows that are one matrix's consecutive rows in label order are the result's memory as they are; others are copied", () => {
  const matrix = { values: Float64Array.of(1, 2, 3, 4, 5, 6), present: Uint8Array.of(1, 1, 0, 1, 1, 1) };
  const rowOf = (i: number) => ({ values: matrix.values.subarray(i * 2, i * 2 + 2), present: matrix.present.subarray(i * 2, i * 2 + 2) });
  const inOrder = denseRows([{ metric: { a: '1' }, ...rowOf(0) }, { metric: { a: '2' }, ...rowOf(1) }, { metric: { a: '3' }, ...rowOf(2) }], 2, 0, 1, [], []);
  assert.equal(inOrder.values.buffer, matrix.values.buffer, 'no copy');
  assert.equal(inOrder.present.buffer, matrix.present.buffer, 'no copy');
  assert.deepEqual([...inOrder.values], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...inOrder.present], [1, 1, 0, 1, 1, 1]);
  // Sorting by labels reverses the rows: copied in the sorted order.
  const reversed = denseRows([{ metric: { a: '3' }, ...rowOf(0) }, { metric: { a: '2' }, ...rowOf(1) }, { metric: { a: '1' }, ...rowOf(2) }], 2, 0, 1, [], []);
  assert.notEqual(reversed.values.buffer, matrix.values.buffer);
  assert.deepEqual([...reversed.values], [5, 6, 3, 4, 1, 2]);
  assert.deepEqual([...reversed.present], [1, 1, 0, 1, 1, 1]);
  // A row without values is left out, so the rest are no longer consecutive: copied.
  const gap = denseRows([{ metric: { a: '1' }, ...rowOf(0) }, { metric: { a: '2' }, values: new Float64Array(2), present: new Uint8Array(2) }, { metric: { a: '3' }, ...rowOf(2) }], 2, 0, 1, [], []);
  assert.deepEqual([...gap.values], [1, 2, 5, 6]);
  assert.deepEqual(gap.metrics, [{ a: '1' }, { a: '3' }]);
  // Rows longer than the steps (a selection's rows with an @ modifier) are cut to the steps.
  const long = denseRows([{ metric: { a: '1' }, values: matrix.values.subarray(0, 3), present: matrix.present.subarray(0, 3) }], 2, 0, 1, [], []);
  assert.deepEqual([...long.values], [1, 2]);
});

test('no series: an empty result', () => {
  const d = denseRows([], 3, 0, 1000, [], []);
  assert.equal(Buffer.from(encodeRangeSuccess(d)).toString('utf8'), '{"status":"success","data":{"resultType":"matrix","result":[]}}');
});
