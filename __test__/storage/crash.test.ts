import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';

const child = new URL('./fixtures/appender-child.ts', import.meta.url).pathname;
const SERIES = 200;

/** Runs the appender child until it acknowledged `acks` batches, then kills it with SIGKILL. */
function runAndKill(dir: string, firstBatch: number, acks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir, String(SERIES), String(firstBatch)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = -1;
    let buf = '';
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^ack (\d+)$/.exec(l);
        if (m) last = Number(m[1]);
      }
      if (last >= acks) p.kill('SIGKILL');
    });
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`child exited ${code}: ${err}`));
    });
  });
}

function countSamples(dir: string): { perSeries: number[]; lastBatch: number; replay: ReturnType<Storage['replayInfo']> } {
  const s = Storage.open(dir);
  try {
    const sel = s.select([{ type: '=', name: '__name__', value: 'crash_test' }], 0, 2e12);
    const { offsets, v } = sel.samples();
    const perSeries: number[] = [];
    let lastBatch = -1;
    for (let i = 0; i < sel.length; i++) {
      const a = offsets[i] ?? 0;
      const b = offsets[i + 1] ?? 0;
      perSeries.push(b - a);
      // Values encode batch*1000 + series index: check they are exactly what was appended.
      for (let j = a; j < b; j++) {
        const val = v[j] ?? NaN;
        assert.equal(Math.floor(val / 1000), j - a, `sample ${j - a} of series ${i}`);
        lastBatch = Math.max(lastBatch, Math.floor(val / 1000));
      }
    }
    return { perSeries, lastBatch, replay: s.replayInfo() };
  } finally {
    s.close();
  }
}

test('every acknowledged sample survives kill -9, twice in a row', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-crash-'));
  const acked = await runAndKill(dir, 0, 300);
  const first = countSamples(dir);
  assert.equal(first.perSeries.length, SERIES);
  for (const n of first.perSeries) assert.ok(n >= acked + 1, `a series has ${n} samples, ${acked + 1} batches were acknowledged`);
  // Restart, crash again, and the second run's samples join the first run's.
  const acked2 = await runAndKill(dir, first.lastBatch + 1, first.lastBatch + 100);
  const second = countSamples(dir);
  assert.ok(acked2 >= first.lastBatch + 100);
  assert.ok(second.lastBatch >= acked2, 'the second run\'s acknowledged batches are there');
  for (const n of second.perSeries) assert.ok(n >= first.perSeries[0]!, 'nothing from the first run was lost');
});

test('a torn WAL tail is cut and reported, the database opens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-torn-'));
  const s = Storage.open(dir);
  const refs = s.seriesRefs([{ __name__: 'torn' }]);
  for (let i = 0; i < 50; i++) s.append(refs, new Float64Array([i * 1000]), new Float64Array([i]));
  s.close();
  const walDir = join(dir, 'wal');
  const seg = readdirSync(walDir).filter((n) => /^\d{8}$/.test(n)).sort().at(-1)!;
  const path = join(walDir, seg);
  const data = readFileSync(path);
  // Drop the page padding and half of the last record, as a crash mid-write leaves it.
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  writeFileSync(path, data.subarray(0, end - 10));
  assert.ok(statSync(path).size < data.length);
  const again = Storage.open(dir);
  const info = again.replayInfo();
  assert.ok(info.corruption, 'the corruption is reported');
  assert.match(info.corruption.reason, /torn|checksum/);
  assert.equal(info.samples, 49);
  assert.equal(again.stats().counters.walCorruptions, 1);
  again.close();
});
