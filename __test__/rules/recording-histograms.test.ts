// Recording rules over native histograms: the rule's result keeps its histograms and they are
// appended to the storage as histogram samples, so the recorded series can be queried as one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import { engineRuleDeps } from '../../src/rules/engine-deps.js';
import { RecordingRule } from '../../src/rules/recording.js';
import type { FloatHistogram } from '../../src/model/histogram.js';

const T0 = 1_700_000_000_000;
const H: FloatHistogram = { counterResetHint: 0, schema: 1, zeroThreshold: 0.001, zeroCount: 1, count: 6, sum: 3, positiveSpans: [{ offset: 0, length: 2 }], positiveBuckets: [2, 3], negativeSpans: [], negativeBuckets: [], customValues: [], isInteger: true };

test('a recording rule over a native histogram records a native histogram', async () => {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-rule-histograms-')));
  try {
    const refs = storage.seriesRefs([{ __name__: 'rpc_seconds', job: 'a' }]);
    storage.appendHistograms(refs, Float64Array.from([T0]), [H]);
    const engine = new Engine(storage);
    const deps = engineRuleDeps(storage, engine, 'http://localhost:9090');
    const rule = new RecordingRule({ record: 'job:rpc_seconds:copy', expr: 'rpc_seconds', labels: { recorded: 'yes' } });
    const { samples } = await rule.eval(T0 + 1000, deps.query, 0);
    assert.equal(samples.length, 1);
    assert.deepEqual(samples[0]!.h?.positiveBuckets, [2, 3]);
    deps.sink.append(samples.map((s) => ({ ...s, t: T0 + 1000 })));
    const r = engine.instantQuery('job:rpc_seconds:copy', T0 + 2000);
    assert.equal(r.resultType, 'vector');
    const got = (r.result as { metric: Record<string, string>; h?: FloatHistogram }[])[0]!;
    assert.deepEqual(got.metric, { __name__: 'job:rpc_seconds:copy', job: 'a', recorded: 'yes' });
    assert.deepEqual([got.h?.count, got.h?.sum, got.h?.positiveBuckets], [6, 3, [2, 3]]);
  } finally {
    storage.close();
  }
});
