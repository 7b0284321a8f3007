// Query benchmark worker: `make DIR` writes 10k series x 2h at 15s as a Prometheus block into
// DIR (so Prometheus can open the same data); `run DIR` times our engine on the queries.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../src/storage/index.js';
import { Engine } from '../src/promql/index.js';

export const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 7_200_000);
export const END = T0 + 2 * 3600_000 - 15_000;
export const QUERIES = [
  'rate(x_total[5m])',
  'sum by (job) (rate(x_total[5m]))',
  'histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))',
  'topk(10, rate(x_total[5m]))',
  'max_over_time(x_total[10m])',
];

async function make(dir: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'promethium-qdata-'));
  const s = Storage.open(work, { retentionMs: 0 });
  const labels = [];
  for (let i = 0; i < 9000; i++) labels.push({ __name__: 'x_total', job: `job-${i % 10}`, instance: `host-${i}` });
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  for (let h = 0; h < 100; h++) for (const le of les) labels.push({ __name__: 'h_bucket', job: `job-${h % 10}`, instance: `host-${h}`, le });
  const refs = s.seriesRefs(labels);
  const ts = new Float64Array(refs.length);
  const vs = new Float64Array(refs.length);
  const state = new Float64Array(refs.length);
  for (let t = T0; t <= END; t += 15_000) {
    ts.fill(t);
    for (let i = 0; i < refs.length; i++) {
      state[i] += i < 9000 ? (i % 17) + 1 : Math.floor((((i - 9000) % 10) + 1) * 3);
      vs[i] = state[i]!;
    }
    s.append(refs, ts, vs);
  }
  await s.snapshot(dir, true);
  s.close();
  rmSync(work, { recursive: true, force: true });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function run(dir: string): void {
  const s = Storage.open(dir, { retentionMs: 0 });
  const engine = new Engine(s);
  const out: Record<string, { instantMs: number; rangeMs: number }> = {};
  for (const q of QUERIES) {
    const time = (f: () => unknown): number => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const begin = process.hrtime.bigint();
        JSON.stringify(f());
        runs.push(Number(process.hrtime.bigint() - begin) / 1e6);
      }
      return median(runs);
    };
    out[q] = { instantMs: time(() => engine.instantQuery(q, END)), rangeMs: time(() => engine.rangeQuery(q, END - 3600_000, END, 15_000)) };
  }
  s.close();
  console.log(JSON.stringify(out));
}

const [mode, dir] = process.argv.slice(2);
if (mode === 'make') await make(dir!);
else if (mode === 'run') run(dir!);
