// The remote_read merge: series of several sources by label set, samples deduplicated by
// timestamp; a merged selection samples and evaluates like a native one over the same samples;
// the dry run records selections; which selections go to a remote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { MaterializedSelection, MergedQueryable, mergeSeries, SelectRecorder } from '../../src/remote/read/merge.js';
import { RemoteReadClient } from '../../src/remote/read/client.js';
import { parseConfig } from '../../src/config/index.js';
import { STALE_NAN } from '../../src/scrape/loop.js';
import { csr } from './csr.js';

test('series merge by label set, sorted as Prometheus sorts; equal timestamps keep the first source', () => {
  const local = { labels: [{ __name__: 'a', x: '1' }], samples: csr([[[10, 1], [20, 2]]]) };
  const remote = { labels: [{ __name__: 'a' }, { __name__: 'a', x: '1' }] as Record<string, string>[], samples: csr([[[5, 0]], [[5, 9], [20, 99], [30, 3]]]) };
  const m = mergeSeries([local, remote]);
  assert.deepEqual(m.labels, [{ __name__: 'a' }, { __name__: 'a', x: '1' }]);
  assert.deepEqual([...m.samples.offsets], [0, 1, 5]);
  assert.deepEqual([...m.samples.t], [5, 5, 10, 20, 30]);
  assert.deepEqual([...m.samples.v], [0, 9, 1, 2, 3]);
});

test('a merged selection answers instant sampling and range functions as the native selection of the same samples', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-merge-'));
  const storage = Storage.open(dir);
  t.after(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const app = storage.appender();
  const samples: [number, number][] = [];
  // A stale marker at i = 30 and a gap until i = 40: the series ends there, then comes back.
  // (The marker goes straight to the appender: a NaN kept in a JS array may lose its payload.)
  for (let i = 0; i < 50; i++) if (i <= 30 || i >= 40) samples.push([1000 + i * 15_000 + (i % 3) * 700, i * i]);
  for (const [ts, v] of samples) app.add({ __name__: 'm', k: 'v' }, ts, ts === samples[30]![0] ? STALE_NAN : v);
  app.commit();
  const native = storage.select([{ type: '=', name: '__name__', value: 'm' }], 0, 10_000_000);
  assert.equal(native.samples().t.length, samples.length - 1, 'stale markers are left out by default');
  assert.equal(native.samples(true).t.length, samples.length);
  const mat = new MaterializedSelection(native.labels, native.samples(true));
  assert.deepEqual(mat.samples(), native.samples());
  const steps = { start: 0, end: 800_000, step: 10_000 };
  const instant = native.instant(steps, 300_000);
  assert.deepEqual(mat.instant(steps, 300_000), instant);
  // After the stale marker the series has no value though the lookback still covers older samples.
  assert.equal(instant.present[47], 0);
  assert.equal(instant.present[44], 1);
  assert.deepEqual(mat.instant(steps, 60_000), native.instant(steps, 60_000));
  for (const fn of ['rate', 'max_over_time', 'count_over_time', 'absent_over_time']) assert.deepEqual(mat.evalRange(fn, [], steps, 120_000), native.evalRange(fn, [], steps, 120_000), fn);
  // The extended range selectors' modifiers (promql-extended-range-selectors) too.
  assert.deepEqual(mat.instant(steps, 60_000, 'smoothed'), native.instant(steps, 60_000, 'smoothed'));
  for (const modifier of ['anchored', 'smoothed'] as const) {
    assert.ok(native.evalRange('rate', [], steps, 120_000, { modifier, lookbackMs: 300_000 }).present.includes(1), `${modifier} gives values`);
    for (const fn of ['rate', 'increase', 'delta']) assert.deepEqual(mat.evalRange(fn, [], steps, 120_000, { modifier, lookbackMs: 300_000 }), native.evalRange(fn, [], steps, 120_000, { modifier, lookbackMs: 300_000 }), `${fn} ${modifier}`);
  }
  // Without remote series for a selection, the local selection itself is returned.
  const merged = new MergedQueryable(storage, new Map());
  assert.equal(merged.select([{ type: '=', name: '__name__', value: 'm' }], 0, 10).constructor.name, 'Selection');
});

test('the dry run records each distinct selection and returns empty ones', () => {
  const r = new SelectRecorder();
  const m = [{ type: '=' as const, name: '__name__', value: 'x' }];
  assert.equal(r.select(m, 1, 2).length, 0);
  r.select(m, 1, 2);
  r.select(m, 0, 2);
  assert.deepEqual([...r.requests.values()].map((q) => [q.mint, q.maxt]), [[1, 2], [0, 2]]);
});

test('required_matchers and read_recent decide which selections go to a remote', () => {
  const cfg = parseConfig('remote_read:\n  - url: http://127.0.0.1:1/api/v1/read\n    required_matchers:\n      job: a\n', 'x.yml');
  assert.deepEqual(cfg.warnings, []);
  const c = new RemoteReadClient(cfg.remoteRead[0]!, {});
  assert.equal(cfg.remoteRead[0]!.remoteTimeoutMs, 60_000);
  assert.equal(cfg.remoteRead[0]!.filterExternalLabels, true);
  const job = { type: '=' as const, name: 'job', value: 'a' };
  // read_recent is false: only selections starting before the local data.
  assert.equal(c.wants({ matchers: [job], mint: 100, maxt: 200 }, 150), true);
  assert.equal(c.wants({ matchers: [job], mint: 150, maxt: 200 }, 150), false);
  assert.equal(c.wants({ matchers: [job], mint: 150, maxt: 200 }, null), true);
  assert.equal(c.wants({ matchers: [{ ...job, type: '=~' }], mint: 0, maxt: 1 }, null), false);
  assert.equal(c.wants({ matchers: [{ ...job, value: 'b' }], mint: 0, maxt: 1 }, null), false);
});

test('a stale marker survives the merge of two sources of one series and ends it at an instant', () => {
  const local = csr([[[10_000, 1], [40_000, 0]]]);
  local.v[1] = STALE_NAN;
  const remote = csr([[[20_000, 2], [30_000, 3]]]);
  const m = mergeSeries([{ labels: [{ __name__: 'a' }], samples: local }, { labels: [{ __name__: 'a' }], samples: remote }]);
  assert.deepEqual([...m.samples.t], [10_000, 20_000, 30_000, 40_000]);
  assert.equal(new BigUint64Array(m.samples.v.buffer)[3], 0x7ff0000000000002n);
  const sel = new MaterializedSelection(m.labels, m.samples);
  assert.deepEqual([...sel.instant({ start: 35_000, end: 45_000, step: 10_000 }, 300_000).present], [1, 0]);
  assert.deepEqual([...sel.samples().t], [10_000, 20_000, 30_000]);
});
