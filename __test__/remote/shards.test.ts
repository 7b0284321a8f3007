// The shard calculation and the backoff sequence, as pure functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredShards, EwmaRate, nextBackoff } from '../../src/remote/shards.js';
import { walBytesBetween } from '../../src/remote/backlog.js';
import { parseRetryAfter } from '../../src/remote/client.js';

test('backoff doubles from min_backoff up to max_backoff', () => {
  const q = { minBackoffMs: 30, maxBackoffMs: 200 };
  const seq = [30];
  for (let i = 0; i < 5; i++) seq.push(nextBackoff(seq.at(-1)!, q));
  assert.deepEqual(seq, [30, 60, 120, 200, 200, 200]);
});

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

test('desired shards follow throughput within min and max, with 30% hysteresis', () => {
  // 100k samples/s acknowledged, 2.5 s of sending per second: 25 µs a sample.
  const base = { current: 1, min: 1, max: 50, inRate: 100_000, outRate: 100_000, sendSecondsRate: 2.5, backlogSamples: 0 };
  assert.equal(desiredShards(base), 3, '100k/s at 25 µs a sample needs 2.5 shards');
  assert.equal(desiredShards({ ...base, current: 3, inRate: 110_000 }), 3, 'within 30%: unchanged');
  assert.equal(desiredShards({ ...base, inRate: 10_000_000 }), 50, 'capped at max_shards');
  assert.equal(desiredShards({ ...base, current: 4, min: 2, inRate: 100 }), 2, 'not below min_shards');
  assert.equal(desiredShards({ ...base, current: 5, outRate: 0 }), 5, 'nothing sent yet: no change');
});

test('a backlog asks for 5% of itself a second more, and holds the shard count up while far behind', () => {
  const base = { current: 1, min: 1, max: 50, inRate: 100_000, outRate: 100_000, sendSecondsRate: 2.5, backlogSamples: 2_000_000 };
  assert.equal(desiredShards(base), 5, '(100k + 5% of 2M)/s at 25 µs a sample');
  assert.equal(desiredShards({ ...base, current: 8, inRate: 100 }), 8, '20 s behind: not fewer shards');
  assert.equal(desiredShards({ ...base, current: 8, backlogSamples: 500_000 }), 4, '5 s behind: fewer shards are fine');
});

test('a catch-up with one busy shard asks for more shards', () => {
  // What a drain looks like to the queue: reads wait for room, so in = out, and the one shard is always sending.
  const oneShardBusy = { current: 1, min: 1, max: 50, inRate: 30_000, outRate: 30_000, sendSecondsRate: 1, backlogSamples: 1_500_000 };
  assert.ok(desiredShards(oneShardBusy) >= 3, String(desiredShards(oneShardBusy)));
  assert.equal(desiredShards({ ...oneShardBusy, sendSecondsRate: 0.5, backlogSamples: 10_000 }), 1, 'nothing behind but the queue, the shard half busy: one is enough');
});

test('rates move a fifth of the way to each interval’s rate', () => {
  const r = new EwmaRate(10);
  r.add(1000);
  r.tick();
  assert.equal(r.rate, 100, 'the first interval sets it');
  assert.equal(r.lastInterval, 1000);
  r.add(2000);
  r.tick();
  assert.equal(r.rate, 120);
  r.tick();
  assert.equal(r.rate, 96);
  assert.equal(r.lastInterval, 0);
});

test('WAL bytes between two positions, and to the end', () => {
  const segs = [
    { segment: 3, bytes: 1000, mtimeMs: 0 },
    { segment: 4, bytes: 500, mtimeMs: 0 },
    { segment: 6, bytes: 200, mtimeMs: 0 },
  ];
  assert.equal(walBytesBetween(segs, { segment: 3, offset: 100 }, { segment: 3, offset: 400 }), 300);
  assert.equal(walBytesBetween(segs, { segment: 3, offset: 900 }, { segment: 6, offset: 50 }), 100 + 500 + 50, 'segment 5 is gone: nothing from it');
  assert.equal(walBytesBetween(segs, { segment: 4, offset: 100 }, null), 400 + 200);
  assert.equal(walBytesBetween(segs, { segment: 7, offset: 0 }, null), 0);
});
