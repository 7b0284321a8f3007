// A selection's label sets cross from the addon as a table of distinct strings plus per-set ids
// (crates/tsdb-node/src/selection_labels.rs): what comes back must be exactly what was stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { compareLabels } from '../../src/promql/context.js';
import type { Labels } from '../../src/model/labels.js';

const H = 3_600_000;
const all = [{ type: '!=' as const, name: '__name__', value: '' }];

function tempStorage(): Storage {
  return Storage.open(mkdtempSync(join(tmpdir(), 'promethium-sel-labels-')));
}

/** Series with awkward labels: non-ASCII, `__proto__` and other prototype names, one value past the decoder's 64 KiB text piece. */
function awkwardSets(): Labels[] {
  const sets: Labels[] = [];
  for (let i = 0; i < 40; i++) {
    const set: Labels = Object.create(null) as Labels;
    set['__name__'] = i % 3 === 0 ? 'mëtric_ü' : 'plain';
    set['instance'] = `host-${i % 4}`;
    set['id'] = String(i);
    if (i % 5 === 0) set['__proto__'] = `proto ${i}`;
    if (i % 7 === 0) set['constructor'] = 'x';
    if (i % 11 === 0) set['emoji'] = '✓ 😀';
    sets.push(set);
  }
  const big: Labels = Object.create(null) as Labels;
  big['__name__'] = 'plain';
  big['id'] = 'big';
  big['blob'] = 'é'.repeat(40_000) + 'a'.repeat(70_000);
  sets.push(big);
  return sets;
}

/** What a selection gives back: own keys only, plain objects, in the storage's label order. */
function expected(sets: Labels[]): Labels[] {
  return sets.map((s) => ({ ...s })).sort(compareLabels);
}

function selected(s: Storage, mint: number, maxt: number): Labels[] {
  const sel = s.select(all, mint, maxt);
  try {
    return sel.labels.map((l) => {
      // Plain objects whose `__proto__` is an own label, never the prototype.
      assert.equal(Object.getPrototypeOf(l), Object.prototype);
      return { ...l };
    });
  } finally {
    sel.release();
  }
}

function appendAt(s: Storage, sets: Labels[], t: number): void {
  const refs = s.seriesRefs(sets);
  s.append(refs, new Float64Array(sets.length).fill(t), new Float64Array(sets.length).fill(1));
}

test('head series keep non-ASCII, __proto__ and long labels; an empty value is no label', () => {
  const s = tempStorage();
  const sets = awkwardSets();
  appendAt(s, [...sets, { __name__: 'plain', id: 'empty', gone: '' }], 1000);
  const got = selected(s, 0, 2000);
  const want = expected([...sets, { __name__: 'plain', id: 'empty' }]);
  assert.deepEqual(got, want);
  assert.equal(Object.hasOwn(got.find((l) => l['id'] === '0')!, '__proto__'), true);
  assert.equal(Object.hasOwn(got.find((l) => l['id'] === 'empty')!, 'gone'), false);
  s.close();
});

test('series in a block and in the head come back once each, sorted, labels intact', async () => {
  const s = tempStorage();
  const sets = awkwardSets();
  for (let t = 0; t < 5 * H; t += 10 * 60_000) appendAt(s, sets, t);
  await s.compact();
  assert.ok(s.stats().blocks.length >= 1);
  // Some series only in the head, the rest in both.
  const headOnly: Labels[] = [{ __name__: 'plain', id: 'late', instance: 'host-0' }, { __name__: 'mëtric_ü', id: 'late' }];
  appendAt(s, [...sets, ...headOnly], 5 * H);
  assert.deepEqual(selected(s, 0, 6 * H), expected([...sets, ...headOnly]));
  // Only the block's time range: the head-only series are not there.
  assert.deepEqual(selected(s, 0, H), expected(sets));
  s.close();
});

test('a selection with no series has no label sets', () => {
  const s = tempStorage();
  appendAt(s, [{ __name__: 'a' }], 1000);
  assert.deepEqual(selected(s, 5000, 6000), []);
  s.close();
});
