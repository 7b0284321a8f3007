import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage, evalRangeSamples } from '../../src/storage/index.js';
import { decodeLabelSets, encodeLabelSets } from '../../src/storage/label-codec.js';
import type { Labels } from '../../src/model/labels.js';
import { countTurns } from '../helpers/event-loop.js';

function tempStorage(): Storage {
  return Storage.open(mkdtempSync(join(tmpdir(), 'promethium-storage-')));
}

test('label sets cross the boundary intact, UTF-8 included', () => {
  const sets: Labels[] = [{ __name__: 'a', job: 'x' }, {}, { label: 'ünïcödé ✓', other: '' }];
  assert.deepEqual(decodeLabelSets(encodeLabelSets(sets)), sets);
});

test('series created off the event loop get the refs created on it; the event loop turns while the sets are encoded', async () => {
  const s = tempStorage();
  const sets: Labels[] = Array.from({ length: 10_000 }, (_, i) => ({ __name__: 'made', i: String(i), text: i % 7 ? 'plain' : 'ünï' }));
  const turning = countTurns();
  const refs = await s.seriesRefsAsync(sets);
  const turns = turning.stop();
  assert.ok(turns >= 2, `the event loop ran ${turns} times while 10k sets were encoded and created`);
  assert.deepEqual([...s.seriesRefs(sets)], [...refs]);
  assert.equal(new Set(refs).size, sets.length);
  s.append(refs.subarray(7, 8), new Float64Array([1000]), new Float64Array([1]));
  assert.deepEqual(s.select([{ type: '=', name: 'i', value: '7' }], 0, 2000).labels, [{ __name__: 'made', i: '7', text: 'ünï' }]);
  s.close();
});

test('append through an appender, select with every matcher type', () => {
  const s = tempStorage();
  const app = s.appender();
  for (const [i, code] of ['200', '404', '500', '503'].entries()) {
    for (let k = 0; k < 10; k++) app.add({ __name__: 'http_requests_total', code, path: i % 2 ? '/a' : '/b' }, k * 15_000, k * (i + 1));
  }
  const r = app.commit();
  assert.equal(r.appended, 40);
  const sel = (m: Parameters<Storage['select']>[0]) => s.select(m, 0, 200_000).labels.map((l) => l.code);
  const name = { type: '=' as const, name: '__name__', value: 'http_requests_total' };
  assert.deepEqual(sel([name, { type: '=~', name: 'code', value: '5..' }]), ['500', '503']);
  assert.deepEqual(sel([name, { type: '!~', name: 'code', value: '5.*|404' }]), ['200']);
  assert.deepEqual(sel([name, { type: '!=', name: 'path', value: '/a' }]), ['200', '500']);
  assert.deepEqual(sel([name, { type: '=~', name: 'code', value: '200|404' }]), ['200', '404']);
  assert.deepEqual(sel([name, { type: '=~', name: 'missing', value: '.*' }]).length, 4, 'a regex matching "" matches series without the label');
  assert.deepEqual(sel([name, { type: '=~', name: 'missing', value: '.+' }]), []);
  assert.deepEqual(s.labelValues('code', [{ type: '=', name: 'path', value: '/a' }], 0, 200_000), ['404', '503']);
  assert.deepEqual(s.labelNames([], 0, 200_000), ['__name__', 'code', 'path']);
  s.close();
});

test('instant sampling and range functions in one call per selection', () => {
  const s = tempStorage();
  const refs = s.seriesRefs([{ __name__: 'c', i: '0' }, { __name__: 'c', i: '1' }]);
  for (let k = 0; k <= 40; k++) {
    s.append(refs, new Float64Array([k * 15_000, k * 15_000]), new Float64Array([k * 15, k * 30]));
  }
  const sel = s.select([{ type: '=', name: '__name__', value: 'c' }], 0, 600_000);
  const steps = { start: 300_000, end: 600_000, step: 150_000 };
  const inst = sel.instant(steps, 300_000);
  assert.deepEqual(Array.from(inst.values), [300, 450, 600, 600, 900, 1200]);
  const rate = sel.evalRange('rate', [], steps, 60_000);
  assert.deepEqual(Array.from(rate.values).map((x) => Math.round(x * 1e9) / 1e9), [1, 1, 1, 2, 2, 2]);
  const q = sel.evalRange('quantile_over_time', [0.5], steps, 60_000);
  assert.equal(q.values[0], 277.5);
  const csr = sel.samples();
  const again = evalRangeSamples('rate', [], csr, steps, 60_000);
  assert.deepEqual(Array.from(again.values), Array.from(rate.values));
  s.close();
});

test('bad input is refused with a clear error, and the storage keeps working', () => {
  const s = tempStorage();
  const refs = s.seriesRefs([{ __name__: 'x' }]);
  assert.throws(() => s.append(refs, new Float64Array([1, 2]), new Float64Array([1])), /differ in length/);
  assert.throws(() => s.append(refs, new Float64Array([1.5]), new Float64Array([1])), /not an integer/);
  assert.throws(() => s.seriesRefs([{ '': 'x' }]), /empty label name/);
  assert.throws(() => s.select([{ type: '=~', name: 'a', value: '(' }], 0, 1), /missing closing \)|parse|regex/i);
  const sel = s.select([{ type: '=', name: '__name__', value: 'x' }], 0, 10);
  assert.throws(() => sel.instant({ start: 10, end: 0, step: 1 }, 1), /end must not be before start/);
  assert.throws(() => sel.evalRange('no_such_fn', [], { start: 0, end: 0, step: 1 }, 1), /unknown range function/);
  assert.equal(s.append(refs, new Float64Array([5]), new Float64Array([1])).appended, 1);
  s.close();
  assert.throws(() => s.append(refs, new Float64Array([6]), new Float64Array([1])), /closed/);
});

test('a second process cannot open the same directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-lock-'));
  const s = Storage.open(dir);
  const script = `import { Storage } from ${JSON.stringify(new URL('../../src/storage/index.ts', import.meta.url).pathname)};
try { Storage.open(${JSON.stringify(dir)}); console.log('opened'); } catch (e) { console.log(e.code + ': ' + e.message); }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.match(r.stdout, /^ELOCKED: the data directory .* is in use by another process/);
  s.close();
  const r2 = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.match(r2.stdout, /^opened/);
});

test('compaction runs in the background and queries span head and blocks', async () => {
  const s = tempStorage();
  const refs = s.seriesRefs([{ __name__: 'g' }]);
  const H = 3_600_000;
  for (let t = 0; t < 5 * H; t += 60_000) s.append(refs, new Float64Array([t]), new Float64Array([t / 60_000]));
  await s.compact();
  const st = s.stats();
  assert.equal(st.blocks.length, 1);
  assert.equal(st.counters.compactions, 1);
  const all = s.select([{ type: '=', name: '__name__', value: 'g' }], 0, 5 * H).samples();
  assert.equal(all.t.length, 300);
  s.close();
});

test('startTime is where the data starts: the oldest block or the head, null when empty', async () => {
  const s = tempStorage();
  assert.equal(s.startTime(), null);
  const refs = s.seriesRefs([{ __name__: 'g' }]);
  const H = 3_600_000;
  for (let t = 7_000; t < 5 * H; t += 60_000) s.append(refs, new Float64Array([t]), new Float64Array([1]));
  assert.equal(s.startTime(), 7_000);
  // Cut into a block: the oldest sample is then in the block, whose range starts at its aligned
  // start (as Prometheus's DB.StartTime() reads block metas), no longer in the head.
  await s.compact();
  const st = s.stats();
  assert.equal(st.blocks.length, 1);
  assert.ok(st.minTime !== null && st.minTime > 7_000, 'the head starts later now');
  assert.equal(s.startTime(), st.blocks[0]!.minTime);
  assert.ok(st.blocks[0]!.minTime <= 7_000);
  s.close();
});
