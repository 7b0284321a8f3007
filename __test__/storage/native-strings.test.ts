// Strings cross into the native addon whole, whatever their length and wherever a multi-byte
// character falls: short ones are read in one call into a small buffer, longer ones again at
// their full length (crates/node-api's get_string). Matchers, label values and label names are
// such strings; a cut one would select nothing, or the wrong series.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';

test('matcher values of 240 to 270 bytes, with 1- to 4-byte characters at every cut, select their series', () => {
  const s = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-strings-')));
  try {
    const values: string[] = [];
    for (const ch of ['a', 'é', '€', '😀']) {
      for (let bytes = 240; bytes <= 270; bytes++) {
        const n = Buffer.byteLength(ch);
        const head = 'x'.repeat(Math.max(0, bytes - n * 3));
        values.push(head + ch.repeat(3));
      }
    }
    const refs = s.seriesRefs(values.map((v, i) => ({ __name__: 'long_values', i: String(i), v })));
    s.append(refs, new Float64Array(refs.length).fill(1000), new Float64Array(refs.length).fill(1));
    for (const [i, v] of values.entries()) {
      const sel = s.select([{ type: '=', name: '__name__', value: 'long_values' }, { type: '=', name: 'v', value: v }], 0, 2000);
      assert.equal(sel.length, 1, `value ${i} (${Buffer.byteLength(v)} bytes) selects one series`);
      assert.equal(sel.labels[0]!['v'], v);
      assert.equal(sel.labels[0]!['i'], String(i));
      // A value one character short matches nothing.
      assert.equal(s.select([{ type: '=', name: 'v', value: [...v].slice(0, -1).join('') }], 0, 2000).length, 0);
    }
    assert.deepEqual(new Set(s.labelValues('v', [{ type: '=', name: '__name__', value: 'long_values' }], 0, 2000)), new Set(values));
  } finally {
    s.close();
  }
});

test('a number or string of the wrong type is refused with what came instead', () => {
  const s = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-strings-')));
  try {
    assert.throws(() => s.select([{ type: '=', name: '__name__', value: 5 as unknown as string }], 0, 1), /must be a string, got number/);
    assert.throws(() => s.select([{ type: '=', name: '__name__', value: 'x' }], 'zero' as unknown as number, 1), /must be a number, got string/);
  } finally {
    s.close();
  }
});
