// prometheus.yml's storage.tsdb section over the flags: retention precedence, the percentage of
// the file system, the chunk encoding and what st-storage requires of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import { DEFAULT_RETENTION_MS, tsdbSettings } from '../../src/server/tsdb-settings.js';
import type { TsdbFlags } from '../../src/server/tsdb-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'promethium-tsdb-settings-'));
const noFlags: TsdbFlags = { retentionTimeMs: 0, retentionBytes: 0, stStorage: false, xor2Encoding: false };
const tsdbOf = (yaml: string) => parseConfig(yaml, 'prometheus.yml').storage.tsdb;

test('retention: the config file over the flags, 15d when nothing is said', () => {
  assert.deepEqual(tsdbSettings(tsdbOf(''), noFlags, dir), { retentionMs: DEFAULT_RETENTION_MS, retentionBytes: 0, xor2Chunks: false, warnings: [] });
  assert.equal(tsdbSettings(tsdbOf(''), { ...noFlags, retentionBytes: 1024 }, dir).retentionMs, 0, 'a size alone: no time limit');
  const both = tsdbSettings(tsdbOf('storage:\n  tsdb:\n    retention:\n      time: 2h\n      size: 1KB\n'), { ...noFlags, retentionTimeMs: 99, retentionBytes: 99 }, dir);
  assert.deepEqual([both.retentionMs, both.retentionBytes], [7_200_000, 1024]);
  assert.equal(tsdbSettings(tsdbOf('storage:\n  tsdb:\n    retention:\n      time: 0s\n'), { ...noFlags, retentionTimeMs: 99 }, dir).retentionMs, 0, 'time 0 switches time retention off');
  const fs = statfsSync(dir);
  const pct = tsdbSettings(tsdbOf('storage:\n  tsdb:\n    retention:\n      percentage: 10\n'), noFlags, dir);
  assert.equal(pct.retentionBytes, Math.floor((fs.blocks * fs.bsize * 10) / 100));
  assert.equal(pct.retentionMs, 0);
});

test('chunk encoding: xor2 by config or the old feature flag; st-storage refuses xor', () => {
  assert.equal(tsdbSettings(tsdbOf('storage:\n  tsdb:\n    chunk_encoding:\n      floats: xor2\n'), noFlags, dir).xor2Chunks, true);
  assert.equal(tsdbSettings(tsdbOf(''), { ...noFlags, xor2Encoding: true }, dir).xor2Chunks, true);
  assert.equal(tsdbSettings(tsdbOf('storage:\n  tsdb:\n    chunk_encoding:\n      floats: xor\n'), { ...noFlags, xor2Encoding: true }, dir).xor2Chunks, false, 'the config wins');
  assert.throws(() => tsdbSettings(tsdbOf('storage:\n  tsdb:\n    chunk_encoding:\n      floats: xor\n'), { ...noFlags, stStorage: true }, dir), /cannot store start timestamps/);
  // Without a word in the config, st-storage still works: chunks turn XOR2 at their first start timestamp.
  assert.equal(tsdbSettings(tsdbOf(''), { ...noFlags, stStorage: true }, dir).xor2Chunks, false);
});

test('out_of_order_time_window is accepted with a warning that it does nothing', () => {
  assert.match(tsdbSettings(tsdbOf('storage:\n  tsdb:\n    out_of_order_time_window: 10m\n'), noFlags, dir).warnings.join(), /out_of_order_time_window is not supported/);
});
