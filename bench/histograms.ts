// Native-histogram figures (`npm run bench -- histograms [--series N]`): the same generated
// histograms (exponential schema 3, 8..12 populated buckets drifting over time, counts growing,
// a counter reset now and then) stored by us and by Prometheus 2.42 (sent by remote write, its
// head written out as a block by the admin snapshot), compared in chunk bytes per sample; and our
// append and read throughput, per CPU-second of this process (the machine may be shared).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import { Storage } from '../src/storage/index.js';
import { CounterResetHint } from '../src/model/histogram.js';
import type { FloatHistogram } from '../src/model/histogram.js';
import { freePort } from '../src/util/free-port.js';

export interface HistogramFigures {
  series: number;
  samples: number;
  oursBytesPerSample: number;
  prometheusBytesPerSample?: number;
  appendPerSecond: number;
  readPerSecond: number;
  instantCellsPerSecond: number;
}

const STEP = 15_000;
const PER_SERIES = 240;

/** Sample j of series s: deterministic, with the shape real request-latency histograms have. */
function sample(s: number, j: number): FloatHistogram {
  const epoch = Math.floor(j / 97);
  const n = (j % 97) + 1; // resets every 97 samples
  const first = -4 + ((s + epoch) % 5);
  const width = 8 + ((s * 7 + j) % 5 === 0 ? 4 : 0) + (s % 3);
  const positiveBuckets: number[] = [];
  for (let b = 0; b < width; b++) positiveBuckets.push(n * (1 + ((s + b * 3) % 7)) + (b === 0 ? 0 : 0));
  const zeroCount = n % 3;
  return {
    counterResetHint: CounterResetHint.Unknown,
    schema: 3,
    zeroThreshold: 2 ** -128,
    zeroCount,
    count: zeroCount + positiveBuckets.reduce((a, b) => a + b, 0),
    sum: n * (12.5 + (s % 11)),
    positiveSpans: [{ offset: first, length: width }],
    positiveBuckets,
    negativeSpans: [],
    negativeBuckets: [],
    customValues: [],
    isInteger: true,
  };
}

function chunkBytes(blockParent: string): number {
  let total = 0;
  for (const b of readdirSync(blockParent)) {
    const chunks = join(blockParent, b, 'chunks');
    try {
      for (const f of readdirSync(chunks)) total += statSync(join(chunks, f)).size;
    } catch {
      /* not a block */
    }
  }
  return total;
}

const PROMPB = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Histogram histograms = 4; }
message Label { string name = 1; string value = 2; }
message BucketSpan { sint32 offset = 1; uint32 length = 2; }
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  repeated BucketSpan negative_spans = 8;
  repeated sint64 negative_deltas = 9;
  repeated BucketSpan positive_spans = 11;
  repeated sint64 positive_deltas = 12;
  int32 reset_hint = 14;
  int64 timestamp = 15;
}
`;

async function until(what: string, f: () => Promise<boolean>, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`${what}: Prometheus exited with ${child.exitCode}`);
    try {
      if (await f()) return;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Prometheus 2.42's chunk bytes per histogram sample for the same data, or undefined without it. */
async function prometheusBytesPerSample(series: number, start: number): Promise<number | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-bench-nh-prom-'));
  writeFileSync(join(dir, 'p.yml'), 'global: {}\n');
  const port = await freePort();
  let p: ChildProcess;
  try {
    p = spawn('prometheus', [`--config.file=${join(dir, 'p.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=native-histograms', '--web.enable-remote-write-receiver', '--web.enable-admin-api'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  try {
    const base = `http://127.0.0.1:${port}`;
    await until('Prometheus ready', async () => (await fetch(`${base}/-/ready`)).ok, p);
    const root = protobuf.parse(PROMPB, { keepCase: true }).root;
    const req = root.lookupType('prometheus.WriteRequest');
    // One request per 50 series, each with all its samples in time order.
    for (let s0 = 0; s0 < series; s0 += 50) {
      const timeseries = [];
      for (let s = s0; s < Math.min(series, s0 + 50); s++) {
        const histograms = [];
        for (let j = 0; j < PER_SERIES; j++) {
          const h = sample(s, j);
          const deltas = h.positiveBuckets.map((c, k) => c - (k === 0 ? 0 : h.positiveBuckets[k - 1]!));
          histograms.push({ count_int: h.count, sum: h.sum, schema: h.schema, zero_threshold: h.zeroThreshold, zero_count_int: h.zeroCount, positive_spans: h.positiveSpans, positive_deltas: deltas, timestamp: start + j * STEP });
        }
        timeseries.push({ labels: [{ name: '__name__', value: 'bench_nh' }, { name: 'series', value: String(s) }], histograms });
      }
      const body = new Uint8Array(compressSync(req.encode(req.fromObject({ timeseries })).finish()));
      const r = await fetch(`${base}/api/v1/write`, { method: 'POST', body, headers: { 'content-encoding': 'snappy', 'content-type': 'application/x-protobuf', 'x-prometheus-remote-write-version': '0.1.0' } });
      if (!r.ok) throw new Error(`remote write: ${r.status} ${await r.text()}`);
    }
    const snap = (await (await fetch(`${base}/api/v1/admin/tsdb/snapshot`, { method: 'POST' })).json()) as { data: { name: string } };
    return chunkBytes(join(dir, 'data', 'snapshots', snap.data.name)) / (series * PER_SERIES);
  } finally {
    p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU seconds (user + system) of this process since `from`: steadier than wall time on a busy machine. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

export async function measureHistograms(series: number): Promise<HistogramFigures> {
  const start = Date.now() - PER_SERIES * STEP - 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-bench-nh-'));
  const s = Storage.open(join(dir, 'db'));
  const refs = s.seriesRefs(Array.from({ length: series }, (_, i) => ({ __name__: 'bench_nh', series: String(i) })));
  // Appends as a scrape would: one batch of every series per timestamp.
  const batches: { ts: Float64Array; hs: FloatHistogram[] }[] = [];
  for (let j = 0; j < PER_SERIES; j++) batches.push({ ts: new Float64Array(series).fill(start + j * STEP), hs: Array.from({ length: series }, (_, k) => sample(k, j)) });
  let t0 = process.cpuUsage();
  for (const b of batches) {
    const r = s.appendHistograms(refs, b.ts, b.hs);
    if (r.appended !== series) throw new Error(`appended ${r.appended} of ${series}`);
  }
  const appendSeconds = cpuSince(t0);
  t0 = process.cpuUsage();
  const got = s.select([{ type: '=', name: '__name__', value: 'bench_nh' }], start, start + PER_SERIES * STEP).histogramSamples();
  const readSeconds = cpuSince(t0);
  if (got.h.length !== series * PER_SERIES) throw new Error(`read ${got.h.length} samples`);
  const steps = { start: start + 3_600_000, end: start + PER_SERIES * STEP, step: 60_000 };
  t0 = process.cpuUsage();
  const inst = s.select([{ type: '=', name: '__name__', value: 'bench_nh' }], steps.start - 300_000, steps.end).instantHistograms(steps, 300_000);
  const instantSeconds = cpuSince(t0);
  const snapDir = join(dir, 'snap');
  await s.snapshot(snapDir, true);
  s.close();
  const ours = chunkBytes(snapDir) / (series * PER_SERIES);
  rmSync(dir, { recursive: true, force: true });
  const prometheus = await prometheusBytesPerSample(series, start).catch((e: unknown) => {
    console.error(`Prometheus side not measured: ${(e as Error).message}`);
    return undefined;
  });
  return {
    series,
    samples: series * PER_SERIES,
    oursBytesPerSample: ours,
    ...(prometheus !== undefined ? { prometheusBytesPerSample: prometheus } : {}),
    appendPerSecond: (series * PER_SERIES) / appendSeconds,
    readPerSecond: got.h.length / readSeconds,
    instantCellsPerSecond: inst.index.length / instantSeconds,
  };
}
