// `promethium server` end to end for issue 16: a target's far-future sample is dropped with
// Prometheus's warning and counters while the rest of its scrape is stored (defect 4), and a WAL
// with a missing segment stops the server at start with an error naming it (defect 6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { Storage } from '../../src/storage/index.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const YEAR = 365 * 24 * 3600 * 1000;

/** The value of one sample line of a /metrics body (labels written exactly as given). */
function metric(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('a far-future sample is dropped, warned about and counted; the scrape is stored', async (t) => {
  const target = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(`normal_metric 2\nfuture_metric 1 ${Date.now() + YEAR}\n`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const tport = (target.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-bounds-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: clock\n    static_configs:\n      - targets: ["127.0.0.1:${tport}"]\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  t.after(() => {
    server.kill('SIGKILL');
    target.close();
  });
  const metrics = await waitFor('a dropped sample', async () => {
    const body = await (await fetch(`${base}/metrics`)).text();
    return (metric(body, 'prometheus_target_scrapes_sample_out_of_bounds_total') ?? 0) >= 1 ? body : undefined;
  });
  // Prometheus refuses these in the scrape, before the head: the head's counter stays at 0.
  assert.equal(metric(metrics, 'prometheus_tsdb_out_of_bound_samples_total{type="float"}'), 0);
  assert.equal(metric(metrics, 'prometheus_tsdb_out_of_order_samples_total{type="histogram"}'), 0);
  assert.match(log, /level=warn .*msg="Error on ingesting samples that are too old or are too far into the future".* num_dropped=1/);
  const q = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent('normal_metric or future_metric')}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  assert.deepEqual(q.data.result.map((r) => [r.metric.__name__, r.value[1]]), [['normal_metric', '2']]);
  const up = (await (await fetch(`${base}/api/v1/query?query=up`)).json()) as { data: { result: { value: [number, string] }[] } };
  assert.equal(up.data.result[0]?.value[1], '1', 'the scrape itself succeeded');
});

/** A data directory whose WAL has segments 00000000..00000002 (one per open). */
function walWithThreeSegments(): string {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-walgap-'));
  for (let k = 0; k < 3; k++) {
    const s = Storage.open(dir);
    const app = s.appender();
    app.add({ __name__: 'm', k: String(k) }, Date.now(), k);
    app.commit();
    s.close();
  }
  return dir;
}

for (const missing of ['00000000', '00000001']) {
  test(`the server refuses to start when WAL segment ${missing} is missing`, () => {
    const dir = walWithThreeSegments();
    rmSync(join(dir, 'wal', missing));
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'server', `--storage.tsdb.path=${dir}`, '--web.listen-address=127.0.0.1:0'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`level=error .*msg="Opening storage failed" err=".*${join(dir, 'wal')} is missing segment\\(s\\) ${missing} `));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'an error message, not a stack trace');
  });
}
