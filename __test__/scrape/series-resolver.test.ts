// New series labeled a slice at a time and created off the event loop
// (src/scrape/series-resolver.ts), on both ingest paths: the same refs as one call, the event
// loop served between slices, and a limit in a later slice failing the scrape before any series
// is created; and the JavaScript path's append through the storage's appendAsync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpositionCodecImpl } from '../../src/exposition/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DROPPED_REF, ScrapeCache } from '../../src/scrape/cache.js';
import { ParserIngester } from '../../src/scrape/parser-ingester.js';
import { Storage } from '../../src/storage/index.js';
import { Logger } from '../../src/util/logger.js';
import { SeriesResolver } from '../../src/scrape/series-resolver.js';
import { ScrapeFailure, type ScrapeOptions, type ScrapeStorage } from '../../src/scrape/ingest.js';
import type { Labels } from '../../src/model/labels.js';
import { countTurns } from '../helpers/event-loop.js';

/** Refs by label set (job and instance included), counting calls. */
class RecordingStorage {
  readonly refOf = new Map<string, number>();
  calls: number[] = [];
  asyncCalls = 0;
  constructor(private readonly async = false) {}
  get seriesRefsAsync(): ((labelSets: Labels[]) => Promise<Uint32Array>) | undefined {
    return this.async ? (labelSets) => (this.asyncCalls++, Promise.resolve(this.seriesRefs(labelSets))) : undefined;
  }
  seriesRefs(labelSets: Labels[]): Uint32Array {
    this.calls.push(labelSets.length);
    return Uint32Array.from(labelSets.map((l) => {
      const key = JSON.stringify(Object.entries(l).sort());
      let ref = this.refOf.get(key);
      if (ref === undefined) this.refOf.set(key, (ref = this.refOf.size + 1));
      return ref;
    }));
  }
}

function options(over: Partial<ScrapeOptions> = {}): ScrapeOptions {
  return { intervalMs: 15_000, timeoutMs: 10_000, honorLabels: false, honorTimestamps: true, sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, metricRelabel: undefined, http: {} as ScrapeOptions['http'], ...over };
}

function resolverOver(storage: RecordingStorage, over: Partial<ScrapeOptions> = {}): SeriesResolver {
  return new SeriesResolver({ job: 'j', instance: 'h:1' }, options(over), new ExpositionCodecImpl(), storage as unknown as ScrapeStorage);
}

// Dropping every fifth series by relabeling, and a repeated text across slices.
const texts = Array.from({ length: 23 }, (_, i) => `m{i="${i % 20}"}`);
const dropFifth = (l: Labels): Labels | null => (Number(l.i) % 5 === 0 ? null : l);

test('slices give the refs one call gives; the series are created in one call, off the event loop when the storage can', async () => {
  const whole = resolverOver(new RecordingStorage(), { metricRelabel: dropFifth }).resolve(texts);
  for (const async of [true, false]) {
    const storage = new RecordingStorage(async);
    const sliced = await resolverOver(storage, { metricRelabel: dropFifth }).resolveInSlices(texts, 5);
    assert.deepEqual([...sliced], [...whole]);
    assert.deepEqual(storage.calls, [16], 'the 16 distinct kept series in one storage call');
    assert.equal(storage.asyncCalls, async ? 1 : 0);
    assert.equal(sliced[0], DROPPED_REF);
    assert.equal(sliced[21], sliced[1], 'a repeated series text got another ref');
  }
});

test('the event loop gets a turn between slices', async () => {
  const turning = countTurns();
  await resolverOver(new RecordingStorage()).resolveInSlices(texts, 5);
  const turns = turning.stop();
  assert.ok(turns >= 3, `the event loop ran ${turns} times while 5 slices were resolved`);
});

test('a label limit broken in a later slice fails the scrape before a series is created', async () => {
  const long = [...texts.slice(0, 10), `m{i="${'x'.repeat(40)}"}`];
  const storage = new RecordingStorage(true);
  await assert.rejects(resolverOver(storage, { labelValueLengthLimit: 30 }).resolveInSlices(long, 5), (e: unknown) => e instanceof ScrapeFailure && /label_value_length_limit exceeded/.test((e as Error).message));
  assert.equal(storage.refOf.size, 0);
});

test('the JavaScript path (an OpenMetrics body) lets the event loop turn while a large first scrape is resolved', async () => {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-parser-ingest-')));
  const codec = new ExpositionCodecImpl();
  const o = options();
  const cache = new ScrapeCache();
  const ingester = new ParserIngester(cache, new SeriesResolver({ job: 'j', instance: 'h:1' }, o, codec, storage), o, { storage, codec, logger: new Logger({ level: 'error', write: () => undefined }) });
  const n = 10_000;
  const body = Buffer.from(`# TYPE m gauge\n${Array.from({ length: n }, (_, i) => `m{i="${i}"} ${i}`).join('\n')}\n# EOF\n`);
  const turning = countTurns();
  cache.begin();
  const r = await ingester.ingest(body, 'application/openmetrics-text; version=1.0.0', 1_700_000_000_000);
  const turns = turning.stop();
  assert.equal(r.added, n);
  assert.ok(turns >= 2, `the event loop ran ${turns} times while ${n} new series were resolved`);
  const sel = storage.select([{ type: '=', name: 'i', value: '42' }], 1_700_000_000_000, 1_700_000_000_000);
  assert.deepEqual(sel.labels, [{ __name__: 'm', i: '42', instance: 'h:1', job: 'j' }]);
  storage.close();
});

test('the JavaScript path appends a scrape through appendAsync when the storage has it, not on the event loop', async () => {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-parser-append-')));
  const codec = new ExpositionCodecImpl();
  const o = options();
  let release: (() => void) | undefined;
  let asyncAppends = 0;
  // The storage's own append, behind a gate this test opens: the scrape must wait for it.
  const port: ScrapeStorage = {
    seriesRefs: (sets) => storage.seriesRefs(sets),
    append: () => assert.fail('the scrape appended on the event loop'),
    appendAsync: async (refs, ts, vs, sts) => {
      asyncAppends++;
      await new Promise<void>((r) => (release = r));
      return storage.append(refs, ts, vs, sts);
    },
  };
  const cache = new ScrapeCache();
  const ingester = new ParserIngester(cache, new SeriesResolver({ job: 'j', instance: 'h:1' }, o, codec, port), o, { storage: port, codec, logger: new Logger({ level: 'error', write: () => undefined }) });
  const body = Buffer.from(`# TYPE m gauge\n${Array.from({ length: 100 }, (_, i) => `m{i="${i}"} ${i}`).join('\n')}\n# EOF\n`);
  cache.begin();
  let done = false;
  const ingesting = ingester.ingest(body, 'application/openmetrics-text; version=1.0.0', 1_700_000_000_000).finally(() => (done = true));
  while (release === undefined && !done) await new Promise((r) => setImmediate(r));
  if (release === undefined) await ingesting; // settled without asking appendAsync: its error says why
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'the scrape waits for its append');
  release!();
  const r = await ingesting;
  assert.equal(asyncAppends, 1);
  assert.equal(r.counts.appended, 100);
  storage.close();
});
