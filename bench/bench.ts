// `npm run bench [-- storage] [--series N] [--rounds R]`, `npm run bench -- fuzz [--seconds N] [--seed S]`: prints figures for this machine, with
// Prometheus 2.42 (Debian's package) measured side by side on the same data where it applies.
// `npm run bench -- silences [--silences N]` times silence creation against Alertmanager 0.25.
// `npm run bench -- scrape [--scale 100k|1m] [--warmup S] [--measure S] [--block-minutes M]`: scrape ingestion beside Prometheus 2.42 and VictoriaMetrics 1.79.
// `npm run bench -- remote-write [--targets N] [--series-per-target N] [--backlog S]`: remote write next to Prometheus 2.42's (live, and draining an S-second backlog).
// `npm run bench -- idle [--seconds S] [--every S]`: resident memory of an idle server (default config, scraping itself) next to Prometheus 2.42's, and after a look at the UI.
// Not part of `npm test`: it takes minutes and gigabytes.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureExporters } from './node-exporter.js';
import { measureScraping } from './scrape.js';
import { measureScale, type ScaleFigures } from './scrape-scale.js';
import { measureRemoteWrite } from './remote-write.js';
import { measureGraph } from './ui.js';
import { measureSilences } from './silences.js';
import { measureQueryLimits } from './query-limits.js';
import { measureHttpQueries } from './query-http.js';
import { measureReceiver } from './remote-write-receiver.js';
import { measureHistograms } from './histograms.js';
import { measureIdle } from './idle.js';

const here = new URL('.', import.meta.url).pathname;
const reference = join(here, '..', '..', 'shared', 'reference');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SERIES = opt('series', 1_000_000);
const ROUNDS = opt('rounds', 60);

function child(...a: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=16384', '--import', 'tsx', join(here, 'storage-child.ts'), ...a], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench child ${a[0]} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
}

function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
}

const fmt = (x: number, d = 2): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows: [string, string, string, string][] = [];
function row(figure: string, ours: string, prometheus: string, target: string): void {
  rows.push([figure, ours, prometheus, target]);
  console.error(`  ${figure}: ours ${ours} | Prometheus ${prometheus} | target ${target}`);
}

/** Starts Prometheus on a copy of a data directory; returns its WAL replay time and memory. */
async function prometheusReplay(dir: string): Promise<{ replaySeconds: number; rssBytes: number } | undefined> {
  if (!has('prometheus')) return undefined;
  const cfg = join(dir, '..', 'prom-bench.yml');
  writeFileSync(cfg, 'global:\n  scrape_interval: 1h\n');
  const p = spawn('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${dir}`, '--web.listen-address=127.0.0.1:0', '--storage.tsdb.retention.time=100y'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 600_000);
    p.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server is ready to receive web requests')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    p.on('exit', () => resolve(false));
  });
  let rss = 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
    rss = m ? Number(m[1]) * 1024 : 0;
  } catch {
    /* exited */
  }
  p.kill('SIGKILL');
  if (!ready) {
    console.error(`Prometheus did not become ready:\n${log.slice(-2000)}`);
    return undefined;
  }
  const m = /WAL replay completed.*?total_replay_duration=([0-9.]+)(ms|s|m)/.exec(log);
  if (!m) return { replaySeconds: NaN, rssBytes: rss };
  const v = Number(m[1]);
  return { replaySeconds: m[2] === 'ms' ? v / 1000 : m[2] === 'm' ? v * 60 : v, rssBytes: rss };
}

async function storageBench(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'promethium-bench-'));
  try {
    console.error(`storage: ${SERIES} series x ${ROUNDS} scrapes, batches of 10k series (work dir ${work})`);
    const dir = join(work, 'ingest');
    const ing = child('ingest', dir, String(SERIES), String(ROUNDS));
    row('append throughput through N-API (batches of 10k series)', `${fmt(ing.samplesPerSecond! / 1e6)} M samples/s`, '-', '>= 5 M samples/s');
    const copy = join(work, 'prom-copy');
    cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith('/lock') });
    const rep = child('replay', dir);
    const prom = await prometheusReplay(copy);
    const samples = rep.samples!;
    row(
      `WAL replay, ${fmt(SERIES / 1e6, 1)}M series, ${fmt(samples / 1e6, 1)}M samples (the same WAL for both)`,
      `${fmt(rep.replaySeconds!)} s (${fmt((rep.replaySeconds! / samples) * 1e9 * 10, 0)} ns per 10 samples; open ${fmt(rep.openSeconds!)} s)`,
      prom ? `${fmt(prom.replaySeconds)} s` : 'not measured (prometheus not installed)',
      'no slower than Prometheus (1.2 s per 10M samples)',
    );
    row(
      `resident memory per active series after replay (${ROUNDS} samples each)`,
      `${fmt(rep.rssBytes! / SERIES, 0)} B (process RSS ${fmt(rep.rssBytes! / 2 ** 20, 0)} MiB)`,
      prom ? `${fmt(prom.rssBytes / SERIES, 0)} B (process RSS ${fmt(prom.rssBytes / 2 ** 20, 0)} MiB)` : '-',
      '<= 1 KB',
    );
    row(`resident memory per active series while ingesting (RSS growth)`, `${fmt(ing.rssDeltaBytes! / SERIES, 0)} B`, '2.8 KB (reference README, scraped)', '<= 1 KB');
    rmSync(copy, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });

    // Bytes per sample on the reference data set: promtool's blocks vs ours from the same samples.
    const gen = join(reference, 'gen_typical.py');
    if (existsSync(gen) && has('promtool')) {
      const om = join(work, 'typical.om');
      const g = spawnSync('sh', ['-c', `python3 ${gen} 2000 2 15 1 > ${om}`]);
      if (g.status !== 0) throw new Error('gen_typical.py failed');
      const promDir = join(work, 'promtool');
      spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', om, promDir], { encoding: 'utf8' });
      const bps = (d: string): string => spawnSync('python3', [join(reference, 'bytes_per_sample.py'), d], { encoding: 'utf8' }).stdout.trim();
      const theirs = bps(promDir);
      const oursDir = join(work, 'ours');
      child('reingest', promDir, oursDir);
      const ours = bps(join(oursDir, 'snapshot'));
      const pick = (s: string): string => /bytes_per_sample=([0-9.]+)/.exec(s)?.[1] ?? s;
      row('bytes per sample in blocks, gen_typical.py 2000 2 15 1', `${pick(ours)} (${ours})`, `${pick(theirs)} (${theirs})`, "no more than Prometheus's");
    } else {
      row('bytes per sample in blocks', 'not measured (needs ../shared/reference and promtool)', '-', '-');
    }

    const k = child('kernels', join(work, 'kernels'));
    row('rate() over 10k series x 2h of 15s samples, 15s step (one native call)', `${fmt(k.medianSeconds! * 1000, 1)} ms (${fmt(k.samplesScannedPerSecond! / 1e6, 1)} M samples/s, ${fmt(k.cellsPerSecond! / 1e6, 1)} M results/s)`, '-', '-');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function queryBench(): Promise<void> {
  const series = opt('series', 5000);
  const runs = opt('runs', 11);
  console.error(`query: gen_typical.py ${series} 2 15 (promtool blocks) opened by both servers, over HTTP, median of ${runs} requests per range kind and ${3 * runs} per instant query, alternating, the first server of each round swapped, after each server's first (shown apart)`);
  const figures = await measureHttpQueries(series, runs);
  if (!figures) {
    row('queries over HTTP', 'not measured (prometheus/promtool not installed)', '-', '-');
    return;
  }
  const ratios: number[] = [];
  for (const f of figures) {
    const ratio = f.oursMs / f.theirsMs;
    ratios.push(ratio);
    row(`\`${f.query}\` ${f.kind} (${fmt(f.bytes / 1e6, 1)} MB)`, `${fmt(f.oursMs, 1)} ms (${fmt(ratio)}x); first request ${fmt(f.oursFirstMs, 1)} ms`, `${fmt(f.theirsMs, 1)} ms; first request ${fmt(f.theirsFirstMs, 1)} ms`, '<= 1.0x');
  }
  const geomean = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
  row('geometric mean of the ratios', `${fmt(geomean)}x`, '1.00x', '<= 0.6x');
  const firstRatios = figures.map((f) => f.oursFirstMs / f.theirsFirstMs);
  const firstGeomean = Math.exp(firstRatios.reduce((a, r) => a + Math.log(r), 0) / firstRatios.length);
  row("geometric mean of the first requests' ratios", `${fmt(firstGeomean)}x (highest ${fmt(Math.max(...firstRatios))}x)`, '1.00x', '-');
}

async function nodeExporterBench(): Promise<void> {
  const scrapes = opt('scrapes', 300);
  console.error(`node exporter: ${scrapes} scrapes each, all our collectors enabled on both sides, alternating with Debian's node_exporter 1.5`);
  const { ours, oursDefaults, theirs, theirsSame } = await measureExporters(scrapes);
  const n = (f: number): string => fmt(f, 1);
  const both = (f: (x: NonNullable<typeof theirs>) => string): string =>
    theirs && theirsSame ? `${f(theirsSame)} (node_exporter 1.5, the same collectors); ${f(theirs)} (its defaults)` : 'not measured (prometheus-node-exporter not installed)';
  row('node exporter scrape latency, median / p90 / p99 (all collectors)', `${n(ours.medianMs)} / ${n(ours.p90Ms)} / ${n(ours.p99Ms)} ms (${fmt(ours.bytes / 1024, 0)} KiB body)`, both((x) => `${n(x.medianMs)} / ${n(x.p90Ms)} / ${n(x.p99Ms)} ms, ${fmt(x.bytes / 1024, 0)} KiB`), '-');
  row('node exporter CPU per scrape', `${n(ours.cpuMsPerScrape)} ms`, both((x) => `${n(x.cpuMsPerScrape)} ms`), '-');
  row('node exporter resident memory after the scrapes', `${n(ours.rssMiB)} MiB`, both((x) => `${n(x.rssMiB)} MiB`), '-');
  row('node exporter, default collectors: latency median / p99, CPU per scrape, resident memory', `${n(oursDefaults.medianMs)} / ${n(oursDefaults.p99Ms)} ms, ${n(oursDefaults.cpuMsPerScrape)} ms, ${n(oursDefaults.rssMiB)} MiB`, theirs ? `${n(theirs.medianMs)} / ${n(theirs.p99Ms)} ms, ${n(theirs.cpuMsPerScrape)} ms, ${n(theirs.rssMiB)} MiB (its defaults)` : 'not measured', '<= 50 MiB');
}

async function scrapeBench(): Promise<void> {
  // --scale 1m: the large-server case, 10 targets x 100k series every 30 s, all three servers at
  // once (scrape-scale.ts); --scale 100k: only the 4 x 25k case (the memory-per-series figure),
  // which spares the 10k run when warm-ups are long.
  const scale = args.includes('--scale') ? args[args.indexOf('--scale') + 1] : undefined;
  if (scale === '1m') return scaleBench();
  const warmupSeconds = opt('warmup', 60);
  const measureSeconds = opt('measure', 90);
  const cases: [number, number, number][] = scale === '100k' ? [[4, 25_000, 2]] : [[1, 10_000, 2], [4, 25_000, 2]];
  const peers = { prometheus: has('prometheus'), victoriametrics: has('victoria-metrics') };
  for (const [targets, perTarget, interval] of cases) {
    const total = targets * perTarget;
    console.error(`scrape: ${targets} x ${perTarget} series every ${interval}s (target.mjs), ${warmupSeconds}s warm-up, ${measureSeconds}s measured; ours, then Prometheus 2.42, then VictoriaMetrics 1.79`);
    const r = await measureScraping(reference, { targets, seriesPerTarget: perTarget, intervalSeconds: interval, warmupSeconds, measureSeconds }, peers);
    const k = `${fmt(total / 1000, 0)}k series`;
    const cell = (f: typeof r.ours | undefined, g: (f: typeof r.ours) => string): string => (f ? g(f) : 'not measured');
    const cpu = (f: typeof r.ours): string => `${fmt(f.cpuSecondsPerMillionSamples)} CPU-s (${fmt(f.samplesPerSecond / 1000, 0)}k samples/s)`;
    const mem = (f: typeof r.ours): string => `${fmt(f.rssBytesPerSeries, 0)} B (RSS ${fmt(f.rssMiB, 0)} MiB, ${f.headSeries} series)`;
    row(`scrape CPU per 1M samples, ${k}`, cpu(r.ours), `${cell(r.prometheus, cpu)}; VictoriaMetrics ${cell(r.victoriametrics, cpu)}`, "<= 0.5x Prometheus's");
    row(`resident memory per active series while scraping, ${k}`, mem(r.ours), `${cell(r.prometheus, mem)}; VictoriaMetrics ${cell(r.victoriametrics, mem)}`, "<= VictoriaMetrics's");
    row(`\`up\` through the API while scraping, ${k}, median / max`, `${fmt(r.ours.upQueryMedianMs, 1)} / ${fmt(r.ours.upQueryMaxMs, 1)} ms`, cell(r.prometheus, (f) => `${fmt(f.upQueryMedianMs, 1)} / ${fmt(f.upQueryMaxMs, 1)} ms`), 'not blocked by scrapes');
    row(`the server's first query (\`up\`, at the end of the warm-up), ${k}`, `${fmt(r.ours.firstQueryMs, 1)} ms`, cell(r.prometheus, (f) => `${fmt(f.firstQueryMs, 1)} ms`), '-');
  }
}

async function scaleBench(): Promise<void> {
  // Warm-up: 6 scrapes at 30 s. VictoriaMetrics's RSS climbs for its first scrapes (its caches of
  // series ids and index entries fill as the series are first seen and then looked up again), so
  // the per-series figure is read after its RSS trajectory (printed) has flattened.
  const o = { targets: opt('targets', 10), seriesPerTarget: opt('series-per-target', 100_000), intervalSeconds: 30, warmupSeconds: opt('warmup', 180), measureSeconds: opt('measure', 120), blockMinutes: opt('block-minutes', 4) };
  const peers = { prometheus: has('prometheus'), victoriametrics: has('victoria-metrics') };
  const k = `${fmt((o.targets * o.seriesPerTarget) / 1e6, 1)}M series`;
  console.error(`scrape --scale 1m: ${o.targets} x ${o.seriesPerTarget} series every 30s (target.mjs), all three servers at once; ${o.warmupSeconds}s warm-up, ${o.measureSeconds}s measured; block range ${o.blockMinutes}m on both TSDBs (head cut after ${o.blockMinutes * 1.5}m), then, once every head cut was seen, one server at a time: the rate query, then kill -9 and restart (restarts ${o.intervalSeconds + 10} s apart)`);
  const r = await measureScale(reference, o, peers);
  const figs = (x: ScaleFigures | string | undefined, g: (f: ScaleFigures) => string): string => (x === undefined ? 'not measured' : typeof x === 'string' ? x : g(x));
  const line = (figure: string, g: (f: ScaleFigures) => string, target: string): void => row(figure, figs(r.ours, g), `${figs(r.prometheus, g)}; VictoriaMetrics ${figs(r.victoriametrics, g)}`, target);
  line(`scrape CPU per 1M samples, ${k}`, (f) => `${fmt(f.cpuSecondsPerMillionSamples)} CPU-s (${fmt(f.samplesPerSecond / 1000, 1)}k samples/s)`, "<= 0.5x Prometheus's");
  line(`resident memory per active series, ${k}`, (f) => `${fmt(f.rssBytes / f.headSeries, 0)} B (RSS ${fmt(f.rssBytes / 2 ** 20, 0)} MiB, ${f.headSeries} series)`, "<= VictoriaMetrics's");
  line(`RSS every 30 s from start (MiB), ${k}`, (f) => f.rssTrajectoryMiB.join(' '), 'flat before the measured window');
  line(`\`up\` while scraping, median / max, ${k}`, (f) => `${fmt(f.upSteadyMedianMs, 1)} / ${fmt(f.upSteadyMaxMs, 1)} ms`, 'not blocked by scrapes');
  line(`the server's first query (\`up\`, at the end of the warm-up), ${k}`, (f) => `${fmt(f.firstQueryMs, 1)} ms`, '-');
  line(`\`up\` while the head is cut into a block, p99 / max, ${k}`, (f) => (f.compactionObserved === undefined ? 'no head compaction' : f.compactionObserved ? `${fmt(f.upCompactionP99Ms!, 1)} / ${fmt(f.upCompactionMaxMs!, 1)} ms (truncation at ${fmt(f.compactionAtSeconds!, 0)} s)` : `no truncation seen; p99 / max ${fmt(f.upCompactionP99Ms!, 1)} / ${fmt(f.upCompactionMaxMs!, 1)} ms`), 'no pause');
  line(`\`sum by (job) (rate(synthetic_requests_total[5m]))\`, ${k}, median of 3`, (f) => (f.rateQueryMs === undefined ? 'failed (see below)' : `${fmt(f.rateQueryMs, 0)} ms (${f.rateQueryGroups} group)`), '-');
  const mib = (b: number): string => fmt(b / 2 ** 20, 0);
  line(`RSS around the rate queries: before / peak / 30 s after (MiB), ${k}`, (f) => (f.rssRateQueryBytes === undefined ? 'failed (see below)' : `${mib(f.rssRateQueryBytes.before)} / ${mib(f.rssRateQueryBytes.peak)} / ${mib(f.rssRateQueryBytes.after30s)}${f.rssRateQueryBytes.headCutBetween ? ' (the head was cut in those 30 s)' : ''}`), 'back near where it was');
  line(`restart after kill -9 until ready (WAL replay), ${k}`, (f) => (f.restartReadySeconds === undefined ? 'failed (see below)' : `${fmt(f.restartReadySeconds, 1)} s${f.replaySeconds === undefined ? '' : ` (replay ${fmt(f.replaySeconds, 1)} s)`}, RSS ${fmt(f.rssAfterRestartBytes! / 2 ** 20, 0)} MiB`), "no slower than Prometheus's");
  line(`phases that failed, ${k}`, (f) => (f.failures.length === 0 ? 'none' : f.failures.join('; ')), 'none');
}

async function remoteWriteBench(): Promise<void> {
  const warmupSeconds = opt('warmup', 20);
  const measureSeconds = opt('measure', 40);
  const targets = opt('targets', 1);
  const perTarget = opt('series-per-target', 10_000);
  if (!has('prometheus')) {
    row('remote write', 'not measured (prometheus not installed: it is the receiver)', '-', '-');
    return;
  }
  console.error(`remote-write: ${targets} x ${perTarget} series every 2s (target.mjs) to a Prometheus 2.42 receiver, both senders with queue_config max_samples_per_send 2000, capacity 10000, max_shards 50. Live: each sender without, then with remote_write (${warmupSeconds}s warm-up, ${measureSeconds}s measured), CPU added = CPU with remote_write - (CPU per appended sample without) x appended with. Drain: scrape until every series was sent, stop the receiver for ${opt('backlog', 30)}s of scraping, drop the scrapes, restart the receiver, whole-process CPU until samples_total stops growing / samples sent. Ours, then Prometheus 2.42`);
  const backlogSeconds = opt('backlog', 30);
  const { ours, prometheus: p, oursDrain, prometheusDrain: pd } = await measureRemoteWrite(reference, { targets, seriesPerTarget: perTarget, warmupSeconds, measureSeconds, backlogSeconds }, true);
  const k = `${fmt((targets * perTarget) / 1000, 0)}k series`;
  row(`remote write CPU per 1M samples sent (added to scraping), ${k}`, `${fmt(ours.cpuSecondsPerMillionSent)} CPU-s (${fmt(ours.samplesSentPerSecond / 1000, 1)}k samples/s)`, p ? `${fmt(p.cpuSecondsPerMillionSent)} CPU-s (${fmt(p.samplesSentPerSecond / 1000, 1)}k samples/s)` : 'not measured', "<= 0.7x Prometheus's");
  const drain = (d: { cpuSecondsPerMillionSent: number; samplesSent: number; seconds: number }): string => `${fmt(d.cpuSecondsPerMillionSent)} CPU-s (${fmt(d.samplesSent / 1e6, 2)}M samples in ${fmt(d.seconds, 0)} s)`;
  row(`remote write CPU per 1M samples sent, draining a ${backlogSeconds}s backlog with no scraping (whole-process CPU, nothing subtracted), ${k}`, drain(oursDrain), pd ? drain(pd) : 'not measured', "<= 0.7x Prometheus's");
  row(`remote write bytes on the wire per sample, ${k}`, `${fmt(ours.bytesPerSample)} B`, p ? `${fmt(p.bytesPerSample)} B` : 'not measured', '-');
  row(`remote write resident memory added by the queue, ${k}`, `${fmt(ours.rssAddedMiB, 1)} MiB`, p ? `${fmt(p.rssAddedMiB, 1)} MiB` : 'not measured', '-');
}

async function uiBench(): Promise<void> {
  console.error('ui: the Graph view with 200 series x 11,000 points in headless Chromium');
  const f = await measureGraph();
  if (!f) {
    row('graph of 200 series x 11,000 points', 'not measured (chromium not installed)', '-', 'responsive');
    return;
  }
  row('graph of 200 series x 11,000 points: page opened to graph drawn (of which the API answer)', `${fmt(f.loadToDrawnMs / 1000, 1)} s (${fmt(f.apiMs / 1000, 1)} s)`, '-', 'responsive');
  row('graph of 200 series x 11,000 points: hover to painted cursor and tooltip, median / max', `${fmt(f.hoverMedianMs, 0)} / ${fmt(f.hoverMaxMs, 0)} ms`, '-', 'responsive');
}

async function silencesBench(): Promise<void> {
  const count = opt('silences', 2000);
  console.error(`silences: ${count} created one after another over HTTP, ours (from the sources) then Alertmanager 0.25, fresh storage each`);
  const { ours, upstream } = await measureSilences(count);
  const perSecond = (f: { createSeconds: number }): string => fmt(count / f.createSeconds, 0);
  row(`create ${count} silences over HTTP (Alertmanager column: Debian's Alertmanager 0.25)`, `${fmt(ours.createSeconds)} s (${perSecond(ours)}/s)`, upstream ? `${fmt(upstream.createSeconds)} s (${perSecond(upstream)}/s)` : 'not measured (prometheus-alertmanager not installed)', 'no whole-file rewrite per change');
  row(`server CPU for the ${count} creations`, `${fmt(ours.serverCpuSeconds)} s`, upstream ? `${fmt(upstream.serverCpuSeconds)} s` : 'not measured', '-');
  row(`restart with ${count} silences until ready`, `${fmt(ours.restartSeconds)} s`, upstream ? `${fmt(upstream.restartSeconds)} s` : 'not measured', '-');
}

async function queryLimitsBench(): Promise<void> {
  console.error('query-limits: the queries of issue 16 on 2,000 series, one fresh server each, --query.timeout=20s');
  const mb = (b: number): string => `${fmt(b / 2 ** 20, 0)} MB`;
  const cell = (f: { wallS: number; answer: string; baselineRss: number; peakRss: number; healthyMaxMs: number }): string =>
    `${fmt(f.wallS, 1)} s, ${f.answer}, peak RSS ${mb(f.peakRss)} (before ${mb(f.baselineRss)}), slowest /-/healthy ${fmt(f.healthyMaxMs, 0)} ms`;
  // Defaults (as Prometheus: max-samples 50M); then with the sample limit out of the way, without
  // and with a memory budget, to show what the budget holds back.
  for (const flags of [[], ['--query.max-samples=1000000000'], ['--query.max-samples=1000000000', '--query.max-memory=512MB']]) {
    for (const r of await measureQueryLimits(flags, flags.length === 0)) {
      row(`\`${r.query}\`${flags.length ? ` (ours with ${flags.join(' ')})` : ''}`, cell(r.ours), r.prometheus ? cell(r.prometheus) : flags.length ? 'as above' : 'not measured', 'a clean 4xx/503 or an answer, RSS within budget + baseline, /-/healthy within ms');
    }
  }
}

async function remoteWriteReceiverBench(): Promise<void> {
  const series = opt('series', 10_000);
  const rounds = opt('rounds', 30);
  console.error(`remote-write receiver: ${rounds} rounds of ${series} series, ${series * rounds} samples`);
  const r = await measureReceiver(series, rounds, has('prometheus'));
  const perCpu = (f: { samples: number; cpuSeconds: number }): string => `${fmt(f.samples / f.cpuSeconds, 0)}`;
  row('remote-write receiver: samples ingested per CPU second', perCpu(r.ours), r.prometheus ? perCpu(r.prometheus) : 'not installed', '>= Prometheus');
  row('remote-write receiver: samples/s (wall, 4 requests in flight)', fmt(r.ours.samples / r.ours.wallSeconds, 0), r.prometheus ? fmt(r.prometheus.samples / r.prometheus.wallSeconds, 0) : 'not installed', '');
  row('remote-write receiver: RSS after the run', `${fmt(r.ours.rssBytes / 2 ** 20, 0)} MiB`, r.prometheus ? `${fmt(r.prometheus.rssBytes / 2 ** 20, 0)} MiB` : 'not installed', '');
}

async function histogramsBench(): Promise<void> {
  const series = opt('series', 1_000);
  console.error(`histograms: ${series} native-histogram series x 240 samples (schema 3, 8-12 buckets)`);
  const f = await measureHistograms(series);
  row('chunk bytes per native-histogram sample (block)', fmt(f.oursBytesPerSample), f.prometheusBytesPerSample === undefined ? 'not measured' : fmt(f.prometheusBytesPerSample), 'within 5% of Prometheus');
  row('histogram append (samples per CPU-second, batches of all series)', fmt(f.appendPerSecond, 0), 'not measured', '-');
  row('histogram raw read (decoded samples per CPU-second, histogramSamples)', fmt(f.readPerSecond, 0), 'not measured', '-');
  row('histogram instant lookups (series x steps cells per CPU-second)', fmt(f.instantCellsPerSecond, 0), 'not measured', '-');
}

async function idleBench(): Promise<void> {
  const seconds = opt('seconds', 60);
  const every = opt('every', 5);
  console.error(`idle: promethium server and Prometheus with the default config (scraping themselves), RSS every ${every}s for ${seconds}s after ready`);
  const f = await measureIdle(seconds, every, has('prometheus'));
  const mib = (xs: number[], pick: (s: number[]) => number): string => fmt(pick([...xs].sort((a, b) => a - b)) / 2 ** 20, 1);
  const median = (s: number[]): number => s[Math.floor(s.length / 2)]!;
  const last = (s: number[]): number => s.at(-1)!;
  const first = (s: number[]): number => s[0]!;
  const theirs = f.prometheus;
  row('idle RSS, MiB (min / median / max)', `${mib(f.ours.rss, first)} / ${mib(f.ours.rss, median)} / ${mib(f.ours.rss, last)}`, theirs === undefined ? 'not measured' : `${mib(theirs.rss, first)} / ${mib(theirs.rss, median)} / ${mib(theirs.rss, last)}`, '-');
  row('idle RSS of node running a one-route fastify server (bench/idle-floor.mjs), the floor under ours, MiB (median)', mib(f.floor, median), '-', '-');
  row('idle threads', String(f.ours.threads), theirs === undefined ? 'not measured' : String(theirs.threads), '-');
  row('first query over HTTP (ms), the first of a look at the UI', fmt(f.ours.firstQueryMs, 1), theirs === undefined ? 'not measured' : fmt(theirs.firstQueryMs, 1), '-');
  row('RSS 5 s after a look at the UI (14 API requests), MiB', fmt(f.ours.rssAfterLook / 2 ** 20, 1), theirs === undefined ? 'not measured' : fmt(theirs.rssAfterLook / 2 ** 20, 1), '-');
}

const sections = args.filter((a) => !a.startsWith('--') && !/^\d+$/.test(a));
// `fuzz` runs only when asked for (it is no figure of the table): minutes of generated requests.
if (sections.includes('fuzz')) {
  const { fuzzBench } = await import('./fuzz-run.js');
  await fuzzBench(opt('seconds', 120), opt('seed', 1));
  if (sections.length === 1) process.exit(0);
}
// The server, exporter and UI benchmarks run bin/promethium.js, which runs dist/: build it from the
// current sources first, so a stale dist/ is never what gets measured.
if (sections.length === 0 || ['node-exporter', 'scrape', 'ui', 'remote-write', 'idle'].some((s) => sections.includes(s))) {
  console.error('building dist/ (npm run build:ts, build:ui) so the measured server is the current code');
  for (const script of ['build:ts', 'build:ui']) {
    const b = spawnSync('npm', ['run', '--silent', script], { cwd: join(here, '..'), encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`npm run ${script} failed: ${b.stderr}`);
  }
}
if (sections.length === 0 || sections.includes('storage')) await storageBench();
if (sections.length === 0 || sections.includes('query')) await queryBench();
if (sections.length === 0 || sections.includes('node-exporter')) await nodeExporterBench();
if (sections.length === 0 || sections.includes('scrape')) await scrapeBench();
if (sections.length === 0 || sections.includes('remote-write')) await remoteWriteBench();
if (sections.length === 0 || sections.includes('ui')) await uiBench();
if (sections.length === 0 || sections.includes('silences')) await silencesBench();
if (sections.length === 0 || sections.includes('query-limits')) await queryLimitsBench();
if (sections.length === 0 || sections.includes('remote-write-receiver')) await remoteWriteReceiverBench();
if (sections.length === 0 || sections.includes('histograms')) await histogramsBench();
if (sections.length === 0 || sections.includes('idle')) await idleBench();
console.log('\n| figure | Promethium | Prometheus 2.42 | target |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
