// Seeded fuzzing of the exposition parsers: thousands of bodies mutated from valid expositions and
// from the corner values Prometheus refuses (prometheus-numbers.test.ts). Every body must either
// parse or fail with an ExpositionError (a line number and a reason): never another exception,
// never a hang (the test's timeout), never a crash of the process (the native scrape path runs in
// it). Through a real scrape loop, the native steady-state path and the JavaScript path must give
// the same verdict on each body. The seeds are fixed: a failure names the seed and the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkUtf8, ExpositionCodecImpl, ExpositionError, parseOpenMetrics, parseSeriesText, parseText } from '../../src/exposition/index.js';
import { ScrapeLoop } from '../../src/scrape/loop.js';
import type { ScrapeStorage } from '../../src/scrape/loop.js';
import { Storage } from '../../src/storage/index.js';
import { Logger } from '../../src/util/logger.js';
import { prng } from '../../bench/fuzz.js';

const TEXT_SEEDS = [
  '# HELP http_requests_total The total.\n# TYPE http_requests_total counter\nhttp_requests_total{method="post",code="200"} 1027 1395066363000\nhttp_requests_total{method="post",code="400"}    3 1395066363000\n',
  'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9\nmetric_without_timestamp_and_labels 12.47\nsomething_weird{problem="division by zero"} +Inf -3982045\n',
  '# TYPE rpc_duration_seconds summary\nrpc_duration_seconds{quantile="0.01"} 3102\nrpc_duration_seconds{quantile="0.99"} 76656\nrpc_duration_seconds_sum 1.7560473e+07\nrpc_duration_seconds_count 2693\n',
  '# TYPE h histogram\nh_bucket{le="0.05"} 24054\nh_bucket{le="+Inf"} 144320\nh_sum 53423\nh_count 144320\n{"my.dotted.metric", "a-b"="c"} 1\n',
  'a 1\nb{x="y"} 2\r\nc\t\t3  \n\n# comment\nd{__proto__="p",constructor="c"} NaN\n',
];

const OM_SEEDS = [
  '# TYPE a counter\n# HELP a A counter.\na_total{x="1"} 1 # {trace_id="abc"} 0.5 1520879607.789\na_created{x="1"} 1520430000.123\n# TYPE g gauge\n# UNIT g seconds\ng 0.5 1520879607.789\n# EOF\n',
  '# TYPE h histogram\nh_bucket{le="0.1"} 1\nh_bucket{le="+Inf"} 3 # {id="x"} 7\nh_count 3\nh_sum 4.5\nh_created 1520430000\n# TYPE s summary\ns{quantile="0.5"} 1\ns_count 2\ns_sum 3\n# EOF\n',
  '# TYPE st stateset\nst{st="a"} 1\nst{st="b"} 0\n# TYPE i info\ni_info{v="1"} 1\nu{__proto__="p",hasOwnProperty="h"} -Inf\n# EOF\n',
];

/** Pieces that exercise the number and label rules: what Prometheus refuses and what it barely accepts. */
const CORNERS = ['1e400', '-1e400', '1e-400', '0x10', '0x1p3', '1_000', '+NaN', '-NaN', 'nan', 'Infinity', '-inf', '.5', '5.', '1e', '.', '-5', '+5', '9223372036854775807', '9223372036854775808', '99999999999999999999', '1e30', '1.5', '__proto__', 'constructor', 'hasOwnProperty', '"', '\\', '\\"', '{', '}', ',', '=', '#', '# EOF', ' ', '\t', '\n', '\r', '\0', 'é', '😀', '\u2028', '\uFFFF', '{}', '{a="1",}', 'a="\\n"', '# TYPE x counter', '# HELP x', '# UNIT x seconds', ' # {a="b"} 1'];
const CHARS = ' \t\n\r{}",=\\#_:.+-0123456789eEpPxX_aZ\u00e9';

function mutate(rnd: () => number, body: string): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let s = body;
  const n = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const r = rnd();
    if (r < 0.25) s = s.slice(0, at) + pick(CORNERS) + s.slice(at);
    else if (r < 0.45) s = s.slice(0, at) + pick([...CHARS]) + s.slice(at);
    else if (r < 0.6) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rnd() * 8));
    else if (r < 0.8) {
      // Replace one blank-separated token by a corner value.
      const tokens = s.split(' ');
      tokens[Math.floor(rnd() * tokens.length)] = pick(CORNERS);
      s = tokens.join(' ');
    } else if (r < 0.9) {
      const lines = s.split('\n');
      const i = Math.floor(rnd() * lines.length);
      lines.splice(Math.floor(rnd() * lines.length), 0, lines[i]!);
      s = lines.join('\n');
    } else s = s.slice(0, at);
  }
  return s;
}

/** Runs `f`; an ExpositionError is a verdict, any other exception fails the test with the input. */
function verdict(what: string, input: string, f: () => void): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (e instanceof ExpositionError) {
      assert.ok(Number.isInteger(e.line) && e.line >= 0 && /^line \d+: \S/.test(e.message), `${what}: ${e.message}`);
      return 'error';
    }
    assert.fail(`${what} threw ${(e as Error)?.stack ?? String(e)} on ${JSON.stringify(input)}`);
  }
}

test('the text and OpenMetrics parsers parse or give an ExpositionError on thousands of mutated bodies', { timeout: 120_000 }, () => {
  const counts = { ok: 0, error: 0 };
  for (const seed of [1, 2, 3]) {
    const rnd = prng(seed);
    for (let i = 0; i < 1500; i++) {
      const text = mutate(rnd, TEXT_SEEDS[i % TEXT_SEEDS.length]!);
      const v = verdict(`seed ${seed} #${i} text`, text, () => {
        if (i % 5 === 0) checkUtf8(Buffer.from(text, 'latin1'), false);
        for (const s of parseText(text, new Map())) parseSeriesText(s.series);
      });
      counts[v as 'ok' | 'error']++;
      const om = mutate(rnd, OM_SEEDS[i % OM_SEEDS.length]!);
      counts[verdict(`seed ${seed} #${i} openmetrics`, om, () => [...parseOpenMetrics(om, new Map(), { startTimestamps: true, exemplars: true })]) as 'ok' | 'error']++;
      counts[verdict(`seed ${seed} #${i} openmetrics strict`, om, () => [...parseOpenMetrics(om, new Map(), { strict: true })]) as 'ok' | 'error']++;
      // The text parser on OpenMetrics bodies and the other way round: formats mixed up by a target.
      counts[verdict(`seed ${seed} #${i} text on openmetrics`, om, () => [...parseText(om)]) as 'ok' | 'error']++;
    }
  }
  // Both outcomes are frequent: the mutations neither always break nor never break the bodies.
  assert.ok(counts.ok > 1000 && counts.error > 1000, JSON.stringify(counts));
});

test('a scrape of mutated text bodies gives the same verdict through the native steady-state path and the JavaScript path', { timeout: 300_000 }, async () => {
  let body = '';
  let latin1 = false;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    // Sometimes as latin1 bytes: é and the like become invalid UTF-8.
    res.end(Buffer.from(body, latin1 ? 'latin1' : 'utf8'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`);
  const T0 = 1_700_000_000_000;
  const storages: Storage[] = [];
  try {
    const loops = [true, false].map((native) => {
      const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-fuzz-')));
      storages.push(storage);
      const port: ScrapeStorage = { seriesRefs: (sets) => storage.seriesRefs(sets), append: (refs, ts, vs) => storage.append(refs, ts, vs) };
      if (native) port.textScrapeCache = () => storage.textScrapeCache();
      const clock = { now: T0 };
      const loop = new ScrapeLoop(url, { job: 'fuzz', instance: 'x:1' }, { intervalMs: 1000, timeoutMs: 5000, honorLabels: false, honorTimestamps: true, sampleLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0, metricRelabel: undefined, http: {} }, { storage: port, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => clock.now });
      return { loop, clock };
    });
    const rnd = prng(99);
    const outcomes = new Set<string>();
    for (let i = 0; i < 600; i++) {
      // Every other scrape is the valid seed, so the next mutated body meets a warm cache: its
      // unchanged lines take the native fast path and the mutated ones the residue.
      const seed = TEXT_SEEDS[Math.floor(i / 2) % TEXT_SEEDS.length]!;
      body = i % 2 === 0 ? seed : mutate(rnd, seed);
      latin1 = i % 2 === 1 && rnd() < 0.2;
      const states: string[] = [];
      for (const { loop, clock } of loops) {
        clock.now = T0 + i * 1000;
        await loop.scrapeOnce();
        const { health, lastError } = loop.state;
        assert.ok(lastError === '' || /^line \d+: \S/.test(lastError), `#${i}: not a parse error: ${lastError} on ${JSON.stringify(body)}`);
        states.push(`${health} ${lastError}`);
      }
      assert.equal(states[0], states[1], `#${i}: native and JavaScript paths differ on ${JSON.stringify(body)}`);
      outcomes.add(loops[0]!.loop.state.health);
    }
    assert.deepEqual([...outcomes].sort(), ['down', 'up']);
    for (const { loop } of loops) await loop.stop(false);
  } finally {
    server.close();
    for (const s of storages) s.close();
  }
});
