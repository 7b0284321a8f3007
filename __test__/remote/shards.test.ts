// The shard calculation and the backoff sequence, as pure functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredShards, nextBackoff } from '../../src/remote/shards.js';
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
  const base = { current: 1, min: 1, max: 50, inRate: 100_000, outRate: 100_000, batchSeconds: 0.05, samplesPerBatch: 2000, backlogSamples: 0 };
  assert.equal(desiredShards(base), 3, '100k/s at 25 µs a sample needs 2.5 shards');
  assert.equal(desiredShards({ ...base, current: 3, inRate: 110_000 }), 3, 'within 30%: unchanged');
  assert.equal(desiredShards({ ...base, inRate: 10_000_000 }), 50, 'capped at max_shards');
  assert.equal(desiredShards({ ...base, current: 4, min: 2, inRate: 100 }), 2, 'not below min_shards');
  assert.equal(desiredShards({ ...base, backlogSamples: 2_000_000 }), 8, 'a backlog asks for more');
  assert.equal(desiredShards({ ...base, current: 5, outRate: 0 }), 5, 'nothing sent yet: no change');
});
