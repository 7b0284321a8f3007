// "Dropped by metric relabeling" is one ref in both scrape caches (issue 17 item 4): the
// TypeScript constant is the one the native cache (crates/scrape's DROPPED) keeps, as the addon
// exports it, so a residue ref resolved in JavaScript means the same thing in Rust.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DROPPED_REF } from '../../src/scrape/cache.js';
import { loadNative } from '../../src/storage/native.js';

test('the TypeScript DROPPED_REF is the native scrape cache\'s DROPPED (u32::MAX)', () => {
  assert.equal(loadNative().DROPPED_REF, DROPPED_REF);
  assert.equal(DROPPED_REF, 0xffffffff);
});
