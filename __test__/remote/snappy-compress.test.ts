// Our Snappy compressor (crates/tsdb/src/snappy.rs, remote write's request bodies) against the
// `snappy` package's decompressor, the reference implementation's: whatever shape the input has
// (noise, runs, repeats near and far, several 64 KiB blocks), the receiver gets the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import snappy from 'snappy';
import { snappyCompress } from '../../src/storage/index.js';
import { xorshift32 as xorshift } from '../helpers/random.js';

/** A fixed-seed xorshift, so a failure reproduces. */
function roundTrip(input: Uint8Array, what: string): Uint8Array {
  const c = snappyCompress(input);
  const back = snappy.uncompressSync(Buffer.from(c)) as Buffer;
  assert.ok(Buffer.from(input).equals(back), `${what}: ${input.length} bytes did not come back`);
  return c;
}

test('noise, runs and every length around a block edge decompress to the input', () => {
  const next = xorshift(42);
  const noise = Uint8Array.from({ length: 1 << 20 }, () => next() & 0xff);
  assert.ok(roundTrip(noise, 'noise').length < noise.length * 1.01, 'noise barely grows');
  assert.ok(roundTrip(new Uint8Array(1 << 20), 'zeros').length < (1 << 20) / 20, 'a run compresses');
  for (const n of [0, 1, 15, 16, 17, 65_535, 65_536, 65_537, 131_073]) roundTrip(noise.subarray(0, n), `noise ${n}`);
});

test('repeats near and far, as request bodies have them, decompress to the input', () => {
  const next = xorshift(7);
  for (let round = 0; round < 30; round++) {
    const parts: number[] = [];
    const size = next() % 200_000;
    while (parts.length < size) {
      const kind = next() % 3;
      if (kind === 0) for (let i = next() % 300; i > 0; i--) parts.push(next() & 0xff);
      else if (kind === 1) parts.push(...new Array<number>(next() % 500).fill(next() & 0xff));
      else if (parts.length > 0) {
        const from = next() % parts.length;
        parts.push(...parts.slice(from, from + (next() % 400)));
      }
    }
    roundTrip(Uint8Array.from(parts), `round ${round}`);
  }
  const labels = new TextEncoder().encode(Array.from({ length: 3000 }, (_, i) => `\n__name__\x12synthetic_requests_total\x0a\x04path\x12/api/v${i % 7}/item${i % 100}\t${i * 37}`).join(''));
  assert.ok(roundTrip(labels, 'label sets').length * 4 < labels.length, 'repeated label sets compress');
});
