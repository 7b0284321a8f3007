// Label names `__proto__` and `constructor` are ordinary labels everywhere the evaluator builds or
// copies label sets (issue 16 follow-up): on a plain `{}` the first would set the prototype and be
// lost, the second would read Object.prototype.constructor when absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import type { QueryResult } from '../../src/promql/index.js';
import { parseSeriesDesc } from '../../src/promql/series-notation.js';
import { labelValue, newLabels, setLabel } from '../../src/model/labels.js';
import type { Labels } from '../../src/model/labels.js';

function labels(pairs: Record<string, string>, proto?: string): Labels {
  const l = newLabels();
  for (const [k, v] of Object.entries(pairs)) setLabel(l, k, v);
  if (proto !== undefined) setLabel(l, '__proto__', proto);
  return l;
}

function fixture(): { storage: Storage; engine: Engine } {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-proto-labels-')));
  const app = storage.appender();
  for (let t = 0; t <= 60_000; t += 15_000) {
    app.add(labels({ __name__: 'm', constructor: 'c', job: 'j' }, 'p'), t, -2);
    app.add(labels({ __name__: 'plain', job: 'j' }), t, 3);
    app.add(labels({ __name__: 'info_like', job: 'j' }, 'q'), t, 1);
    app.add(labels({ __name__: 'target_info', job: 'j', instance: 'i', constructor: 'c' }, 'p'), t, 1);
    app.add(labels({ __name__: 'base', job: 'j', instance: 'i' }), t, 1);
  }
  app.commit();
  return { storage, engine: new Engine(storage) };
}

/** The metrics of an instant vector result, as [own __proto__, own constructor] pairs. */
function protoAndConstructor(r: QueryResult): [string | undefined, string | undefined][] {
  assert.equal(r.resultType, 'vector');
  if (r.resultType !== 'vector') return [];
  return r.result.map((s) => [labelValue(s.metric, '__proto__'), labelValue(s.metric, 'constructor')]);
}

test('__proto__ and constructor labels survive aggregation, operators and functions', () => {
  const { storage, engine } = fixture();
  const at = 60_000;
  try {
    assert.deepEqual(protoAndConstructor(engine.instantQuery('sum by (__proto__) (m)', at)), [['p', undefined]]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('sum by (constructor) (plain)', at)), [[undefined, undefined]]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('sum without (job) (m)', at)), [['p', 'c']]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('m + 1', at)), [['p', 'c']]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('abs(m)', at)), [['p', 'c']]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('m * on (__proto__) group_left (job) m', at)), [['p', 'c']]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('plain * on (job) group_left (__proto__) info_like', at)), [['q', undefined]]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('plain * on (constructor) group_left plain', at)), [[undefined, undefined]]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('label_replace(plain, "__proto__", "x$1", "job", "(.*)")', at)), [['xj', undefined]]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('label_join(plain, "__proto__", "-", "job", "job")', at)), [['j-j', undefined]]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('absent(nothing{__proto__="q"})', at)), [['q', undefined]]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('absent_over_time(nothing{__proto__="q"}[1m])', at)), [['q', undefined]]);
    assert.deepEqual(protoAndConstructor(engine.instantQuery('info(base)', at)), [['p', 'c']]);
    const range = engine.rangeQuery('m + 1', 0, at, 15_000);
    assert.ok(range.resultType === 'matrix');
    assert.deepEqual(range.result.map((s) => labelValue(s.metric, '__proto__')), ['p']);
  } finally {
    storage.close();
  }
});

test('series notation (test loading) keeps a __proto__ label', () => {
  const l = parseSeriesDesc('m{__proto__="p", constructor="c"}');
  assert.equal(labelValue(l, '__proto__'), 'p');
  assert.equal(labelValue(l, 'constructor'), 'c');
  assert.deepEqual(Object.keys(l).sort(), ['__name__', '__proto__', 'constructor']);
});
