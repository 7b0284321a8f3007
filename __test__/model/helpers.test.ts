// The data-model helpers several rooms share: what each caller's syntax accepts must stay as it was
// when they had their own copies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLooseDuration, parsePromDuration } from '../../src/model/duration.js';
import { formatGoFloat, formatJsonValue, formatValue } from '../../src/model/float.js';
import { isValidLabelName } from '../../src/model/labels.js';

test('Prometheus durations: decreasing units, each once, a bare 0; errors name the text', () => {
  assert.equal(parsePromDuration('1h30m'), 5_400_000);
  assert.equal(parsePromDuration('1y2w3d4h5m6s7ms'), 31536000000 + 2 * 604800000 + 3 * 86400000 + 4 * 3600000 + 5 * 60000 + 6000 + 7);
  assert.equal(parsePromDuration('0'), 0);
  for (const bad of ['', '1m1m', '1s1h', '5x', '1.5h', '-1m', 'ms']) assert.throws(() => parsePromDuration(bad), { message: `not a valid duration string: ${JSON.stringify(bad)}` });
});

test('loose durations (target labels, UI range): any order and repeats summed, no bare 0', () => {
  assert.equal(parseLooseDuration('1h30m'), 5_400_000);
  assert.equal(parseLooseDuration('1m1m'), 120_000);
  assert.equal(parseLooseDuration('1s1h'), 3_601_000);
  for (const bad of ['', '0', '5x', '1m ', '1.5h']) assert.equal(parseLooseDuration(bad), undefined, bad);
});

test("Go's 'f' float text: never an exponent, -0 kept, non-finite spelled as Prometheus does", () => {
  assert.equal(formatGoFloat(1e21), '1000000000000000000000');
  assert.equal(formatGoFloat(1.5e-7), '0.00000015');
  assert.equal(formatGoFloat(-1.25e22), '-12500000000000000000000');
  assert.equal(formatGoFloat(-0), '-0');
  assert.equal(formatGoFloat(0.1), '0.1');
  assert.deepEqual([NaN, Infinity, -Infinity, 42].map(formatValue), ['NaN', '+Inf', '-Inf', '42']);
});

test("sample values as Prometheus 2.42's HTTP API writes them (vector(x) queried on the real server)", () => {
  const seen: [number, string][] = [
    [2.5e-7, '2.5e-07'], [1e22, '1e+22'], [1e21, '1e+21'], [9.99e20, '999000000000000000000'], [1e-6, '0.000001'],
    [9.9e-7, '9.9e-07'], [-0, '-0'], [123e-300, '1.23e-298'], [0.1, '0.1'], [1e100, '1e+100'], [0, '0'], [-3.5e-9, '-3.5e-09'],
  ];
  for (const [v, text] of seen) assert.equal(formatJsonValue(v), text, String(v));
  assert.deepEqual([NaN, Infinity, -Infinity].map(formatJsonValue), ['NaN', '+Inf', '-Inf']);
});

test('UTF-8 label names: non-empty and no lone surrogates', () => {
  assert.equal(isValidLabelName('job'), true);
  assert.equal(isValidLabelName('ünïcode.name with space'), true);
  assert.equal(isValidLabelName(''), false);
  assert.equal(isValidLabelName('a\ud800'), false);
});
