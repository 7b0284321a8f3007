// Sample values and timestamps as Prometheus 2.42 reads them when scraping: each line of
// prometheus-2.42-numbers.json was served to the real Prometheus (see its "about"), and here the same
// line must get the same verdict from our text and OpenMetrics parsers and, for the text format, from
// a real scrape through the native steady-state path (crates/scrape) and through the JavaScript path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExpositionError, ExpositionCodecImpl, parseOpenMetrics, parseText } from '../../src/exposition/index.js';
import { ScrapeLoop } from '../../src/scrape/loop.js';
import type { ScrapeStorage } from '../../src/scrape/loop.js';
import { Storage } from '../../src/storage/index.js';
import { Logger } from '../../src/util/logger.js';

interface Case {
  format: 'text' | 'openmetrics';
  line: string;
  accepted: boolean;
  error?: string;
  stored?: string;
}

const { cases } = JSON.parse(readFileSync(new URL('./prometheus-2.42-numbers.json', import.meta.url), 'utf8')) as { cases: Case[] };

/**
 * The millisecond timestamps the accepted timestamped lines carry (not visible in Prometheus, whose
 * head refused them as out of bounds): OpenMetrics is Go's int64(seconds * 1000), which gives the
 * smallest int64 on amd64 for anything beyond the int64 range.
 */
const MIN_INT64 = -(2 ** 63);
const TIMESTAMPS: Record<string, number> = {
  'text m 1 0': 0,
  'text m 1 9223372036854775807': 9223372036854775807,
  'openmetrics m 1 -5': -5000,
  'openmetrics m 1 0': 0,
  'openmetrics m 1 -0': 0,
  'openmetrics m 1 +5': 5000,
  'openmetrics m 1 1.5': 1500,
  'openmetrics m 1 1e3': 1_000_000,
  'openmetrics m 1 9223372036854775807': MIN_INT64,
  'openmetrics m 1 9223372036854775808': MIN_INT64,
  'openmetrics m 1 -9223372036854775808': MIN_INT64,
  'openmetrics m 1 99999999999999999999': MIN_INT64,
  'openmetrics m 1 1e30': MIN_INT64,
  'openmetrics m 1 -1e30': MIN_INT64,
  'openmetrics m 1 1700000000.5': 1_700_000_000_500,
};

/** A value as Prometheus's API prints it. */
function apiValue(s: string | undefined): number {
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
}

function parse(c: Case): { value: number; timestamp?: number } {
  const samples = c.format === 'text' ? [...parseText(`ok_marker 1\n${c.line}\n`)] : [...parseOpenMetrics(`ok_marker 1\n${c.line}\n# EOF\n`)];
  const s = samples.find((x) => x.series === 'm');
  assert.ok(s, 'the sample');
  return s.timestamp === undefined ? { value: s.value } : { value: s.value, timestamp: s.timestamp };
}

test('the text and OpenMetrics parsers give the verdicts of Prometheus 2.42 on values and timestamps', () => {
  assert.ok(cases.length > 100);
  for (const c of cases) {
    const what = `${c.format}: ${JSON.stringify(c.line)} (Prometheus: ${c.accepted ? 'accepted' : c.error})`;
    if (!c.accepted) {
      assert.throws(() => parse(c), (e: unknown) => e instanceof ExpositionError && e.line === 2 && e.message.includes(JSON.stringify(c.line.split(' ').pop())), what);
      continue;
    }
    const got = parse(c);
    const hasTs = c.line.split(' ').length === 3;
    if (hasTs) {
      const want = TIMESTAMPS[`${c.format} ${c.line}`];
      assert.ok(want !== undefined, `a timestamp to expect for ${what}`);
      assert.equal(got.timestamp, want, what);
    } else {
      assert.equal(got.timestamp, undefined, what);
      assert.ok(Object.is(got.value, apiValue(c.stored)), `${what}: got ${got.value}, Prometheus stored ${c.stored}`);
    }
  }
});

test('the error says which line and what is wrong with the number', () => {
  assert.throws(() => [...parseText('a 1\nm 1e400\n')], /^ExpositionError: line 2: invalid value "1e400": value out of range/);
  assert.throws(() => [...parseText('m 0x10\n')], /line 1: invalid value "0x10": invalid syntax/);
  assert.throws(() => [...parseText('m 1_000\n')], /line 1: invalid value "1_000": unsupported character in float/);
  assert.throws(() => [...parseText('m 1 -5\n')], /line 1: invalid timestamp "-5": a timestamp is an integer number of milliseconds, without sign/);
  assert.throws(() => [...parseText('m 1 99999999999999999999\n')], /line 1: invalid timestamp "99999999999999999999": value out of range/);
  assert.throws(() => [...parseOpenMetrics('m 1 NaN\n# EOF\n')], /line 1: invalid timestamp "NaN": invalid timestamp/);
  // The metric name given again as a label: Prometheus refuses the sample in both formats.
  assert.throws(() => [...parseOpenMetrics('m{__name__="x"} 1\n# EOF\n')], /line 1: label name "__name__" is not unique/);
  assert.throws(() => [...parseText('m{__name__="x"} 1\n')], /line 1: label name "__name__" is not unique/);
  // The strict (specification) reading refuses what does not fit a float64 too.
  assert.throws(() => [...parseOpenMetrics('m 1e400\n# EOF\n', undefined, { strict: true })], /line 1: invalid value "1e400"/);
});

test('a real scrape gives the same verdict on both paths, in the steady state of the native scrape cache', async () => {
  const textValues = cases.filter((c) => c.format === 'text' && c.line.split(' ').length === 2);
  const bodies = new Map<string, string>();
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(bodies.get(req.url ?? '') ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const T0 = 1_700_000_000_000;
  try {
    for (const native of [true, false]) {
      const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-numbers-')));
      const port: ScrapeStorage = { seriesRefs: (sets) => storage.seriesRefs(sets), append: (refs, ts, vs) => storage.append(refs, ts, vs) };
      if (native) port.textScrapeCache = () => storage.textScrapeCache();
      try {
        for (const [i, c] of textValues.entries()) {
          const path = `/c${i}`;
          let now = T0;
          const loop = new ScrapeLoop(new URL(base + path), { job: 'j', instance: `case${i}` }, { intervalMs: 1000, timeoutMs: 1000, honorLabels: false, honorTimestamps: true, sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, metricRelabel: undefined, http: {} }, { storage: port, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => now });
          // First the series with a plain value (now in the cache), then the case's spelling.
          bodies.set(path, 'ok_marker 1\nm 1\n');
          await loop.scrapeOnce();
          bodies.set(path, `ok_marker 1\n${c.line}\n`);
          now = T0 + 1000;
          await loop.scrapeOnce();
          const what = `native=${native} ${JSON.stringify(c.line)}: ${loop.state.lastError}`;
          assert.equal(loop.state.health, c.accepted ? 'up' : 'down', what);
          if (!c.accepted) assert.match(loop.state.lastError, /line 2: invalid value/, what);
          const sel = storage.select([{ type: '=', name: 'instance', value: `case${i}` }, { type: '=', name: '__name__', value: 'm' }], T0 + 1000, T0 + 1000);
          const got = sel.samples().v;
          if (c.accepted) assert.ok(got.length === 1 && Object.is(got[0], apiValue(c.stored)), `${what}: stored ${got[0]}`);
          else assert.equal(got.length, 0, what);
          await loop.stop(false);
        }
      } finally {
        storage.close();
      }
    }
  } finally {
    server.close();
  }
});
