// The UI's pure helpers: SI axis labels, sub-millisecond durations, UTC times, WCAG contrast, the
// graph's time tick labels and the Explain tree built from the editor's grammar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contrastRatio, formatEvalDuration, formatSI, formatSITicks, formatUtcTime, parseColor } from '../../src/web/ui/format.js';
import { explainTree, summarizeResult, type ExplainNode } from '../../src/web/ui/explain.js';

test('formatSI: short SI values as Prometheus 3 writes axis labels', () => {
  const cases: [number, string][] = [
    [150_000_000, '150M'],
    [1500, '1.5k'],
    [0.5, '500m'],
    [0, '0'],
    [1, '1'],
    [999, '999'],
    [-2500, '-2.5k'],
    [0.000_012, '12µ'],
    [1.234e9, '1.23G'],
    [999_999, '1M'],
    [123_456_789, '123M'],
    [1e30, '1e+30'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
  ];
  for (const [v, want] of cases) assert.equal(formatSI(v), want, String(v));
});

test('formatSITicks: as many digits as neighbouring ticks need to differ', () => {
  assert.deepEqual(formatSITicks([1000, 1500, 2000]), ['1k', '1.5k', '2k']);
  assert.deepEqual(formatSITicks([1_001_000, 1_002_000, 1_003_000]), ['1.001M', '1.002M', '1.003M']);
  assert.deepEqual(formatSITicks([0, 0.2, 0.4]), ['0', '200m', '400m']);
});

test('formatEvalDuration: sub-millisecond granularity, never 0.0ms for real work', () => {
  assert.equal(formatEvalDuration(0.000_312), '312µs');
  assert.equal(formatEvalDuration(0.000_04), '40µs');
  assert.equal(formatEvalDuration(0.001_234_6), '1.235ms');
  assert.equal(formatEvalDuration(2.5), '2.5s');
  assert.equal(formatEvalDuration(0), '0s');
  assert.equal(formatEvalDuration(-1), '-');
});

test('formatUtcTime, parseColor and the WCAG contrast ratio', () => {
  assert.equal(formatUtcTime(Date.UTC(2026, 11, 2, 6, 4, 5)), '2026-12-02 06:04:05');
  assert.deepEqual(parseColor('#fff'), [255, 255, 255]);
  assert.deepEqual(parseColor('#1d2330'), [29, 35, 48]);
  assert.deepEqual(parseColor('rgb(28, 32, 39)'), [28, 32, 39]);
  assert.equal(parseColor('var(--fg)'), undefined);
  assert.equal(contrastRatio([0, 0, 0], [255, 255, 255]).toFixed(1), '21.0');
  assert.equal(contrastRatio([255, 255, 255], [255, 255, 255]), 1);
  // The light theme's old axis grey on white, the "almost invisible" labels, fails AA.
  assert.ok(contrastRatio(parseColor('#eceef2')!, [255, 255, 255]) < 4.5);
});

function shape(n: ExplainNode): unknown {
  return n.children.length === 0 ? `${n.kind} ${n.text}` : { [`${n.kind} ${n.head}`]: n.children.map(shape) };
}

test('explainTree: the query as a tree of expressions, each with its text, head and explanation', () => {
  const tree = explainTree('sum by (job) (rate(http_requests_total{code="500"}[5m])) / on(job) group_left count(up) > bool 0.1');
  assert.deepEqual(shape(tree), {
    'BinaryExpr … > bool …': [
      {
        'BinaryExpr … / on(job) group_left …': [
          { 'AggregateExpr sum by (job)': [{ 'FunctionCall rate(…)': ['MatrixSelector http_requests_total{code="500"}[5m]'] }] },
          { 'AggregateExpr count': ['VectorSelector up'] },
        ],
      },
      'NumberDurationLiteral 0.1',
    ],
  });
  const sum = (tree.children[0]!.children[0]!);
  assert.equal(sum.text, 'sum by (job) (rate(http_requests_total{code="500"}[5m]))');
  assert.match(sum.explanation, /^Sums the input series per distinct value of job/);
  assert.match(sum.children[0]!.explanation, /per-second average rate/);
  assert.match(sum.children[0]!.children[0]!.explanation, /last 5m/);
  assert.match(tree.explanation, /1 where true, 0 where false/);
  assert.match(explainTree('a offset 5m').explanation, /5m earlier/);
  assert.match(explainTree('max_over_time(up[10m:1m])').children[0]!.explanation, /every 1m over the last 10m/);
  assert.throws(() => explainTree('sum(rate(x[5m])'), /does not parse \(at character \d+\)/);
  assert.throws(() => explainTree(''), /empty query/);
});

test('summarizeResult: the count and the label names with their distinct values', () => {
  assert.equal(summarizeResult({ resultType: 'vector', result: [{ metric: { __name__: 'up', job: 'a', instance: 'x' } }, { metric: { __name__: 'up', job: 'a', instance: 'y' } }] }), '2 series · labels: instance (2), job (1)');
  assert.equal(summarizeResult({ resultType: 'matrix', result: [{ metric: {} }] }), '1 range series');
  assert.equal(summarizeResult({ resultType: 'scalar', result: [1, '3'] }), 'scalar: 3');
});
