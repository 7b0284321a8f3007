// `npm run bench -- query`: queries as users meet them, over HTTP with JSON encoding. The same
// promtool-made blocks (gen_typical.py's exporter mix, 2 h at 15 s) opened by our server process
// and by Prometheus 2.42; each query timed instant and as a range (100 min at 15 s, as a dashboard
// asks), identity and gzip (Grafana asks for gzip), the two servers alternating request by request
// and taking turns at going first.
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, openSync, closeSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './query-limits.js';

/** Large answers are what is measured: neither server may refuse them for their size. */
const MAX_SAMPLES = ['--query.max-samples=500000000'];

const here = new URL('.', import.meta.url).pathname;
const reference = join(here, '..', '..', 'shared', 'reference');
const T0 = 1_700_000_000_000;
const END = T0 + 2 * 3600_000 - 15_000;

export const HTTP_QUERIES = [
  'rate(typ_requests_total[5m])',
  'avg_over_time(typ_usage[10m])',
  'typ_usage > 50',
  'sum by (instance) (rate(typ_requests_total[5m]))',
  'histogram_quantile(0.9, sum by (le) (rate(typ_latency_seconds_bucket[5m])))',
  'topk(10, rate(typ_cpu_seconds_total[5m]))',
  'count(typ_limit)',
];

export interface HttpFigure {
  query: string;
  kind: string;
  oursMs: number;
  theirsMs: number;
  /** Each server's first request of this query and kind (the warm-up): first-use costs show here. */
  oursFirstMs: number;
  theirsFirstMs: number;
  bytes: number;
}

function get(url: string, gzip: boolean): Promise<{ ms: number; bytes: number; status: number }> {
  const begin = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    request(url, { headers: gzip ? { 'accept-encoding': 'gzip' } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - begin) / 1e6, bytes, status: res.statusCode! }));
    })
      .on('error', reject)
      .end();
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Makes the blocks, starts both servers, times every query; `series` is gen_typical.py's SERIES. */
export async function measureHttpQueries(series: number, runs: number): Promise<HttpFigure[] | undefined> {
  if (spawnSync('promtool', ['--version']).status !== 0 || spawnSync('prometheus', ['--version']).status !== 0) return undefined;
  const work = mkdtempSync(join(tmpdir(), 'promethium-qhttp-'));
  const procs: ChildProcess[] = [];
  try {
    const om = join(work, 'data.om');
    const fd = openSync(om, 'w');
    const gen = spawnSync('python3', [join(reference, 'gen_typical.py'), String(series), '2', '15', '1'], { stdio: ['ignore', fd, 'inherit'] });
    closeSync(fd);
    if (gen.status !== 0) throw new Error('gen_typical.py failed');
    const blocks = join(work, 'blocks');
    const made = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', om, blocks], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`promtool create-blocks-from failed: ${made.stderr}`);
    rmSync(om);
    cpSync(blocks, join(work, 'ours'), { recursive: true });
    cpSync(blocks, join(work, 'theirs'), { recursive: true });
    const ours = await startServer('ours', join(work, 'ours'), MAX_SAMPLES);
    procs.push(ours.proc);
    const theirs = await startServer('prometheus', join(work, 'theirs'), MAX_SAMPLES);
    procs.push(theirs.proc);
    const out: HttpFigure[] = [];
    for (const query of HTTP_QUERIES) {
      const qs = encodeURIComponent(query);
      const kinds: [string, string, boolean][] = [
        ['instant', `/api/v1/query?query=${qs}&time=${END / 1000}`, false],
        ['range 100m/15s', `/api/v1/query_range?query=${qs}&start=${(END - 6000_000) / 1000}&end=${END / 1000}&step=15`, false],
        ['range 100m/15s gzip', `/api/v1/query_range?query=${qs}&start=${(END - 6000_000) / 1000}&end=${END / 1000}&step=15`, true],
      ];
      for (const [kind, path, gzip] of kinds) {
        const a: number[] = [];
        const b: number[] = [];
        let bytes = 0;
        // One warm-up each (reported as the first request), then alternate so that both see the same
        // machine. Who goes first swaps every round: a server's work left over after its answer (Go's
        // concurrent GC, say) lands on the request that follows it, so a fixed order would load it on
        // one side only. Instant queries take milliseconds, so they get three times the requests: their
        // medians are what such leftovers move most.
        const oursFirst = await get(ours.base + path, gzip);
        const theirsFirst = await get(theirs.base + path, gzip);
        const rounds = kind === 'instant' ? 3 * runs : runs;
        for (let i = 0; i < rounds; i++) {
          const oursLeads = i % 2 === 0;
          const first = await get((oursLeads ? ours : theirs).base + path, gzip);
          const second = await get((oursLeads ? theirs : ours).base + path, gzip);
          const [o, t] = oursLeads ? [first, second] : [second, first];
          if (o.status !== 200 || t.status !== 200) throw new Error(`${query} ${kind}: HTTP ${o.status} (ours) / ${t.status} (Prometheus)`);
          a.push(o.ms);
          b.push(t.ms);
          bytes = o.bytes;
        }
        out.push({ query, kind, oursMs: median(a), theirsMs: median(b), oursFirstMs: oursFirst.ms, theirsFirstMs: theirsFirst.ms, bytes });
      }
    }
    return out;
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}
