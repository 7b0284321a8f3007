// Issue 23: /metrics reads the storage's figures (prometheus_tsdb_*) under the head's lock, which a
// head cut holds for writing. Every read must run on the thread pool: while another thread holds
// the write lock, collecting the registry hands back a pending promise and the event loop turns.
// A figure read on the event loop (the exemplar storage's were, and waited 181 ms at 1M series)
// blocks this thread until the hold's own time limit, and the collection has settled by then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative } from '../../src/storage/native.js';
import { Storage } from '../../src/storage/storage.js';
import { createServerMetrics } from '../../src/server/metrics.js';
import { registerStorageMetrics } from '../../src/server/storage-metrics.js';
import { behindHeldLock } from '../helpers/event-loop.js';

const HOLD_LIMIT_MS = 3000;

test("collecting the storage's metrics waits for a held write lock off the event loop", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-storage-metrics-'));
  const db = new (loadNative().NativeDb)(dir, { maxExemplars: 10 });
  try {
    const metrics = createServerMetrics();
    registerStorageMetrics(Storage.attach(db.id(), dir), metrics, 0);
    const text = await behindHeldLock(db, HOLD_LIMIT_MS, () => metrics.registry.metrics(), 'collecting /metrics');
    assert.match(text, /^prometheus_tsdb_head_series 0$/m);
    assert.match(text, /^prometheus_tsdb_exemplar_max_exemplars 10$/m);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
