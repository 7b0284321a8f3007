// The label-set buffer for the addon (src/storage/label-codec.ts) is written in place: it must hold
// the bytes that encoding each name and value on its own gave, non-ASCII and lone surrogates
// included, and grow past its first guess of the size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLabelSets, encodeLabelSets } from '../../src/storage/label-codec.js';
import type { Labels } from '../../src/model/labels.js';

const utf8 = new TextEncoder();

/** The layout spelled out: u32 count; per set u16 n; per label u32 length + UTF-8 name, same for the value. */
function reference(sets: readonly Record<string, string | undefined>[]): Uint8Array {
  const bytes: number[] = [];
  const u32 = (x: number) => bytes.push(x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24);
  u32(sets.length);
  for (const set of sets) {
    const names = Object.keys(set).filter((k) => set[k] !== undefined);
    bytes.push(names.length & 0xff, names.length >>> 8);
    for (const name of names) {
      for (const text of [name, set[name]!]) {
        const b = utf8.encode(text);
        u32(b.length);
        bytes.push(...b);
      }
    }
  }
  return Uint8Array.from(bytes);
}

test('label sets encode to the reference bytes, whatever their characters and sizes', () => {
  const sets: Record<string, string | undefined>[] = [
    {},
    { __name__: 'up', job: 'node' },
    { e: 'héllo wörld', emoji: '😀 at the end', lone: 'a\uD800b', tail: '\uDC00', skipped: undefined },
    { big: 'é'.repeat(20_000) },
    ...Array.from({ length: 2000 }, (_, i) => ({ __name__: `m${i}`, path: `/api/${'ü'.repeat(i % 5)}${i}` })),
  ];
  assert.deepEqual(encodeLabelSets(sets as Labels[]), reference(sets));
});

test('encoded sets decode to what went in', () => {
  const sets: Labels[] = [{ __name__: 'a', v: 'ß€😀' }, { x: '' }];
  assert.deepEqual(decodeLabelSets(encodeLabelSets(sets)), sets);
});

test('a set of more than 65535 labels is refused', () => {
  const huge: Labels = {};
  for (let i = 0; i < 65_536; i++) huge[`l${i}`] = 'v';
  assert.throws(() => encodeLabelSets([huge]), RangeError);
});
