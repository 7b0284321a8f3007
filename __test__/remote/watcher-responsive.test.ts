// The remote-write queue over a large WAL keeps the event loop answering: opening the watcher
// (which reads every series record) and reading run on a worker thread, and the new series come
// to write relabeling in bounded runs. The bound is generous: a responsiveness property, not a
// timing benchmark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import client from 'prom-client';
import { Storage } from '../../src/storage/index.js';
import { parseConfig } from '../../src/config/index.js';
import { RemoteStorage } from '../../src/remote/index.js';
import { Logger } from '../../src/util/logger.js';
import { fakeReceiver } from './wire.js';

const SERIES = 200_000;
const MAX_DELAY_MS = 500;

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test(`a queue opening over a WAL of ${SERIES} series keeps the event loop answering`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-responsive-'));
  const storage = Storage.open(dir);
  const refs = new Uint32Array(SERIES);
  for (let from = 0; from < SERIES; from += 20_000) {
    const labels = Array.from({ length: 20_000 }, (_, i) => ({ __name__: 'responsive_metric', job: 'j', instance: `host-${(from + i) % 500}:9100`, series: String(from + i) }));
    refs.set(storage.seriesRefs(labels), from);
  }
  const t0 = 1_700_000_000_000;
  storage.append(refs, new Float64Array(SERIES).fill(t0), new Float64Array(SERIES).fill(1));
  const rx = await fakeReceiver(() => ({ status: 204 }));
  const logger = new Logger({ level: 'error', write: () => {} });
  const remote = new RemoteStorage({ storage, dataDir: dir, logger, maxBacklog: { bytes: 1 << 30 }, pollMs: 10 });
  remote.init(new client.Registry());
  // One histogram per phase: a histogram disabled over the append and enabled again counts the
  // append itself as its first delay.
  const opening = monitorEventLoopDelay({ resolution: 10 });
  const sending = monitorEventLoopDelay({ resolution: 10 });
  try {
    opening.enable();
    await remote.applyConfig(parseConfig(`remote_write:\n  - url: ${rx.url}\n    name: q\n    queue_config: { batch_send_deadline: 50ms, max_samples_per_send: 5000 }\n`, 'p.yml'));
    // A new queue writes its first savepoint once its watcher is open at the WAL's end.
    await until('the watcher to open', () => readdirSync(dir).includes('remote') && readdirSync(join(dir, 'remote')).some((f) => f.endsWith('.savepoint')), 120_000);
    opening.disable();
    // Appending is the scrape's work, not the queue's: left out of the measure.
    storage.append(refs, new Float64Array(SERIES).fill(t0 + 15_000), new Float64Array(SERIES).fill(2));
    sending.enable();
    // Every series' new sample is relabeled (in runs) and sent; the one before the queue began is not.
    await until(`${SERIES} samples sent`, () => (remote.status()[0]?.samplesSent ?? 0) >= SERIES, 120_000);
    sending.disable();
    assert.equal(remote.status()[0]!.samplesSent, SERIES);
    const maxMs = Math.max(opening.max, sending.max) / 1e6;
    console.log(`max event-loop delay while opening over ${SERIES} series: ${(opening.max / 1e6).toFixed(1)} ms; while sending: ${(sending.max / 1e6).toFixed(1)} ms (p99 ${(sending.percentile(99) / 1e6).toFixed(1)} ms)`);
    assert.ok(maxMs < MAX_DELAY_MS, `the event loop stalled for ${maxMs.toFixed(0)} ms`);
  } finally {
    await remote.stop();
    await rx.close();
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
