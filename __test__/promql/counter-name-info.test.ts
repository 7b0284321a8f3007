// rate, increase and irate note each input name that does not end like a counter's, once per
// name of the selection; counter names and other functions note nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';

const info = (name: string) => `PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "${name}"`;

test('the non-counter info: one per name that is not a counter\'s, every such name, none for counters', () => {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-counter-info-')));
  const app = storage.appender();
  // Several series per name, and names of each kind on either side of the others.
  const names = ['req_total', 'temp', 'lat_bucket', 'queue', 'temp', 'req_total', 'queue', 'lat_sum', 'lat_count'];
  for (let t = 0; t <= 300_000; t += 15_000) names.forEach((n, i) => app.add({ __name__: n, i: String(i), job: i % 2 ? 'a' : 'b' }, t, t / 1000));
  app.commit();
  const engine = new Engine(storage);
  const selector = '{job=~"a|b"}';
  for (const fn of ['rate', 'increase', 'irate']) {
    const r = engine.instantQuery(`${fn}(${selector}[5m])`, 300_000);
    assert.deepEqual([...r.infos].sort(), [info('queue'), info('temp')], fn);
    const counters = engine.instantQuery(`${fn}({__name__=~"req_total|lat_.*"}[5m])`, 300_000);
    assert.deepEqual(counters.infos, [], `${fn} over counters`);
  }
  assert.deepEqual(engine.instantQuery(`delta(${selector}[5m])`, 300_000).infos, []);
  storage.close();
});
