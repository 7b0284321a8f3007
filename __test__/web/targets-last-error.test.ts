// Issue 16, defect 9 (part): a target exposing a 10 MB label value over label_value_length_limit
// fails its scrape with a short lastError (what /api/v1/targets shows): names and the value cut to
// 50 characters as Prometheus's %.50s/%.50q cut them, not the whole 10 MB copied into the message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScrapeLoop } from '../../src/scrape/loop.js';
import type { ScrapeStorage } from '../../src/scrape/loop.js';
import { ExpositionCodecImpl } from '../../src/exposition/index.js';
import { Storage } from '../../src/storage/index.js';
import { Logger } from '../../src/util/logger.js';

test('a 10 MB label value over label_value_length_limit leaves a lastError cut as Prometheus cuts it', async (t) => {
  const value = 'a'.repeat(10_000_000);
  const target = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(`big_metric{l="${value}"} 1\n`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-last-error-')));
  t.after(() => {
    target.close();
    storage.close();
  });
  const port: ScrapeStorage = { seriesRefs: (sets) => storage.seriesRefs(sets), append: (refs, ts, vs) => storage.append(refs, ts, vs) };
  const url = new URL(`http://127.0.0.1:${(target.address() as { port: number }).port}/metrics`);
  const loop = new ScrapeLoop(
    url,
    { job: 'big', instance: 'i:1' },
    { intervalMs: 60_000, timeoutMs: 30_000, honorLabels: false, honorTimestamps: true, sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 100, metricRelabel: (l) => l, http: {} },
    { storage: port, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => 1_700_000_000_000 },
  );
  await loop.scrapeOnce();
  await loop.stop(false);
  assert.equal(loop.state.health, 'down');
  // Prometheus 2.42's message for the same target, word for word.
  assert.equal(loop.state.lastError, `label_value_length_limit exceeded (metric: big_metric, label name: l, value: "${'a'.repeat(50)}", length: 10000000, limit: 100)`);
});
