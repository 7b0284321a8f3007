// One target with a wrong clock cannot stop ingestion (issue 16, defect 4): a sample a year in the
// future is dropped from its scrape, counted and warned about as Prometheus does ("too far into the
// future"), and after the head is compacted every target's present-day samples are still stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScrapeLoop } from '../../src/scrape/loop.js';
import type { AppendCounts, ScrapeOptions, ScrapeStorage } from '../../src/scrape/loop.js';
import { ExpositionCodecImpl } from '../../src/exposition/index.js';
import { Storage } from '../../src/storage/index.js';
import { Logger } from '../../src/util/logger.js';

const MINUTE = 60_000;
const YEAR = 365 * 24 * 60 * MINUTE;

function options(): ScrapeOptions {
  return { intervalMs: 1000, timeoutMs: 2000, honorLabels: false, honorTimestamps: true, sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, metricRelabel: undefined, http: {} };
}

for (const native of [true, false]) {
  test(`a far-future sample is dropped and counted, and compaction keeps ingestion going (${native ? 'native' : 'JavaScript'} path)`, async (t) => {
    const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-future-')));
    // Five hours of another job's history up to now, so that compaction cuts blocks.
    const now = Date.now();
    const [history] = storage.seriesRefs([{ __name__: 'other_job_metric', job: 'other' }]);
    for (let k = 300; k >= 0; k--) storage.append(Uint32Array.of(history!), Float64Array.of(now - k * MINUTE), Float64Array.of(k));
    let futureTs = 0;
    const target = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(`normal_metric 2\nfuture_metric 1 ${futureTs}\n`);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const url = new URL(`http://127.0.0.1:${(target.address() as { port: number }).port}/metrics`);
    t.after(() => {
      target.close();
      storage.close();
    });
    const port: ScrapeStorage = { seriesRefs: (sets) => storage.seriesRefs(sets), append: (refs, ts, vs, sts) => storage.append(refs, ts, vs, sts) };
    if (native) port.textScrapeCache = () => storage.textScrapeCache();
    const reports: AppendCounts[] = [];
    const warnings: string[] = [];
    const logger = new Logger({ level: 'warn', write: (line: string) => warnings.push(line) });
    const loop = new ScrapeLoop(url, { job: 'j', instance: 'i:1' }, options(), { storage: port, codec: new ExpositionCodecImpl(), logger, onScrape: (r) => reports.push(r.counts) });

    const scrapes: number[] = [];
    for (let i = 0; i < 3; i++) {
      futureTs = Date.now() + YEAR;
      await loop.scrapeOnce();
      scrapes.push(loop.state.lastScrape);
      assert.equal(loop.state.health, 'up', loop.state.lastError);
      if (i === 0) await storage.compact();
    }
    await loop.stop(false);

    assert.ok(storage.stats().blocks.length > 0, 'the history was compacted into blocks');
    // Every scrape's normal sample is stored, before and after the compaction; the future one is not.
    const sel = storage.select([{ type: '=', name: '__name__', value: 'normal_metric' }], now - YEAR, now + 2 * YEAR);
    assert.deepEqual([...sel.samples().t], scrapes);
    assert.equal(storage.select([{ type: '=', name: '__name__', value: 'future_metric' }], now - YEAR, now + 2 * YEAR).labels.length, 0);
    // Other jobs keep ingesting too.
    const later = storage.append(Uint32Array.of(history!), Float64Array.of(Date.now()), Float64Array.of(1));
    assert.equal(later.appended, 1);

    // Each scrape dropped exactly the future sample; the rest (normal_metric and the report series) went in.
    for (const r of reports) {
      assert.equal(r.outOfBounds, 1);
      assert.equal(r.tooOld, 0);
      assert.ok(r.appended >= 1);
    }
    assert.ok(warnings.some((w) => w.includes('Error on ingesting samples that are too old or are too far into the future') && w.includes('num_dropped=1')), warnings.join('\n'));
    assert.equal(storage.stats().counters.outOfBounds, 3);
  });
}
