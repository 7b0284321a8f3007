// The OpenMetrics parser suite (shared/conformance/openmetrics/parsers): every valid input is
// accepted and every invalid one refused with an error naming its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceDir } from '../helpers/conformance.js';
import { parseOpenMetrics, ExpositionError } from '../../src/exposition/index.js';

const dir = conformanceDir('openmetrics/parsers');

/** Invalid inputs we accept because Prometheus's own OpenMetrics parser accepts them. */
const ACCEPTED_AS_PROMETHEUS_DOES = new Map([
  ['bad_counter_values_17', 'a negative summary _sum: OpenMetrics 1.0 requires it non-negative, but summaries of negative observations have one and Prometheus accepts it (its own test data, alltypes.5mfs.om.txt, has rpc_durations_seconds_sum -8.45e-05)'],
  ['bad_counter_values_19', 'a negative summary quantile value: same reason, Prometheus accepts it (alltypes.5mfs.om.txt has a quantile of -5.07e-06)'],
  ['bad_histograms_3', 'a histogram with negative buckets that also exposes _sum: OpenMetrics 1.0 forbids it, Prometheus accepts it (its own test data, model/textparse/testdata/alltypes.5mfs.om.txt, has one)'],
]);

test('OpenMetrics parser suite: 44 valid and 167 invalid inputs', () => {
  const wrong: string[] = [];
  let valid = 0;
  let invalid = 0;
  for (const name of readdirSync(dir).sort()) {
    const spec = JSON.parse(readFileSync(join(dir, name, 'test.json'), 'utf8')) as { shouldParse: boolean };
    const body = readFileSync(join(dir, name, 'metrics'), 'utf8');
    let error: unknown;
    try {
      for (const s of parseOpenMetrics(body)) void s;
    } catch (e) {
      error = e;
    }
    if (spec.shouldParse) {
      valid++;
      if (error) wrong.push(`${name}: valid input refused: ${(error as Error).message}`);
    } else {
      invalid++;
      if (ACCEPTED_AS_PROMETHEUS_DOES.has(name)) {
        if (error) wrong.push(`${name} is listed as accepted like Prometheus, but was refused: update the list`);
        else console.log(`openmetrics conformance: ${name} accepted as Prometheus does: ${ACCEPTED_AS_PROMETHEUS_DOES.get(name)}`);
      } else if (!error) wrong.push(`${name}: invalid input accepted`);
      else if (!(error instanceof ExpositionError) || !/^line \d+: /.test(error.message)) wrong.push(`${name}: error does not name the line: ${String(error)}`);
    }
  }
  console.log(`openmetrics conformance: ${valid} valid, ${invalid} invalid inputs, ${wrong.length} wrong`);
  assert.equal(valid + invalid, 211);
  assert.deepEqual(wrong, []);
});

test('values of small valid inputs, checked by hand against the specification', () => {
  const read = (name: string) => [...parseOpenMetrics(readFileSync(join(dir, name, 'metrics'), 'utf8'))];
  assert.deepEqual(read('simple_counter'), [{ series: 'a_total', value: 1 }]);
  assert.deepEqual(read('counter_exemplars'), [{ series: 'a_total', value: 0, timestamp: 123_000 }]);
  assert.deepEqual(
    read('simple_histogram').map((s) => [s.series, s.value]),
    [
      ['a_bucket{le="1.0"}', 0],
      ['a_bucket{le="+Inf"}', 3],
      ['a_count', 3],
      ['a_sum', 2],
    ],
  );
  assert.deepEqual(read('uint64_counter'), [{ series: 'a_total', value: 9223372036854775808 }]);
  assert.ok(Number.isNaN(read('nan')[0]!.value));
  assert.deepEqual(read('labels_and_infinite').map((s) => s.value), [Infinity, -Infinity]);
  // OpenMetrics timestamps are seconds (floats allowed); we keep milliseconds.
  assert.deepEqual(read('timestamps').map((s) => s.timestamp), [0, 0, 1100, Math.round(12345678901234567890.123456789 * 1000), 1_500_000, 1_234_567_890_000]);
  assert.deepEqual(read('escaping').map((s) => s.series)[1], 'a_total{foo="b\\\\a\\z"}');
});
