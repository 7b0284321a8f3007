// How the exporter serves over node:http: gzip and OpenMetrics when the scraper asks, the
// exporter's own families (and --web.disable-exporter-metrics), unknown paths; and the pieces of
// the exposition writer that make a diff against node_exporter line up (Go's sample order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { freePort, waitFor } from '../helpers/net.js';
import { writeOpenMetrics, writeText } from '../../src/node-exporter/metrics.js';
import { acceptsGzip, negotiateFormat } from '../../src/node-exporter/main.js';
import { dehumanize } from '../../src/node-exporter/collectors/bcache.js';
import { parseCpuList } from '../../src/node-exporter/collectors/cpu-info.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

async function start(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'node-exporter', `--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.loadavg', '--collector.stat', ...args], { stdio: 'ignore' });
  await waitFor('node exporter', async () => (child.exitCode !== null ? Promise.reject(new Error('exited')) : (await fetch(`http://127.0.0.1:${port}/`)).ok || undefined));
  return { child, port };
}

/** A raw GET (fetch would undo the gzip itself). */
function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

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
