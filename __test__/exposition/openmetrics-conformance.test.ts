// The OpenMetrics parser suite (shared/conformance/openmetrics/parsers): every valid input is
// accepted and every invalid one refused with an error naming its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceDir } from '../helpers/conformance.js';
import { parseOpenMetrics, ExpositionError } from '../../src/exposition/index.js';

const dir = conformanceDir('openmetrics/parsers');

/**
 * What Debian's Prometheus 2.42 does with each case, recorded by scraping every case from a
 * local server with the OpenMetrics content type and reading /api/v1/targets (health and
 * lastError). Of the 167 invalid inputs it accepts 71: it checks syntax, not the specification's
 * whole-exposition rules (values, histogram structure, grouping, metadata placement).
 */
const prometheus = JSON.parse(readFileSync(new URL('./prometheus-2.42-openmetrics-acceptance.json', import.meta.url), 'utf8')) as Record<string, { accepted: boolean; error: string }>;

function outcome(body: string, strict: boolean): unknown {
  try {
    for (const s of parseOpenMetrics(body, undefined, { strict })) void s;
  } catch (e) {
    return e;
  }
  return undefined;
}

test('OpenMetrics suite, strict mode: every valid input accepted, every invalid one refused with its line', () => {
  const wrong: string[] = [];
  let valid = 0;
  let invalid = 0;
  for (const name of readdirSync(dir).sort()) {
    const spec = JSON.parse(readFileSync(join(dir, name, 'test.json'), 'utf8')) as { shouldParse: boolean };
    const error = outcome(readFileSync(join(dir, name, 'metrics'), 'utf8'), true);
    if (spec.shouldParse) {
      valid++;
      if (error) wrong.push(`${name}: valid input refused: ${(error as Error).message}`);
    } else {
      invalid++;
      if (!error) wrong.push(`${name}: invalid input accepted`);
      else if (!(error instanceof ExpositionError) || !/^line \d+: /.test(error.message)) wrong.push(`${name}: error does not name the line: ${String(error)}`);
    }
  }
  console.log(`openmetrics conformance (strict): ${valid} valid and ${invalid} invalid inputs, ${wrong.length} wrong`);
  assert.equal(valid + invalid, 211);
  assert.deepEqual(wrong, []);
});

test('OpenMetrics suite, scrape mode: accepts exactly what Prometheus 2.42 accepts', () => {
  const wrong: string[] = [];
  const acceptedInvalid: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const spec = JSON.parse(readFileSync(join(dir, name, 'test.json'), 'utf8')) as { shouldParse: boolean };
    const error = outcome(readFileSync(join(dir, name, 'metrics'), 'utf8'), false);
    const want = prometheus[name];
    assert.ok(want, `no recorded Prometheus outcome for ${name}`);
    if ((error === undefined) !== want.accepted) wrong.push(`${name}: Prometheus ${want.accepted ? 'accepts' : `refuses (${want.error})`}, we ${error ? `refuse (${(error as Error).message})` : 'accept'}`);
    if (!spec.shouldParse && want.accepted) acceptedInvalid.push(name);
  }
  console.log(`openmetrics conformance (scrape mode): ${acceptedInvalid.length} invalid inputs accepted as Prometheus 2.42 does: ${acceptedInvalid.join(' ')}`);
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
  // OpenMetrics timestamps are seconds (floats allowed); we keep milliseconds. Scraping, they are
  // read as Prometheus 2.42 reads them: int64(seconds * 1000), which for a time beyond the int64
  // range of milliseconds is the smallest int64 (Go on amd64), a sample the storage then refuses.
  assert.deepEqual(read('timestamps').map((s) => s.timestamp), [0, 0, 1100, -(2 ** 63), 1_500_000, 1_234_567_890_000]);
  assert.deepEqual([...parseOpenMetrics(readFileSync(join(dir, 'timestamps', 'metrics'), 'utf8'), undefined, { strict: true })].map((s) => s.timestamp), [0, 0, 1100, Math.round(12345678901234567890.123456789 * 1000), 1_500_000, 1_234_567_890_000]);
  assert.deepEqual(read('escaping').map((s) => s.series)[1], 'a_total{foo="b\\\\a\\z"}');
});

test('start timestamps: _created values go to the samples of their group, and are not samples themselves', () => {
  const body = [
    '# TYPE c counter',
    'c_created{a="1"} 100.5',
    'c_total{a="1"} 3',
    'c_total{a="2"} 4',
    'c_created{a="2"} 200',
    '# TYPE s summary',
    's{quantile="0.5"} 1',
    's_count 2',
    's_sum 3',
    's_created 300',
    '# TYPE h histogram',
    'h_bucket{le="+Inf"} 1',
    'h_count 1',
    'h_sum 1',
    '# TYPE g gauge',
    'g 7',
    '# EOF',
    '',
  ].join('\n');
  const got = [...parseOpenMetrics(body, undefined, { startTimestamps: true })].map((s) => [s.series, s.value, s.start]);
  assert.deepEqual(got, [
    ['c_total{a="1"}', 3, 100_500],
    ['c_total{a="2"}', 4, 200_000],
    ['s{quantile="0.5"}', 1, 300_000],
    ['s_count', 2, 300_000],
    ['s_sum', 3, 300_000],
    ['h_bucket{le="+Inf"}', 1, undefined],
    ['h_count', 1, undefined],
    ['h_sum', 1, undefined],
    ['g', 7, undefined],
  ]);
  // Without the option _created lines are ordinary samples.
  assert.equal([...parseOpenMetrics(body)].filter((s) => s.series.includes('_created')).length, 3);
});

test('exemplars are handed out with their sample when asked for', () => {
  const body = '# TYPE c counter\nc_total 3 # {trace_id="abc",span="x"} 1.5 1700000000.25\n# TYPE h histogram\nh_bucket{le="+Inf"} 1 # {trace_id="d"} -2\nh_count 1\nh_sum 1\n# EOF\n';
  // Exemplar label sets have no prototype (their names are the target's): compared by entries.
  const got = [...parseOpenMetrics(body, undefined, { exemplars: true })].map((s) => [s.series, s.exemplar && { ...s.exemplar, labels: { ...s.exemplar.labels } }]);
  assert.deepEqual(got, [
    ['c_total', { labels: { trace_id: 'abc', span: 'x' }, value: 1.5, timestamp: 1_700_000_000_250 }],
    ['h_bucket{le="+Inf"}', { labels: { trace_id: 'd' }, value: -2 }],
    ['h_count', undefined],
    ['h_sum', undefined],
  ]);
  assert.equal([...parseOpenMetrics(body)][0]!.exemplar, undefined, 'not kept unless asked for');
});

test('start timestamps: a _created that is not a finite time gives none', () => {
  const body = '# TYPE c counter\nc_total 3\nc_created NaN\n# TYPE d counter\nd_total 1\nd_created +Inf\n# EOF\n';
  assert.deepEqual([...parseOpenMetrics(body, undefined, { startTimestamps: true })].map((s) => [s.series, s.start]), [['c_total', undefined], ['d_total', undefined]]);
});
