// Selections give their memory back when a query ends, and label sets are written into memory an
// earlier selection used: neither may change an answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import type { Selection } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import type { Queryable } from '../../src/promql/index.js';
import type { Labels } from '../../src/model/labels.js';
import { decodeLabelSets, encodeLabelSets } from '../../src/storage/label-codec.js';

function filled(): Storage {
  const s = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-selection-')));
  const app = s.appender();
  for (let i = 0; i < 300; i++) {
    // Values long enough that the label sets of a selection take more than one decoding chunk.
    const labels = { __name__: i % 3 === 0 ? 'small' : 'large', instance: `host-${i}.example.org:9100`, path: '/'.padEnd(400, String(i % 10)) };
    for (let k = 0; k < 4; k++) app.add(labels, k * 15_000, i + k);
  }
  app.commit();
  return s;
}

const name = (value: string) => [{ type: '=' as const, name: '__name__', value }];

test('label sets read into reused memory stay as they were decoded', () => {
  const s = filled();
  try {
    // The larger selection first: the smaller one's label sets then land in its memory.
    const large = s.select(name('large'), 0, 60_000).labels;
    const copy = large.map((l) => ({ ...l }));
    const small = s.select(name('small'), 0, 60_000).labels;
    assert.equal(large.length, 200);
    assert.equal(small.length, 100);
    assert.deepEqual(large, copy);
    assert.deepEqual(small.map((l) => l['instance']), Array.from({ length: 100 }, (_, i) => `host-${i * 3}.example.org:9100`).sort(), 'in label order');
    assert.ok(small.every((l) => l['__name__'] === 'small' && l['path']!.length === 400));
  } finally {
    s.close();
  }
});

test('label sets spanning several decoding pieces decode as one buffer does, ASCII pieces and others', () => {
  // 100-byte values keep the length fields ASCII; a few sets carry UTF-8 or a long value.
  const value = (i: number): string => (i === 500 ? 'ünï ✓ '.repeat(20) : i === 900 ? 'y'.repeat(300) : 'x'.repeat(100 + (i % 7)));
  const sets: Labels[] = Array.from({ length: 1200 }, (_, i) => ({ __name__: 'm', i: String(i), v: value(i) }));
  const decoded = decodeLabelSets(encodeLabelSets(sets));
  assert.deepEqual(decoded, sets);
  assert.equal(decoded[500]!['v'], value(500));
});

test('a released selection refuses reads; a query releases every selection it made', () => {
  const s = filled();
  try {
    const sel = s.select(name('small'), 0, 60_000);
    const labels = sel.labels;
    sel.release();
    assert.throws(() => sel.instant({ start: 45_000, end: 45_000, step: 1 }, 300_000), /released/);
    assert.equal(labels.length, 100, 'label sets decoded before the release stay');

    const made: Selection[] = [];
    const released = new Set<Selection>();
    const spy: Queryable = {
      select(matchers, mint, maxt) {
        const inner = s.select(matchers, mint, maxt);
        made.push(inner);
        const release = inner.release.bind(inner);
        inner.release = () => {
          released.add(inner);
          release();
        };
        return inner;
      },
    };
    const engine = new Engine(spy);
    const r = engine.instantQuery('sum(rate(large[1m])) + count(small)', 45_000);
    assert.equal(r.resultType, 'vector');
    assert.equal(made.length, 2);
    assert.deepEqual(made.filter((x) => !released.has(x)), [], 'every selection released');
    // A failing query releases its selections too.
    made.length = 0;
    assert.throws(() => new Engine(spy, { maxSamples: 10 }).instantQuery('large', 45_000));
    assert.ok(made.length > 0 && made.every((x) => released.has(x)));
  } finally {
    s.close();
  }
});
