// The scrape loop's semantics, on both of its paths: text-format bodies through the native scrape
// cache (crates/scrape) and the JavaScript path (OpenMetrics bodies, or a storage without the native
// cache). The same sequence of bodies must leave the same samples, stale markers and report series
// in the storage either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScrapeLoop } from '../../src/scrape/loop.js';
import { acceptHeader } from '../../src/scrape/accept.js';
import type { ScrapeOptions, ScrapeStorage, TextScrapeCachePort } from '../../src/scrape/loop.js';
import { ExpositionCodecImpl } from '../../src/exposition/index.js';
import { Storage } from '../../src/storage/index.js';
import { Logger } from '../../src/util/logger.js';
import { Engine } from '../../src/promql/index.js';
import { randomFractions as prng } from '../helpers/random.js';

const T0 = 1_700_000_000_000;
const TEXT = 'text/plain; version=0.0.4';
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

interface Step {
  body: string;
  contentType?: string;
}

async function serve(steps: Step[]): Promise<{ server: Server; url: URL; next: () => void }> {
  let i = 0;
  const server = createServer((_req, res) => {
    const s = steps[Math.min(i, steps.length - 1)]!;
    res.writeHead(200, { 'Content-Type': s.contentType ?? TEXT });
    res.end(s.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { server, url: new URL(`http://127.0.0.1:${port}/metrics`), next: () => i++ };
}

function options(o: Partial<ScrapeOptions> = {}): ScrapeOptions {
  return {
    intervalMs: 1000,
    timeoutMs: 1000,
    honorLabels: false,
    honorTimestamps: true,
    sampleLimit: 0,
    labelLimit: 0,
    labelNameLengthLimit: 0,
    labelValueLengthLimit: 0,
    metricRelabel: (l) => (l.__name__ === 'dropme' ? null : l),
    http: {},
    ...o,
  };
}

/** Everything the storage holds: samples per series, and which series are present just after each scrape (stale markers hide them). */
function dump(storage: Storage, scrapes: number): { samples: Record<string, [number, number][]>; present: Record<string, string> } {
  const sel = storage.select([{ type: '=~', name: '__name__', value: '.+' }], 0, T0 + 1e9);
  const { offsets, t, v } = sel.samples();
  const samples: Record<string, [number, number][]> = {};
  sel.labels.forEach((l, i) => {
    const key = JSON.stringify(l);
    samples[key] = [];
    for (let k = offsets[i]!; k < offsets[i + 1]!; k++) samples[key].push([t[k]! - T0, v[k]!]);
  });
  const m = sel.instant({ start: T0 + 1, end: T0 + 1 + (scrapes - 1) * 1000, step: 1000 }, 300_000);
  const present: Record<string, string> = {};
  sel.labels.forEach((l, i) => {
    let row = '';
    for (let s = 0; s < scrapes; s++) row += m.present[i * scrapes + s] ? 'x' : '.';
    present[JSON.stringify(l)] = row;
  });
  return { samples, present };
}

interface Run {
  states: { health: string; lastError: string; lastSamples: number; help: string | undefined }[];
  stored: ReturnType<typeof dump>;
  completeScans: number;
  /** Samples the storage refused as duplicates (e.g. a stale marker where the scrape wrote a sample). */
  duplicates: number;
}

/** Scrapes each step once (scrape i at T0 + i s), then removes the target. */
async function run(steps: Step[], native: boolean, o: Partial<ScrapeOptions> = {}): Promise<Run> {
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-scrape-loop-')));
  const target = await serve(steps);
  let completeScans = 0;
  const port: ScrapeStorage = {
    seriesRefs: (sets) => storage.seriesRefs(sets),
    append: (refs, ts, vs) => storage.append(refs, ts, vs),
  };
  if (native) {
    port.textScrapeCache = (): TextScrapeCachePort => {
      const c = storage.textScrapeCache();
      return {
        scan: async (body, ts, honor, track) => {
          const r = await c.scan(body, ts, honor, track);
          if (r === null) completeScans++;
          return r;
        },
        finish: (residue, ts, limit, adopt) => c.finish(residue, ts, limit, adopt),
        fail: (ts, except) => c.fail(ts, except),
      };
    };
  }
  let now = T0;
  const loop = new ScrapeLoop(target.url, { job: 'j', instance: 'i:1' }, options(o), { storage: port, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => now });
  const states: Run['states'] = [];
  try {
    for (let i = 0; i < steps.length; i++) {
      now = T0 + i * 1000;
      await loop.scrapeOnce();
      states.push({ health: loop.state.health, lastError: loop.state.lastError, lastSamples: loop.state.lastSamples, help: loop.metadata.get('a_total')?.help });
      target.next();
    }
    now = T0 + steps.length * 1000;
    await loop.stop(true);
    return { states, stored: dump(storage, steps.length + 1), completeScans, duplicates: storage.stats().counters.duplicate };
  } finally {
    target.server.close();
    storage.close();
  }
}

const steady = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 1\na_total{x="2"} 2\nb 3\nc{y="z",job="scraped"} 4\ndropme 5\n';
const STEPS: Step[] = [
  { body: steady },
  // A new series, a value in one of Go's other spellings, a timestamp.
  { body: steady.replace('b 3', 'b 30\nd 7\nweird +infinity\ntimed 1 1700000000500') },
  // A series vanishes; HELP changes.
  { body: '# HELP a_total A changed.\n# TYPE a_total counter\na_total{x="1"} 11\nb 31\nc{y="z",job="scraped"} 41\ndropme 5\nd 8\nweird +infinity\n' },
  // A malformed line fails the scrape.
  { body: 'a_total{x="1"} 12\nb not-a-number\n' },
  // Back, with special values and blanks between tokens.
  { body: '# HELP a_total A changed.\n# TYPE a_total counter\na_total{x="1"} 13\nb\t\t32  \nc{y="z",job="scraped"} +Inf\nd NaN\ne{le="+Inf"} -Inf\nf 1e-3\n' },
  // The same again: the steady state.
  { body: '# HELP a_total A changed.\n# TYPE a_total counter\na_total{x="1"} 14\nb\t\t33  \nc{y="z",job="scraped"} 1.5\nd NaN\ne{le="+Inf"} -Inf\nf 2E+2\n' },
  // OpenMetrics: the JavaScript path; series it does not repeat go stale.
  { body: '# TYPE a counter\na_total{x="1"} 15\nb 34\n# EOF\n', contentType: OPENMETRICS },
  // And back to the text format.
  { body: 'a_total{x="1"} 16\nb 35\ng 1\n' },
];

test('the native and the JavaScript paths store the same samples, stale markers and report series', async () => {
  const nat = await run(STEPS, true);
  const js = await run(STEPS, false);
  assert.deepEqual(nat.states, js.states);
  // scrape_series_added counts series new to the cache that took the scrape: when a target switches
  // to OpenMetrics (scrape 6) the JavaScript cache has not seen the series yet.
  const added = JSON.stringify({ __name__: 'scrape_series_added', instance: 'i:1', job: 'j' });
  assert.deepEqual(nat.stored.samples[added]!.map(([, v]) => v), [4, 3, 0, 0, 2, 0, 2, 1]);
  assert.deepEqual(js.stored.samples[added]!.map(([, v]) => v), [4, 3, 0, 0, 2, 0, 0, 1]);
  delete nat.stored.samples[added];
  delete js.stored.samples[added];
  assert.deepEqual(nat.stored, js.stored);
  assert.ok(nat.completeScans >= 1, 'the steady-state scrape was handled natively in full');
  assert.deepEqual([nat.duplicates, js.duplicates], [0, 0], 'switching formats marks stale only what the new scrape lacks');

  const s = nat.stored;
  const key = (l: Record<string, string>): string => JSON.stringify(Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1))));
  const lab = (name: string, extra: Record<string, string> = {}): string => key({ __name__: name, instance: 'i:1', job: 'j', ...extra });
  assert.deepEqual(nat.states.map((x) => x.health), ['up', 'up', 'up', 'down', 'up', 'up', 'up', 'up']);
  assert.deepEqual(nat.states.map((x) => x.help), ['A.', 'A.', 'A changed.', 'A changed.', 'A changed.', 'A changed.', undefined, undefined], 'metadata of the last successful scrape');
  assert.match(nat.states[3]!.lastError, /line 2.*invalid value "not-a-number"/);
  assert.deepEqual(s.samples[lab('up')]!.map(([, v]) => v), [1, 1, 1, 0, 1, 1, 1, 1]);
  assert.deepEqual(s.samples[lab('scrape_samples_scraped')]!.map(([, v]) => v), [5, 8, 6, 0, 6, 6, 2, 3]);
  assert.deepEqual(s.samples[lab('scrape_samples_post_metric_relabeling')]!.map(([, v]) => v), [4, 7, 5, 0, 6, 6, 2, 3]);
  assert.equal(s.samples[lab('dropme')], undefined, 'metric relabeling dropped it');
  assert.deepEqual(s.samples[lab('c', { exported_job: 'scraped', y: 'z' })]!.map(([t]) => t), [0, 1000, 2000, 4000, 5000]);
  assert.deepEqual(s.samples[lab('timed')], [[500, 1]], 'honor_timestamps keeps the exposed timestamp');
  assert.deepEqual(s.samples[lab('weird')], [[1000, Infinity], [2000, Infinity]]);
  assert.deepEqual(s.samples[lab('f')], [[4000, 0.001], [5000, 200]]);
  // a_total{x="2"} went stale at scrape 2; everything at the failed scrape 3 and at the removal (8).
  assert.equal(s.present[lab('a_total', { x: '2' })], 'xx.......');
  assert.equal(s.present[lab('a_total', { x: '1' })], 'xxx.xxxx.');
  assert.equal(s.present[lab('f')], '....xx...', 'gone stale when the OpenMetrics scrape lacked it');
  assert.equal(s.present[lab('g')], '.......x.');
  assert.equal(s.present[lab('up')], 'xxxxxxxx.');
});

test('honor_timestamps off, honor_labels on, and the sample limit, on both paths', async () => {
  const steps: Step[] = [{ body: 'a{job="mine"} 1 1700000000500\nb 2\n' }, { body: 'a{job="mine"} 2 1700000001500\nb 3\n' }, { body: 'a{job="mine"} 3\nb 4\nc 5\n' }];
  for (const native of [true, false]) {
    const r = await run(steps, native, { honorTimestamps: false, honorLabels: true, sampleLimit: 2 });
    const a = JSON.stringify({ __name__: 'a', instance: 'i:1', job: 'mine' });
    assert.deepEqual(r.stored.samples[a], [[0, 1], [1000, 2]], `native=${native}`);
    assert.deepEqual(r.states.map((s) => s.lastError), ['', '', 'sample limit exceeded'], `native=${native}`);
    assert.equal(r.stored.present[a], 'xx..');
  }
});

test('random bodies (odd spellings, corrupt lines, churn) give the same result on both paths', async () => {
  const series = [
    'plain',
    'with_labels{a="1",b="two"}',
    'escaped{path="/a \\"q\\" }",x="\\\\"}',
    'spaced{v="a b c"}',
    'dropme{k="v"}',
    'c:colon_name{le="+Inf"}',
    ...Array.from({ length: 20 }, (_, i) => `many_total{i="${i}"}`),
  ];
  // Prometheus 2.42 refuses 0x1p4, 1e400, +NaN and 1_000 (the scrape fails); the others are values.
  const values = ['1', '42', '-3', '1.5', '1e3', '2E-2', 'NaN', '+Inf', '-Inf', 'infinity', '12345678901234567', '.5', '0x1p4', '1e400', '+NaN', '1_000'];
  let complete = 0;
  // Seeds 1 and 7 write odd lines often (most scrapes have a residue); 42 and 1234 rarely.
  for (const [seed, odd] of [[1, 1], [7, 1], [42, 0.1], [1234, 0.1]] as const) {
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    let order = [...series];
    const steps: Step[] = [];
    for (let s = 0; s < 10; s++) {
      if (rnd() < 0.3) order = order.filter(() => rnd() > 0.1); // some series vanish
      if (rnd() < 0.3) order = [...order, ...series.filter((x) => !order.includes(x) && rnd() < 0.5)]; // some come back, at the end
      const lines: string[] = [];
      if (rnd() < 0.5) lines.push(`# HELP plain Help ${rnd() < 0.2 ? 'changed' : 'text'}.`, '# TYPE plain gauge');
      for (const x of order) {
        let sep = ' ';
        if (rnd() < 0.1) sep = '\t';
        if (rnd() < 0.05) sep = '   ';
        let line = `${x}${sep}${rnd() < odd ? pick(values) : String(s * 10)}`;
        if (rnd() < 0.1) line += ` ${1_700_000_000_000 + s * 1000 - 500}`;
        if (rnd() < 0.003) line += '\r'; // refused, as Prometheus refuses \r\n line ends
        if (rnd() < 0.03 * odd) line = ` ${line}`;
        lines.push(line);
        if (rnd() < 0.03) lines.push('');
      }
      if (rnd() < 0.08 * odd) lines.splice(Math.floor(rnd() * lines.length), 0, pick(['broken{ line 1', 'x 1 2 3', 'y notanumber', 'z{a="1"} 1 1.5']));
      steps.push({ body: lines.join('\n') + '\n' });
    }
    const nat = await run(steps, true);
    const js = await run(steps, false);
    assert.deepEqual(nat.states, js.states, `seed ${seed}`);
    assert.deepEqual(nat.stored, js.stored, `seed ${seed}`);
    assert.deepEqual([nat.duplicates, js.duplicates], [0, 0], `seed ${seed}`);
    complete += nat.completeScans;
  }
  assert.ok(complete > 0, 'some scrapes were handled natively in full');
});

test('st-storage: OpenMetrics _created values are stored as start timestamps and mark counter resets', async () => {
  const created = (s: number): string => String((T0 + s) / 1000);
  const body = (total: number, createdAt: number): string =>
    `# TYPE req counter\nreq_total{p="a"} ${total}\nreq_created{p="a"} ${created(createdAt)}\n# TYPE lat histogram\nlat_bucket{le="1"} ${total}\nlat_bucket{le="+Inf"} ${total}\nlat_count ${total}\nlat_sum ${total}\nlat_created ${created(createdAt)}\n# TYPE g gauge\ng 1\n# EOF\n`;
  // The counter restarts between the 2nd and 3rd scrape and already counts more than before:
  // only the new _created value tells.
  const steps: Step[] = [{ body: body(10, -100_000), contentType: OPENMETRICS }, { body: body(20, -100_000), contentType: OPENMETRICS }, { body: body(25, 1500), contentType: OPENMETRICS }];
  for (const store of [true, false]) {
    const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-scrape-st-')));
    const target = await serve(steps);
    let now = T0;
    const port: ScrapeStorage = { seriesRefs: (sets) => storage.seriesRefs(sets), append: (refs, ts, vs, sts) => storage.append(refs, ts, vs, sts) };
    const loop = new ScrapeLoop(target.url, { job: 'j', instance: 'i:1' }, options({ storeStartTimestamps: store }), { storage: port, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => now });
    try {
      for (let i = 0; i < steps.length; i++) {
        now = T0 + i * 1000;
        await loop.scrapeOnce();
        assert.equal(loop.state.health, 'up', loop.state.lastError);
        target.next();
      }
      const withSt = new Engine(storage, { useStartTimestamps: true });
      const value = (q: string): number[] => {
        const r = withSt.instantQuery(q, T0 + 2000);
        return r.resultType === 'vector' ? r.result.map((s) => s.value) : [];
      };
      const names = storage.labelValues('__name__', [], 0, T0 + 10_000);
      if (store) {
        assert.ok(!names.includes('req_created') && !names.includes('lat_created'), `_created series are not stored: ${names.join(', ')}`);
        assert.deepEqual(value('resets(req_total[10s])'), [1]);
        assert.deepEqual(value('resets(lat_count[10s])'), [1]);
        assert.deepEqual(value('irate(req_total[10s])'), [25], 'the restart counted from zero');
        // The same data read without use-start-timestamps: no reset visible.
        assert.deepEqual(new Engine(storage).instantQuery('resets(req_total[10s])', T0 + 2000).result, [{ metric: { instance: 'i:1', job: 'j', p: 'a' }, t: T0 + 2000, value: 0 }]);
      } else {
        assert.ok(names.includes('req_created') && names.includes('lat_created'), 'without st-storage _created stays a series of its own');
        assert.deepEqual(value('resets(req_total[10s])'), [0]);
      }
      assert.deepEqual(value('g'), [1]);
    } finally {
      await loop.stop(false);
      target.server.close();
      storage.close();
    }
  }
});

test('series with their own timestamps get no stale marker, unless track_timestamps_staleness', async () => {
  const steps: Step[] = [{ body: `a 1\nb 2 ${T0 - 500}\n` }, { body: `a 1\nb 3 ${T0 + 500}\n` }, { body: 'a 1\n' }];
  for (const native of [true, false]) {
    const plain = await run(steps, native);
    const b = Object.entries(plain.stored.present).find(([k]) => k.includes('"b"'))![1];
    const a = Object.entries(plain.stored.present).find(([k]) => k.includes('"__name__":"a"'))![1];
    assert.equal(b, 'xxxx', `native ${native}: b stays until the lookback ends`);
    assert.equal(a, 'xxx.', `native ${native}: a goes stale when the target is removed`);
    const tracked = await run(steps, native, { trackTimestampsStaleness: true });
    assert.equal(Object.entries(tracked.stored.present).find(([k]) => k.includes('"b"'))![1], 'xx..', `native ${native}: tracked, b goes stale when it vanishes`);
  }
});

test('scrape_protocols, enable_compression and fallback_scrape_protocol shape the request and the reading', async () => {
  assert.equal(
    acceptHeader(['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'], 'allow-utf-8'),
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  );
  assert.equal(acceptHeader(['PrometheusProto', 'PrometheusText0.0.4'], 'underscores'), 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,text/plain;version=0.0.4;q=0.5,*/*;q=0.4');
  const seen: { accept: string | undefined; encoding: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ accept: req.headers.accept, encoding: req.headers['accept-encoding'] });
    // No Content-Type, an OpenMetrics body: read as the fallback protocol says.
    res.end('# TYPE c counter\nc_total 3 # {trace_id="a"} 1\nc_created 1700000000\n# EOF\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const storage = Storage.open(mkdtempSync(join(tmpdir(), 'promethium-scrape-protocols-')));
  try {
    const url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`);
    const port: ScrapeStorage = { seriesRefs: (sets) => storage.seriesRefs(sets), append: (refs, ts, vs, sts) => storage.append(refs, ts, vs, sts) };
    const accept = acceptHeader(['PrometheusText0.0.4'], 'underscores');
    const loop = new ScrapeLoop(url, { job: 'j', instance: 'i:1' }, options({ http: { accept, compression: false }, fallbackContentType: 'application/openmetrics-text;version=1.0.0' }), { storage: port, codec: new ExpositionCodecImpl(), logger: new Logger({ level: 'error', write: () => undefined }), now: () => T0 });
    await loop.scrapeOnce();
    assert.equal(loop.state.health, 'up', loop.state.lastError);
    assert.deepEqual(seen, [{ accept, encoding: 'identity' }]);
    // Read as OpenMetrics: the text format would refuse the exemplar after the value.
    assert.deepEqual(storage.labelValues('__name__', [], 0, T0 + 1).filter((n) => n.startsWith('c_')), ['c_created', 'c_total']);
    await loop.stop(false);
  } finally {
    server.close();
    storage.close();
  }
});

test('metric_name_validation_scheme: legacy refuses names outside the old character sets', async () => {
  const body = '{"my.metric", "the-label"="x"} 1\nplain 2\n';
  for (const native of [true, false]) {
    const utf8 = await run([{ body }], native);
    assert.equal(utf8.states[0]!.health, 'up', utf8.states[0]!.lastError);
    const legacy = await run([{ body }], native, { legacyNameValidation: true });
    assert.equal(legacy.states[0]!.health, 'down');
    assert.match(legacy.states[0]!.lastError, /^invalid metric name or label names: .*my\.metric/);
  }
});
