// The shape of text-format lines (blanks, commas, comments, line ends, the metric name given twice)
// as Prometheus 2.42 reads them when scraping: each line of prometheus-2.42-text-lines.json was
// served to the real Prometheus (see its "about"). Our parser and a real scrape through the native
// and the JavaScript paths must give the same verdicts and series, but for the deviations below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkUtf8, ExpositionCodecImpl, ExpositionError, parseOpenMetrics, parseSeriesText, parseText } from '../../src/exposition/index.js';
import { ScrapeLoop } from '../../src/scrape/loop.js';
import type { ScrapeStorage } from '../../src/scrape/loop.js';
import { Storage } from '../../src/storage/index.js';
import { Logger } from '../../src/util/logger.js';

interface Case {
  line: string;
  served?: string;
  accepted: boolean;
  error?: string;
  series?: Record<string, string>[];
}

const { cases } = JSON.parse(readFileSync(new URL('./prometheus-2.42-text-lines.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** Where we knowingly differ from Prometheus 2.42, and why. */
const DEVIATIONS: Record<string, string> = {
  '{"m"} 1': 'the quoted-name form of the text format of Prometheus 3 is read (2.42 predates it)',
  'm{"a"="1"} 1': 'the quoted-name form of the text format of Prometheus 3 is read (2.42 predates it)',
};

const checked = cases.filter((c) => DEVIATIONS[c.line] === undefined);

/** Series as Prometheus stores them: empty label values are no labels. */
function stored(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).filter(([, v]) => v !== '').sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The bytes served for a case (latin1 for the cases with invalid UTF-8). */
function bytesOf(c: Case): Buffer {
  return Buffer.from(`ok_marker 1\n${c.line}\n`, c.served !== undefined ? 'latin1' : 'utf8');
}

test('the text parser accepts and refuses the lines Prometheus 2.42 accepts and refuses, with the same series', () => {
  assert.equal(checked.length, cases.length - Object.keys(DEVIATIONS).length, 'every deviation is a recorded case');
  for (const c of checked) {
    const what = `${JSON.stringify(c.line)} (Prometheus: ${c.accepted ? 'accepted' : c.error})`;
    const body = `ok_marker 1\n${c.line}\n`;
    // As the scrape loop reads a body: its bytes checked, then decoded and parsed.
    const read = (): ReturnType<typeof parseText> => {
      checkUtf8(bytesOf(c), false);
      return parseText(body);
    };
    if (!c.accepted) {
      assert.throws(() => [...read()], (e: unknown) => e instanceof ExpositionError && e.line >= 2, what);
      continue;
    }
    const series = new Set([...read()].filter((s) => s.series !== 'ok_marker').map((s) => stored(parseSeriesText(s.series))));
    // Timestamped samples were out of the head's bounds in Prometheus: no series to compare.
    if (c.series!.length > 0) assert.deepEqual([...series], c.series!.map(stored), what);
  }
});

test('a real scrape gives the same verdicts through the native and the JavaScript paths, also in the steady state', async () => {
  let body: Buffer = Buffer.alloc(0);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`);
  const T0 = 1_700_000_000_000;
  try {
    for (const native of [true, false]) {
      const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-text-lines-')));
      const port: ScrapeStorage = { seriesRefs: (sets) => storage.seriesRefs(sets), append: (refs, ts, vs) => storage.append(refs, ts, vs) };
      if (native) port.textScrapeCache = () => storage.textScrapeCache();
      try {
        for (const [i, c] of checked.entries()) {
          let now = T0;
          const loop = new ScrapeLoop(url, { job: 'j', instance: `case${i}` }, { intervalMs: 1000, timeoutMs: 1000, honorLabels: false, honorTimestamps: false, sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, metricRelabel: undefined, http: {} }, { storage: port, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => now });
          body = bytesOf(c);
          // Twice: the second scrape of an accepted body meets the cache of the first.
          for (const k of [0, 1]) {
            now = T0 + k * 1000;
            await loop.scrapeOnce();
            const what = `native=${native} scrape ${k} of ${JSON.stringify(c.line)}: ${loop.state.lastError}`;
            assert.equal(loop.state.health, c.accepted ? 'up' : 'down', what);
            if (!c.accepted) assert.match(loop.state.lastError, /^line 2: \S/, what);
          }
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

test('OpenMetrics refuses invalid UTF-8 anywhere (it has no ordinary comments), as Prometheus 2.42 does', () => {
  const body = Buffer.from('ok_marker 1\nm{a="\xff"} 1\n# EOF\n', 'latin1');
  assert.throws(() => checkUtf8(body, true), /^ExpositionError: line 2: invalid UTF-8/);
  assert.doesNotThrow(() => checkUtf8(Buffer.from('m{a="é😀"} 1\n# EOF\n'), true));
  assert.equal([...parseOpenMetrics('m{a="é😀"} 1\n# EOF\n')].length, 1);
});
