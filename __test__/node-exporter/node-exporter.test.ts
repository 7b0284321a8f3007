// `promethium node-exporter` end to end: flags, the landing page, the exposition a scraper gets
// (checked with our parser and Debian's promtool), and the families next to Debian's node_exporter 1.5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { freePort, waitFor } from '../helpers/net.js';
import { parseText, parseSeriesText } from '../../src/exposition/index.js';
import type { MetricMetadata } from '../../src/exposition/index.js';
import { compareAllAtOnce, compareWithNodeExporter } from '../../scripts/node-exporter-compat.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const OURS = [process.execPath, '--import', 'tsx', cli, 'node-exporter'];
const REFERENCE = '/usr/bin/prometheus-node-exporter';

async function start(args: string[]): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const port = await freePort();
  const child = spawn(OURS[0]!, [...OURS.slice(1), `--web.listen-address=127.0.0.1:${port}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('node exporter', async () => (child.exitCode !== null ? Promise.reject(new Error(log)) : (await fetch(`${url}/`)).ok || undefined));
  return { child, url, log: () => log };
}

test('the exporter serves node_exporter families that promtool accepts', async (t) => {
  const { child, url, log } = await start([]);
  t.after(() => child.kill('SIGTERM'));
  const landing = await (await fetch(`${url}/`)).text();
  assert.match(landing, /href="\/metrics"/);
  const r = await fetch(`${url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const body = await r.text();
  const meta = new Map<string, MetricMetadata>();
  const samples = [...parseText(body, meta)].map((s) => ({ labels: parseSeriesText(s.series), value: s.value }));
  const find = (name: string, labels: Record<string, string> = {}): number | undefined =>
    samples.find((s) => s.labels['__name__'] === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  assert.equal(meta.get('node_cpu_seconds_total')?.type, 'counter');
  assert.equal(meta.get('node_memory_MemTotal_bytes')?.type, 'gauge');
  const memTotalKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
  assert.equal(find('node_memory_MemTotal_bytes'), memTotalKb * 1024);
  assert.ok(find('node_cpu_seconds_total', { cpu: '0', mode: 'idle' })! > 0);
  assert.ok(find('node_boot_time_seconds')! > 1e9);
  assert.ok(find('node_filesystem_size_bytes', { mountpoint: '/' })! > 0);
  assert.equal(find('node_exporter_build_info'), 1);
  assert.ok(find('process_resident_memory_bytes')! > 0);
  for (const c of ['cpu', 'meminfo', 'loadavg', 'filesystem', 'diskstats', 'netdev', 'netclass', 'stat', 'time', 'uname', 'os', 'vmstat', 'filefd', 'entropy', 'pressure']) {
    assert.equal(find('node_scrape_collector_success', { collector: c }), 1, `${c}: ${log()}`);
  }
  assert.match(log(), /msg="Enabled collectors"/);
  assert.match(log(), /msg="Listening on"/);

  // promtool's linter: the only findings are the ones node_exporter's own names carry
  // (node_memory_* and node_netstat_* in camelCase as /proc spells them, entropy counted in bits).
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  assert.equal(lint.error, undefined, 'promtool (Debian package prometheus) must be installed');
  const findings = `${lint.stdout}${lint.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const inherited = /^(node_(memory|netstat)_\w+ metric names should be written in 'snake_case' not 'camelCase'|node_entropy_\w+_bits use base unit "bytes" instead of "bits")$/;
  assert.deepEqual(findings.filter((l) => !inherited.test(l)), []);
});

test('collectors can be switched off and on, and bad flags are refused clearly', async (t) => {
  const { child, url } = await start(['--no-collector.cpu', '--collector.disable-defaults', '--collector.loadavg', '--web.telemetry-path=/m']);
  t.after(() => child.kill('SIGTERM'));
  const body = await (await fetch(`${url}/m`)).text();
  assert.match(body, /^node_load1 /m);
  assert.doesNotMatch(body, /node_cpu_seconds_total/);
  assert.doesNotMatch(body, /node_memory_/);
  assert.match(body, /node_scrape_collector_success\{collector="loadavg"\} 1/);

  const bad = spawnSync(OURS[0]!, [...OURS.slice(1), '--collector.filesystem.mount-points-exclude=(', '--web.listen-address=127.0.0.1:0'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /mount-points-exclude.*missing closing \)/);
  const unknown = spawnSync(OURS[0]!, [...OURS.slice(1), '--collector.nosuch'], { encoding: 'utf8' });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unknown long flag '--collector.nosuch'/);
});

test("every family of Debian's node_exporter 1.5 for our collectors has the same type, labels, help and series", { timeout: 120_000 }, async () => {
  assert.ok(existsSync(REFERENCE), `${REFERENCE} is missing: apt-get install prometheus-node-exporter (.ci/run does)`);
  const results = await compareWithNodeExporter([REFERENCE], OURS);
  const different = results.flatMap((r) => r.rows.filter((x) => x.verdict !== 'same').map((x) => `${r.collector}: ${x.name}: ${x.verdict}`));
  assert.deepEqual(different, []);
  assert.ok(results.flatMap((r) => r.rows).length > 100);
});

test("with node_exporter 1.5's default collectors, every family Debian's binary shows is ours too, with nothing extra", { timeout: 120_000 }, async () => {
  assert.ok(existsSync(REFERENCE), `${REFERENCE} is missing: apt-get install prometheus-node-exporter (.ci/run does)`);
  const r = await compareAllAtOnce([REFERENCE], OURS);
  assert.deepEqual(r.rows.filter((x) => x.verdict !== 'same').map((x) => `${x.name}: ${x.verdict}`), []);
  assert.deepEqual(r.extra, []);
  assert.ok(r.rows.length > 150, `only ${r.rows.length} families compared`);
});

test('collect[] filters the collectors as node_exporter 1.5 does; an unknown or disabled one is a 400', { timeout: 60_000 }, async (t) => {
  assert.ok(existsSync(REFERENCE), `${REFERENCE} is missing: apt-get install prometheus-node-exporter (.ci/run does)`);
  const ours = await start(['--no-collector.loadavg']);
  t.after(() => ours.child.kill('SIGTERM'));
  const refPort = await freePort();
  const ref = spawn(REFERENCE, [`--web.listen-address=127.0.0.1:${refPort}`, '--no-collector.loadavg'], { stdio: 'ignore' });
  t.after(() => ref.kill('SIGTERM'));
  const refUrl = `http://127.0.0.1:${refPort}`;
  await waitFor('node_exporter', async () => ((await fetch(`${refUrl}/`)).ok ? true : undefined));

  const get = async (base: string, query: string): Promise<{ status: number; type: string; body: string }> => {
    const r = await fetch(`${base}/metrics?${query}`);
    return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
  };
  /** The node_* metric names of a body (the exporter's own go_/process_/nodejs_ families differ by runtime). */
  const nodeNames = (body: string): string[] => [...new Set([...parseText(body)].map((s) => parseSeriesText(s.series)['__name__']!).filter((n) => n.startsWith('node_')))].sort();
  const collectorsIn = (body: string): string[] => [...parseText(body)].map((s) => parseSeriesText(s.series)).filter((l) => l['__name__'] === 'node_scrape_collector_success').map((l) => l['collector']!).sort();

  const both = 'collect[]=cpu&collect[]=meminfo';
  const [mine, theirs] = [await get(ours.url, both), await get(refUrl, both)];
  assert.equal(mine.status, 200);
  assert.deepEqual(collectorsIn(mine.body), ['cpu', 'meminfo']);
  assert.deepEqual(nodeNames(mine.body), nodeNames(theirs.body));
  assert.ok(!nodeNames(mine.body).includes('node_filesystem_size_bytes'));
  assert.deepEqual(collectorsIn((await get(ours.url, 'collect[]=cpu&collect[]=cpu')).body), ['cpu'], 'a collector asked twice runs once');
  assert.ok(collectorsIn((await get(ours.url, '')).body).length > 10, 'no collect[]: every enabled collector');

  // Unknown, empty, wrong case, disabled by a flag: the same status, content type and message.
  for (const query of ['collect[]=nope', 'collect[]=cpu&collect[]=nope', 'collect[]=', 'collect[]=CPU', 'collect[]=loadavg', 'collect[]=%3Cb%3E']) {
    const [m, r] = [await get(ours.url, query), await get(refUrl, query)];
    assert.equal(r.status, 400, `node_exporter: ${query}`);
    assert.deepEqual(m, r, query);
  }
  assert.match(ours.log(), /level=warn msg="Couldn't create filtered metrics handler:" err="couldn't create collector: missing collector: nope"/);
});
