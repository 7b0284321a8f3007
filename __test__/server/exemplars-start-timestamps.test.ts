// The server with --enable-feature=exemplar-storage,st-storage,use-start-timestamps: exemplars and
// `_created` start timestamps scraped from an OpenMetrics target, answered through the HTTP API,
// and still there after a restart (the WAL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

interface Exemplars {
  status: string;
  data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[];
}

test('exemplars and start timestamps from an OpenMetrics target, through the API and across a restart', async (t) => {
  let hits = 0;
  // The counter restarts (a new _created, between the previous scrape and this one) at the 3rd
  // scrape while its value keeps rising: only the start timestamp tells.
  let created = (Date.now() - 60_000) / 1000;
  const target = createServer((_req, res) => {
    hits++;
    if (hits === 3) created = (Date.now() - 500) / 1000;
    res.writeHead(200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
    // The 4th scrape's exemplar is older than the ones before: refused as out of order.
    const exemplarTime = hits === 4 ? 1700000000 : 1700000000 + hits;
    res.end(`# TYPE req counter\nreq_total{path="/a"} ${hits * 10} # {trace_id="t${hits}"} 0.5 ${exemplarTime}\nreq_created{path="/a"} ${created}\n# TYPE lat histogram\nlat_bucket{le="1"} ${hits} # {trace_id="b${hits}"} 0.25\nlat_bucket{le="+Inf"} ${hits}\nlat_count ${hits}\nlat_sum ${hits}\n# EOF\n`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const tport = (target.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-exemplars-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: om\n    static_configs:\n      - targets: ["127.0.0.1:${tport}"]\nstorage:\n  exemplars:\n    max_exemplars: 50\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const start = (): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=exemplar-storage,st-storage,use-start-timestamps'], { stdio: 'ignore' });
  let server = start();
  t.after(() => {
    server.kill('SIGKILL');
    target.close();
  });
  const exemplars = async (query: string): Promise<Exemplars> => (await (await fetch(`${base}/api/v1/query_exemplars?query=${encodeURIComponent(query)}&start=0&end=4000000000`)).json()) as Exemplars;

  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined));
  await waitFor('4 scrapes', async () => (hits >= 4 ? true : undefined));
  await new Promise((r) => setTimeout(r, 500));

  const got = await exemplars('sum(rate(req_total[5m])) + lat_bucket');
  assert.equal(got.status, 'success');
  const req = got.data.find((s) => s.seriesLabels['__name__'] === 'req_total')!;
  assert.deepEqual(req.seriesLabels, { __name__: 'req_total', instance: `127.0.0.1:${tport}`, job: 'om', path: '/a' });
  assert.ok(req.exemplars.length >= 3);
  assert.deepEqual(req.exemplars[0], { labels: { trace_id: 't1' }, value: '0.5', timestamp: 1700000001 });
  const bucket = got.data.find((s) => s.seriesLabels['le'] === '1')!;
  // Without its own timestamp an exemplar takes the scrape's.
  assert.ok(bucket.exemplars[0]!.timestamp > 1700000100, String(bucket.exemplars[0]!.timestamp));
  assert.equal((await exemplars('up')).data.length, 0);
  const bad = await fetch(`${base}/api/v1/query_exemplars?query=${encodeURIComponent('sum(')}`);
  assert.equal(bad.status, 400);

  // _created is a start timestamp, not a series; the restart at the 3rd scrape shows in resets().
  const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> =>
    ((await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
  assert.equal((await query('req_created')).length, 0);
  assert.equal((await query('resets(req_total[1h])'))[0]?.value[1], '1');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^prometheus_tsdb_exemplar_max_exemplars 50$/m);
  assert.match(metrics, /^prometheus_tsdb_exemplar_exemplars_in_storage [1-9]/m);
  assert.match(metrics, /^prometheus_target_scrapes_exemplar_out_of_order_total [1-9]/m);
  assert.ok(!req.exemplars.some((e) => e.labels['trace_id'] === 't4'));

  // After a restart: rebuilt from the WAL.
  server.kill('SIGKILL');
  await new Promise((r) => server.once('exit', r));
  const before = req.exemplars.slice(0, 3);
  server = start();
  await waitFor('ready again', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined));
  const again = (await exemplars('req_total')).data[0]!;
  assert.deepEqual(again.exemplars.slice(0, 3), before);
  assert.equal((await query('resets(req_total[1h])'))[0]?.value[1], '1');
});
