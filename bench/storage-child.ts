// Benchmark workers for `npm run bench` (one process each, so resident memory is theirs alone).
//   ingest DIR SERIES ROUNDS   append ROUNDS scrapes of SERIES series in batches of 10k
//   replay DIR                 open DIR (WAL replay) and report time and memory
//   reingest SRC DST           copy every sample of the blocks in SRC through our append path into DST
//   kernels DIR                rate() over 10k series x 2h at a 15s step
import { readFileSync } from 'node:fs';
import { Storage } from '../src/storage/index.js';

function rssBytes(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const BATCH = 10_000;
const [mode, a, b, c] = process.argv.slice(2);

function ingest(dir: string, series: number, rounds: number): void {
  gc();
  const before = rssBytes();
  const s = Storage.open(dir, { retentionMs: 0 });
  const refs: Uint32Array[] = [];
  for (let start = 0; start < series; start += BATCH) {
    const sets = [];
    for (let i = start; i < Math.min(series, start + BATCH); i++) {
      sets.push({ __name__: `bench_metric_${i % 200}`, instance: `host-${Math.floor(i / 1000)}:9100`, job: 'node', id: String(i) });
    }
    refs.push(s.seriesRefs(sets));
  }
  const t0 = 1_700_000_000_000;
  const ts = new Float64Array(BATCH);
  const vs = new Float64Array(BATCH);
  let appendNs = 0n;
  let samples = 0;
  for (let r = 0; r < rounds; r++) {
    ts.fill(t0 + r * 60_000);
    for (const batch of refs) {
      const n = batch.length;
      for (let i = 0; i < n; i++) vs[i] = r * (i % 7) + (i % 13) * 0.25;
      const t = ts.subarray(0, n);
      const v = vs.subarray(0, n);
      const begin = process.hrtime.bigint();
      const res = s.append(batch, t, v);
      appendNs += process.hrtime.bigint() - begin;
      samples += res.appended;
    }
  }
  gc();
  const after = rssBytes();
  const stats = s.stats(1);
  s.close();
  console.log(JSON.stringify({ samples, appendSeconds: Number(appendNs) / 1e9, samplesPerSecond: samples / (Number(appendNs) / 1e9), rssBytes: after, rssDeltaBytes: after - before, series: stats.numSeries, walBytes: stats.walBytes }));
}

function replay(dir: string): void {
  gc();
  const before = rssBytes();
  const begin = process.hrtime.bigint();
  const s = Storage.open(dir, { retentionMs: 0 });
  const wall = Number(process.hrtime.bigint() - begin) / 1e9;
  gc();
  const after = rssBytes();
  const info = s.replayInfo();
  const stats = s.stats(1);
  s.close();
  console.log(JSON.stringify({ openSeconds: wall, replaySeconds: info.durationMs / 1000, samples: info.samples, series: stats.numSeries, rssBytes: after, rssDeltaBytes: after - before }));
}

async function reingest(src: string, dst: string): Promise<void> {
  const from = Storage.open(src, { retentionMs: 0 });
  const sel = from.select([{ type: '=~', name: '__name__', value: '.+' }], 0, 4e12);
  const labels = sel.labels;
  const { offsets, t, v } = sel.samples();
  const to = Storage.open(dst, { retentionMs: 0 });
  const refs = to.seriesRefs(labels);
  // Append in scrape order: the i-th sample of every series, then the next.
  const cursor = Array.from(offsets.subarray(0, labels.length));
  let appended = 0;
  for (;;) {
    const r: number[] = [];
    const ts: number[] = [];
    const vs: number[] = [];
    for (let i = 0; i < labels.length; i++) {
      const at = cursor[i]!;
      if (at < offsets[i + 1]!) {
        r.push(refs[i]!);
        ts.push(t[at]!);
        vs.push(v[at]!);
        cursor[i] = at + 1;
      }
    }
    if (r.length === 0) break;
    appended += to.append(Uint32Array.from(r), Float64Array.from(ts), Float64Array.from(vs)).appended;
  }
  from.close();
  await to.snapshot(`${dst}/snapshot`, true);
  to.close();
  console.log(JSON.stringify({ series: labels.length, samples: t.length, appended }));
}

function kernels(dir: string): void {
  const s = Storage.open(dir, { retentionMs: 0 });
  const series = 10_000;
  const t0 = 1_700_000_000_000;
  const refs = s.seriesRefs(Array.from({ length: series }, (_, i) => ({ __name__: 'http_requests_total', instance: `h${i % 100}`, id: String(i) })));
  const ts = new Float64Array(series);
  const vs = new Float64Array(series);
  const steps = (2 * 3600) / 15;
  for (let k = 0; k <= steps; k++) {
    ts.fill(t0 + k * 15_000);
    for (let i = 0; i < series; i++) vs[i] = k * (1 + (i % 5));
    s.append(refs, ts, vs);
  }
  const runs: number[] = [];
  let cells = 0;
  for (let r = 0; r < 5; r++) {
    const begin = process.hrtime.bigint();
    const sel = s.select([{ type: '=', name: '__name__', value: 'http_requests_total' }], t0, t0 + 2 * 3600_000);
    const m = sel.evalRange('rate', [], { start: t0 + 300_000, end: t0 + 2 * 3600_000, step: 15_000 }, 300_000);
    runs.push(Number(process.hrtime.bigint() - begin) / 1e9);
    cells = m.values.length;
  }
  runs.sort((x, y) => x - y);
  s.close();
  const median = runs[2]!;
  console.log(JSON.stringify({ series, samplesPerSeries: steps + 1, outputCells: cells, medianSeconds: median, cellsPerSecond: cells / median, samplesScannedPerSecond: (series * (steps + 1)) / median }));
}

switch (mode) {
  case 'ingest':
    ingest(a!, Number(b), Number(c));
    break;
  case 'replay':
    replay(a!);
    break;
  case 'reingest':
    await reingest(a!, b!);
    break;
  case 'kernels':
    kernels(a!);
    break;
  default:
    console.error('usage: storage-child.ts ingest|replay|reingest|kernels ...');
    process.exit(2);
}
