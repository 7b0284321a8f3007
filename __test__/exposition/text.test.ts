import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceDir } from '../helpers/conformance.js';
import { parseText, parseSeriesText, parseOpenMetrics, ExpositionCodecImpl } from '../../src/exposition/index.js';
import type { MetricMetadata } from '../../src/exposition/index.js';

test('text format 0.0.4: values, timestamps, escapes, metadata', () => {
  const meta = new Map<string, MetricMetadata>();
  const body = [
    '# HELP http_requests_total The total number of HTTP requests.',
    '# TYPE http_requests_total counter',
    'http_requests_total{method="post",code="200"} 1027 1395066363000',
    'http_requests_total{method="post",code="400"}    3 1395066363000',
    '',
    '# A comment that is ignored',
    'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
    'metric_without_timestamp_and_labels 12.47',
    // The format's documentation writes this line with a negative timestamp (-3982045), which
    // Prometheus 2.42 refuses (its lexer takes digits only): see the test of malformed text.
    'something_weird{problem="division by zero"} +Inf 3982045',
    'nan_value NaN',
    '{"my.dotted.metric", "le"="0.5"} 3',
  ].join('\n');
  const samples = [...parseText(body, meta)];
  assert.equal(samples.length, 7);
  assert.deepEqual(samples[0], { series: 'http_requests_total{method="post",code="200"}', value: 1027, timestamp: 1395066363000 });
  assert.equal(samples[1]!.value, 3);
  assert.deepEqual({ ...parseSeriesText(samples[2]!.series) }, { __name__: 'msdos_file_access_time_seconds', path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
  assert.equal(samples[2]!.value, 1.458255915e9);
  assert.deepEqual(samples[4], { series: 'something_weird{problem="division by zero"}', value: Infinity, timestamp: 3982045 });
  assert.ok(Number.isNaN(samples[5]!.value));
  assert.deepEqual({ ...parseSeriesText(samples[6]!.series) }, { __name__: 'my.dotted.metric', le: '0.5' });
  assert.deepEqual(meta.get('http_requests_total'), { type: 'counter', help: 'The total number of HTTP requests.', unit: '' });
});

test('malformed text is refused with the line', () => {
  assert.throws(() => [...parseText('ok 1\nbad{a="b" 1\n')], /^ExpositionError: line 2: /);
  assert.throws(() => [...parseText('x 1 2 3\n')], /line 1: unexpected "3"/);
  assert.throws(() => [...parseText('x abc\n')], /line 1: invalid value "abc"/);
  assert.throws(() => [...parseText('x{a="1",a="2"} 1\n')], /duplicate label name "a"/);
  assert.throws(() => [...parseText('# TYPE x foo\n')], /invalid metric type "foo"/);
  assert.throws(() => [...parseText('x 1 1.5\n')], /invalid timestamp/);
  assert.throws(() => [...parseText('something_weird{problem="division by zero"} +Inf -3982045\n')], /line 1: invalid timestamp "-3982045"/);
});

test('realistic expositions parse (Prometheus textparse test data)', () => {
  const dir = conformanceDir('openmetrics/prometheus-textparse');
  const count = (name: string, om: boolean): number => {
    const body = readFileSync(join(dir, name), 'utf8');
    // Scrape mode: alltypes.5mfs.om.txt has summaries with negative sums, which the
    // specification forbids and Prometheus accepts.
    return [...(om ? parseOpenMetrics(body) : parseText(body))].length;
  };
  const withMeta = count('alltypes.237mfs.prom.txt', false);
  assert.ok(withMeta > 1000, String(withMeta));
  assert.equal(count('alltypes.237mfs.nometa.prom.txt', false), withMeta, 'the same samples without metadata');
  assert.ok(count('alltypes.5mfs.om.txt', true) > 10);
  assert.ok(count('1histogram.om.txt', true) > 3);
});

test('the codec picks the parser from the content type', () => {
  const codec = new ExpositionCodecImpl();
  assert.throws(() => [...codec.parse('a 1\n', 'application/openmetrics-text; version=1.0.0; charset=utf-8')], /does not end with # EOF/);
  assert.deepEqual([...codec.parse('a 1\n', 'text/plain; version=0.0.4')], [{ series: 'a', value: 1 }]);
});

test('the known-series fast path gives what the full parser gives, and still refuses bad values', () => {
  const body = '# TYPE a counter\na{x="1",y="q\\"}"} 1.5\na{x="2"}\t2e3\nb 7 1700000000000\nc +Inf\nd -0.25\ne 12345678901234567890\nf 0042\ng 3.5e2\n';
  const full = [...parseText(body)];
  const known = new Map(full.map((s, i) => [s.series, i]));
  const lookups: string[] = [];
  const fast = [...parseText(body, undefined, { knownSeries: (s) => (lookups.push(s), known.get(s)) })];
  assert.deepEqual(fast.map(({ series, value, timestamp }) => ({ series, value, timestamp })), full.map(({ series, value, timestamp }) => ({ series, value, timestamp })));
  // Lines with a known series and a plain value carry the looked-up entry.
  assert.equal(fast.find((s) => s.series === 'a{x="1",y="q\\"}"}')?.cached, known.get('a{x="1",y="q\\"}"}'));
  assert.equal(fast.find((s) => s.series === 'd')?.cached, known.get('d'));
  // A known series does not make a bad value acceptable.
  assert.throws(() => [...parseText('a{x="2"} 1.2.3\n', undefined, { knownSeries: () => 0 })], /line 1: invalid value "1\.2\.3"/);
  assert.throws(() => [...parseText('a{x="2"} 1 2 3\n', undefined, { knownSeries: () => 0 })], /line 1: unexpected "3"/);
  // Nor a \r\n line end, which Prometheus refuses (the \r is part of the value).
  assert.throws(() => [...parseText('a{x="2"} 1\r\n', undefined, { knownSeries: () => 0 })], /line 1: invalid value "1\\r"/);
});

test("the previous scrape's order lets lines be matched in place, and a change of order or text falls back", () => {
  const first = 'a{x="1"} 1\na{x="2"} 2\nup 1\n';
  const full = [...parseText(first)];
  const lookups: string[] = [];
  const entries = full.map((s, i) => ({ id: i, series: s.series }));
  const known = (s: string): { id: number; series: string } | undefined => (lookups.push(s), entries.find((e) => e.series === s));
  const previous = { series: full.map((s) => s.series), cached: entries };
  // Same order: no lookups, the previous entries come back.
  const same = [...parseText('a{x="1"} 10\na{x="2"} 20\nup 0\n', undefined, { knownSeries: known, previous })];
  assert.deepEqual(same.map((s) => [s.series, s.value, s.cached?.id]), [['a{x="1"}', 10, 0], ['a{x="2"}', 20, 1], ['up', 0, 2]]);
  assert.deepEqual(lookups, []);
  // Swapped lines, a longer name with the same prefix, a new series: looked up or fully parsed.
  const moved = [...parseText('a{x="2"} 5\nup_total 3\na{x="1"} 6\nup 1\n', undefined, { knownSeries: known, previous })];
  assert.deepEqual(moved.map((s) => [s.series, s.value, s.cached?.id]), [['a{x="2"}', 5, 1], ['up_total', 3, undefined], ['a{x="1"}', 6, 0], ['up', 1, 2]]);
  assert.deepEqual(lookups, ['a{x="2"}', 'up_total', 'a{x="1"}', 'up']);
});
