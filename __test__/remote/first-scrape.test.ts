// A server started with remote_write sends what it scraped from its very first scrape: its
// queues start before scraping does (as Prometheus applies remote storage's config before the
// scrape manager's), so no sample lands in the WAL before a new queue starts reading at its end.
// A 20 ms scrape interval makes the first scrapes come before a late queue could open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { decodeV1, fakeReceiver, scrapeTarget } from './wire.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('a new remote_write queue gets the samples of the first scrapes', { timeout: 120_000 }, async (t) => {
  const target = await scrapeTarget(() => `# TYPE first_gauge gauge\nfirst_gauge ${Math.random()}\n`);
  const rx = await fakeReceiver(() => ({ status: 204 }));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-first-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 20ms\n  scrape_timeout: 20ms\nscrape_configs:\n  - job_name: t\n    static_configs:\n      - targets: ["127.0.0.1:${target.port}"]\nremote_write:\n  - url: ${rx.url}\n    queue_config: { batch_send_deadline: 100ms }\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  t.after(async () => {
    server.kill('SIGKILL');
    target.close();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined), 300);
  await new Promise((r) => setTimeout(r, 1000));
  target.freeze();
  const stored = async (): Promise<number[]> => {
    const body = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent('first_gauge[10m]')}`)).json()) as { data: { result: { values: [number, string][] }[] } };
    return (body.data.result[0]?.values ?? []).map(([ts]) => Math.round(ts * 1000));
  };
  const received = (): Set<number> => new Set(rx.requests.flatMap((r) => decodeV1(r.body)).filter((s) => s.labels.__name__ === 'first_gauge').flatMap((s) => s.samples.filter((x) => !Number.isNaN(x.v)).map((x) => x.t)));
  // Scrapes stopped changing the series: wait until the receiver holds as many samples as the server.
  const all = await stored();
  assert.ok(all.length >= 10, `${all.length} samples stored in a second at 20 ms`);
  await waitFor('the receiver to catch up', async () => (received().size >= all.length ? true : undefined), 150, 200).catch(() => undefined);
  const got = received();
  const missing = all.filter((ts) => !got.has(ts));
  assert.deepEqual(missing, [], `stored ${all.length} samples from ${all[0]}; the receiver lacks ${missing.length} of them`);
});
