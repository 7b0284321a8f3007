// How the exporter serves over node:http: gzip and OpenMetrics when the scraper asks, the
// exporter's own families (and --web.disable-exporter-metrics), unknown paths; and the pieces of
// the exposition writer that make a diff against node_exporter line up (Go's sample order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { HostFiles } from '../../src/node-exporter/context.js';
import { NodeExporter } from '../../src/node-exporter/exporter.js';
import { COLLECTORS, defaultCollectorFlags } from '../../src/node-exporter/collectors/index.js';
import { compile } from '../../src/regex/re2.js';
import { freePort, rawGet, waitFor } from '../helpers/net.js';
import { writeOpenMetrics, writeText } from '../../src/node-exporter/metrics.js';
import { negotiateFormat } from '../../src/node-exporter/main.js';
import { acceptsGzip } from '../../src/common/gzip.js';
import { dehumanize } from '../../src/node-exporter/collectors/bcache.js';
import { parseCpuList } from '../../src/node-exporter/collectors/cpu-info.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

async function start(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'node-exporter', `--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.loadavg', '--collector.stat', ...args], { stdio: 'ignore' });
  await waitFor('node exporter', async () => (child.exitCode !== null ? Promise.reject(new Error('exited')) : (await fetch(`http://127.0.0.1:${port}/`)).ok || undefined));
  return { child, port };
}

/** A raw GET of the exporter on 127.0.0.1. */
const get = (port: number, path: string, headers: Record<string, string>) => rawGet(`http://127.0.0.1:${port}${path}`, headers);

test('gzip and OpenMetrics when asked, text otherwise; the exporter families can be switched off; unknown paths are 404', { timeout: 60_000 }, async (t) => {
  const { child, port } = await start([]);
  t.after(() => child.kill('SIGTERM'));
  const plain = await get(port, '/metrics', {});
  assert.equal(plain.status, 200);
  assert.match(String(plain.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.equal(plain.headers['content-encoding'], undefined);
  const text = plain.body.toString();
  assert.match(text, /^# TYPE node_load1 gauge$/m);
  assert.match(text, /^# TYPE node_context_switches_total counter$/m);
  assert.match(text, /^process_resident_memory_bytes \d/m);
  assert.match(text, /^promhttp_metric_handler_requests_total\{code="200"\} \d/m);

  const zipped = await get(port, '/metrics', { 'Accept-Encoding': 'gzip, deflate' });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.match(gunzipSync(zipped.body).toString(), /^node_load1 /m);

  const om = await get(port, '/metrics', { Accept: 'application/openmetrics-text; version=1.0.0,text/plain;q=0.5' });
  assert.match(String(om.headers['content-type']), /^application\/openmetrics-text; version=1\.0\.0/);
  const omText = om.body.toString();
  assert.match(omText, /^# TYPE node_context_switches counter$/m);
  assert.match(omText, /^node_context_switches_total \d/m);
  assert.match(omText, /# EOF\n$/);

  assert.equal((await get(port, '/nope', {})).status, 404);

  const bare = await start(['--web.disable-exporter-metrics']);
  t.after(() => bare.child.kill('SIGTERM'));
  const bareText = (await get(bare.port, '/metrics', {})).body.toString();
  assert.doesNotMatch(bareText, /^(process_|promhttp_)/m);
  assert.match(bareText, /^node_load1 /m);
});

test('the writer orders samples as Go does, by label values, and names OpenMetrics counters without _total', () => {
  const fam = { name: 'x_total', help: 'h\\n', type: 'counter' as const, samples: [
    { labels: { cpu: '10', mode: 'a' }, value: 1 },
    { labels: { cpu: '1', mode: 'b b' }, value: 2 },
    { labels: { cpu: '1', mode: 'b' }, value: 1e6 },
  ] };
  assert.equal(writeText([fam]), '# HELP x_total h\\\\n\n# TYPE x_total counter\nx_total{cpu="1",mode="b"} 1e+06\nx_total{cpu="1",mode="b b"} 2\nx_total{cpu="10",mode="a"} 1\n');
  const om = writeOpenMetrics([fam, { name: 'u', help: 'u', type: 'untyped' as const, samples: [{ labels: {}, value: 3 }] }]);
  assert.match(om, /^# TYPE x counter\nx_total\{cpu="1",mode="b"\} 1e\+06$/m);
  assert.match(om, /^# TYPE u unknown\nu 3$/m);
  assert.match(om, /\n# EOF\n$/);
});

test('content negotiation, bcache sizes and CPU lists parse as node_exporter reads them', () => {
  assert.equal(negotiateFormat(undefined), 'text');
  assert.equal(negotiateFormat('application/openmetrics-text;version=1.0.0'), 'openmetrics');
  assert.equal(acceptsGzip('gzip'), true);
  assert.equal(acceptsGzip('br, gzip;q=0'), false);
  assert.equal(acceptsGzip(undefined), false);
  assert.equal(dehumanize('20.4G', 't'), 21894266880);
  assert.equal(dehumanize('427.5k', 't'), 437748);
  assert.equal(dehumanize('-321.5k', 't'), -329204);
  assert.equal(dehumanize('0', 't'), 0);
  assert.throws(() => dehumanize('lots', 'where'), /where: not a bcache size/);
  assert.deepEqual(parseCpuList('1,3-5,9\n'), [1, 3, 4, 5, 9]);
});

test('textfile: a histogram and a summary keep their type, series names and order; a file with timestamps is an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ne-textfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'h.prom'), [
    '# HELP job_seconds How long.', '# TYPE job_seconds histogram',
    'job_seconds_bucket{job="b",le="0.5"} 1', 'job_seconds_bucket{job="b",le="+Inf"} 2', 'job_seconds_sum{job="b"} 3', 'job_seconds_count{job="b"} 2',
    'job_seconds_bucket{job="a",le="0.5"} 0', 'job_seconds_bucket{job="a",le="+Inf"} 1', 'job_seconds_sum{job="a"} 9', 'job_seconds_count{job="a"} 1',
    '# TYPE rpc summary', 'rpc{quantile="0.9"} 4', 'rpc_sum 8', 'rpc_count 2', '',
  ].join('\n'));
  writeFileSync(join(dir, 'stamped.prom'), 'stamped 1 1700000000000\n');
  const exporter = new NodeExporter({
    files: new HostFiles({ procfs: dir, sysfs: dir, rootfs: dir, udevData: dir }),
    collectors: COLLECTORS.filter((c) => c.name === 'textfile'),
    options: { mountPointsExclude: compile('^$'), fsTypesExclude: compile('^$'), diskstatsDeviceExclude: compile('^$'), netclassIgnoredDevices: compile('^$'), flags: defaultCollectorFlags({ 'collector.textfile.directory': dir }) },
    exporterMetrics: false,
  });
  const body = await exporter.scrape();
  assert.match(body, /# TYPE job_seconds histogram\njob_seconds_bucket\{job="a",le="0.5"\} 0\njob_seconds_bucket\{job="a",le="\+Inf"\} 1\njob_seconds_sum\{job="a"\} 9\njob_seconds_count\{job="a"\} 1\njob_seconds_bucket\{job="b",le="0.5"\} 1\n/);
  assert.match(body, /# TYPE rpc summary\nrpc\{quantile="0.9"\} 4\nrpc_sum 8\nrpc_count 2\n/);
  assert.doesNotMatch(body, /^stamped /m);
  assert.match(body, /^node_textfile_scrape_error 1$/m);
});
