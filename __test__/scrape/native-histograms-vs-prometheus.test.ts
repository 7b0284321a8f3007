// Side by side with Debian's Prometheus 2.42 (--enable-feature=native-histograms): both scrape the
// same protobuf target, which this test serves with protobufjs. Each scraper gets its own copy of
// one fixed timeline of native-histogram samples (explicit timestamps, so scrape timing does not
// matter), and the histogram functions over rate() must give the same answers from both (for
// histogram_quantile: the same answer up to 3.0's changed interpolation, checked explicitly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMetricFamilies, type ProtoMetricFamily } from '../../src/exposition/metrics-proto.js';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const STEP_MS = 15_000;
const SAMPLES = 12;

/** A deterministic PRNG (mulberry32) so the timeline is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The timeline: a schema-3 integer histogram of observations around 0.1-4 (some negative, some in
 * the zero bucket), cumulative over time, one sample per STEP_MS ending 2 minutes before `now`.
 */
function timeline(now: number): { t: number; family: ProtoMetricFamily }[] {
  const rand = prng(42);
  const schema = 3;
  const pos = new Map<number, number>();
  const neg = new Map<number, number>();
  let zero = 0;
  let count = 0;
  let sum = 0;
  const start = Math.floor((now - 2 * 60_000 - SAMPLES * STEP_MS) / 1000) * 1000;
  const out: { t: number; family: ProtoMetricFamily }[] = [];
  for (let k = 0; k < SAMPLES; k++) {
    for (let i = 0; i < 40 + Math.floor(rand() * 40); i++) {
      const r = rand();
      const v = r < 0.05 ? 0 : r < 0.15 ? -(0.1 + rand() * 2) : 0.1 + rand() ** 2 * 4;
      count++;
      sum += v;
      if (Math.abs(v) <= 1e-6) zero++;
      else {
        // Bucket index of |v| at this schema: the smallest i with 2^(i/8) >= |v|.
        const idx = Math.ceil(Math.log2(Math.abs(v)) * 2 ** schema);
        const side = v > 0 ? pos : neg;
        side.set(idx, (side.get(idx) ?? 0) + 1);
      }
    }
    const encode = (m: Map<number, number>) => {
      const idx = [...m.keys()].sort((a, b) => a - b);
      const spans: { offset: number; length: number }[] = [];
      const deltas: number[] = [];
      let next = 0;
      let previous = 0;
      idx.forEach((b, i) => {
        if (i > 0 && b === next) spans[spans.length - 1]!.length++;
        else spans.push({ offset: i === 0 ? b : b - next, length: 1 });
        next = b + 1;
        deltas.push(m.get(b)! - previous);
        previous = m.get(b)!;
      });
      return { spans, deltas };
    };
    const p = encode(pos);
    const n = encode(neg);
    const t = start + k * STEP_MS;
    out.push({
      t,
      family: {
        name: 'rpc_duration_seconds',
        help: 'RPC latency.',
        type: 4,
        metric: [{ label: [{ name: 'service', value: 'api' }], timestampMs: t, histogram: { sampleCount: count, sampleSum: sum, schema, zeroThreshold: 1e-6, zeroCount: zero, positiveSpan: p.spans, positiveDelta: p.deltas, negativeSpan: n.spans, negativeDelta: n.deltas } }],
      },
    });
  }
  return out;
}

type Bucket = [number, string, string, string];

/**
 * histogram_quantile from a histogram's API buckets: the bucket holding rank q*count, interpolated
 * linearly (Prometheus 2.x) or, in exponential buckets above zero, exponentially (Prometheus 3.x,
 * which Promethium follows).
 */
function quantileOf(buckets: readonly Bucket[], count: number, q: number, mode: 'linear' | 'exponential'): number {
  const rank = q * count;
  let cumulative = 0;
  for (const [, lowerText, upperText, countText] of buckets) {
    const c = Number(countText);
    if (cumulative + c < rank) {
      cumulative += c;
      continue;
    }
    const lower = Number(lowerText);
    const upper = Number(upperText);
    const fraction = (rank - cumulative) / c;
    if (mode === 'exponential' && lower > 0) return 2 ** (Math.log2(lower) + (Math.log2(upper) - Math.log2(lower)) * fraction);
    return lower + (upper - lower) * fraction;
  }
  return Number(buckets[buckets.length - 1]![2]);
}

const QUANTILES = [0.9, 0.5, 0.99];

/** Functions whose semantics did not change from 2.42 to 3.x: the same numbers from both. */
const QUERIES = [
  'histogram_count(rate(rpc_duration_seconds[1m]))',
  'histogram_sum(rate(rpc_duration_seconds[1m]))',
  'histogram_fraction(0, 0.5, rate(rpc_duration_seconds[1m]))',
  'histogram_fraction(-1, 1, rate(rpc_duration_seconds[1m]))',
];

test('histogram_count/sum/fraction/quantile over rate() agree with Prometheus 2.42 scraping the same protobuf target', { timeout: 120_000 }, async (t) => {
  assert.equal(spawnSync('prometheus', ['--version']).status, 0, "Debian's prometheus 2.42 is missing: apt-get install prometheus (.ci/run does)");
  const now = Date.now();
  const samples = timeline(now);
  // Each scraper walks the timeline on its own path, one sample per scrape, then stays on the last.
  const served = new Map<string, number>();
  const target = createServer((req, res) => {
    const k = served.get(req.url ?? '') ?? 0;
    served.set(req.url ?? '', k + 1);
    const accept = req.headers.accept ?? '';
    if (!accept.includes('application/vnd.google.protobuf')) {
      res.writeHead(406).end(`no protobuf in Accept: ${accept}\n`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' });
    res.end(encodeMetricFamilies([samples[Math.min(k, SAMPLES - 1)]!.family]));
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetPort = (target.address() as { port: number }).port;
  const procs: ChildProcess[] = [];
  t.after(() => {
    for (const p of procs) p.kill('SIGKILL');
    target.close();
  });
  const start = async (kind: 'ours' | 'prometheus'): Promise<string> => {
    const dir = mkdtempSync(join(tmpdir(), `promethium-nh-${kind}-`));
    const port = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: rpc\n    metrics_path: /${kind}\n    static_configs:\n      - targets: ["127.0.0.1:${targetPort}"]\n`);
    const args = [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=native-histograms'];
    procs.push(kind === 'ours' ? spawn(process.execPath, ['--import', 'tsx', cli, 'server', ...args], { stdio: 'ignore' }) : spawn('prometheus', args, { stdio: 'ignore' }));
    return `http://127.0.0.1:${port}`;
  };
  const [ours, prom] = await Promise.all([start('ours'), start('prometheus')]);
  await waitFor('both scrapers through the timeline', async () => ((served.get('/ours') ?? 0) > SAMPLES && (served.get('/prometheus') ?? 0) > SAMPLES ? true : undefined), 600, 100);
  // Between samples: Prometheus 2.42's range selectors include a sample exactly at the window's
  // start, 3.x's (and ours) do not; off the sample grid both windows hold the same samples.
  const at = ((samples[SAMPLES - 1]!.t + STEP_MS / 2) / 1000).toString();
  const query = async (base: string, q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const r = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}&time=${at}`)).json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(r.status, 'success', `${base} ${q}: ${r.error}`);
    return r.data.result;
  };
  // The servers answer once the last scrape is in the head.
  await waitFor('our server has the histogram', async () => ((await query(ours, QUERIES[2]!)).length > 0 ? true : undefined), 100, 100);
  await waitFor('Prometheus has the histogram', async () => ((await query(prom, QUERIES[2]!)).length > 0 ? true : undefined), 100, 100);
  for (const q of QUERIES) {
    const [a, b] = await Promise.all([query(ours, q), query(prom, q)]);
    assert.equal(a.length, 1, `${q}: ours ${JSON.stringify(a)}`);
    assert.equal(b.length, 1, `${q}: Prometheus ${JSON.stringify(b)}`);
    assert.deepEqual(a[0]!.metric, b[0]!.metric, q);
    const x = Number(a[0]!.value[1]);
    const y = Number(b[0]!.value[1]);
    assert.ok(Number.isFinite(y), `${q}: Prometheus gave ${b[0]!.value[1]}`);
    assert.ok(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)), `${q}: ours ${a[0]!.value[1]}, Prometheus ${b[0]!.value[1]}`);
  }
  // histogram_quantile: Prometheus 3.0 interpolates exponentially inside exponential buckets where
  // 2.42 interpolated linearly. Both answers are checked against the same rate() histogram (from
  // Prometheus's API): ours with 3.x's rule, Prometheus 2.42's with its own; and both in one bucket.
  const rated = async (base: string) => ((await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent('rate(rpc_duration_seconds[1m])')}&time=${at}`)).json()) as { data: { result: { histogram: [number, { count: string; buckets: Bucket[] }] }[] } }).data.result[0]!.histogram[1];
  const reference = await rated(prom);
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
  for (const q of QUANTILES) {
    const expr = `histogram_quantile(${q}, rate(rpc_duration_seconds[1m]))`;
    const [a, b] = await Promise.all([query(ours, expr), query(prom, expr)]);
    const x = Number(a[0]!.value[1]);
    const y = Number(b[0]!.value[1]);
    const exponential = quantileOf(reference.buckets, Number(reference.count), q, 'exponential');
    const linear = quantileOf(reference.buckets, Number(reference.count), q, 'linear');
    assert.ok(close(y, linear), `${expr}: Prometheus 2.42 ${y}, linear interpolation ${linear}`);
    assert.ok(close(x, exponential), `${expr}: ours ${x}, exponential interpolation ${exponential}`);
    const bucket = reference.buckets.find(([, l, u]) => Number(l) <= y && y <= Number(u))!;
    assert.ok(Number(bucket[1]) <= x && x <= Number(bucket[2]), `${expr}: ours ${x} outside Prometheus's bucket ${JSON.stringify(bucket)}`);
  }
  // The raw histogram reads back with the same count and sum through both APIs.
  const raw = async (base: string) => ((await (await fetch(`${base}/api/v1/query?query=rpc_duration_seconds&time=${at}`)).json()) as { data: { result: { histogram: [number, { count: string; sum: string; buckets: unknown[] }] }[] } }).data.result[0]!.histogram[1];
  const [ra, rb] = await Promise.all([raw(ours), raw(prom)]);
  assert.equal(ra.count, rb.count);
  assert.ok(Math.abs(Number(ra.sum) - Number(rb.sum)) <= 1e-9 * Math.abs(Number(rb.sum)));
  // Bounds agree to the last bit or one (Go computes them from a table of rounded constants).
  assert.equal(ra.buckets.length, rb.buckets.length);
  (ra.buckets as Bucket[]).forEach((x, i) => {
    const y = (rb.buckets as Bucket[])[i]!;
    assert.deepEqual([x[0], x[3]], [y[0], y[3]], `bucket ${i}: rule and count`);
    for (const k of [1, 2]) assert.ok(Math.abs(Number(x[k]) - Number(y[k])) <= 4e-16 * Math.abs(Number(y[k])), `bucket ${i}: ${x[k]} vs ${y[k]}`);
  });
});
