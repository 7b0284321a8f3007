// The server end to end: remote_write in prometheus.yml, scraping a target every second; the
// receiver (a fake on 127.0.0.1) goes down, the server is killed with SIGKILL while it is down and
// started again, the receiver comes back: every sample the server stored reached the receiver
// (per series, the distinct timestamps equal what the server answers), duplicates at most one
// batch per shard. Also the status API and the metrics with Prometheus's names. The outage lasts
// seconds here; the two minutes, beside Prometheus 2.42, are outage-two-minutes.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { decodeV1, fakeReceiver, scrapeTarget } from './wire.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('outage and SIGKILL restart: every scraped sample reaches the receiver', { timeout: 150_000 }, async (t) => {
  const target = await scrapeTarget(() => Array.from({ length: 5 }, (_, i) => `# HELP rw_series A test gauge.\n# TYPE rw_series gauge\nrw_series{i="${i}"} ${Math.random()}\n`).join(''));
  const tport = target.port;
  let up = true;
  const rx = await fakeReceiver(() => ({ status: up ? 204 : 503 }));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-outage-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: t\n    static_configs:\n      - targets: ["127.0.0.1:${tport}"]\nremote_write:\n  - url: ${rx.url}\n    name: fake\n    queue_config: { batch_send_deadline: 200ms, min_backoff: 50ms, max_backoff: 500ms, max_samples_per_send: 100 }\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The servers' logs, kept for a failure's message.
  let logs = '';
  const start = (): ChildProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (b: Buffer) => (logs = (logs + b.toString()).slice(-8000)));
    return child;
  };
  let server = start();
  t.after(async () => {
    server.kill('SIGKILL');
    target.close();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ready = () => waitFor('ready', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined));
  // Stale markers (NaN) are sent too; PromQL's count_over_time does not count them.
  const received = () => {
    const per = new Map<string, number[]>();
    for (const r of rx.requests.filter((x) => x.status === 204)) for (const s of decodeV1(r.body)) if (s.labels.__name__ === 'rw_series') per.set(s.labels.i!, [...(per.get(s.labels.i!) ?? []), ...s.samples.filter((x) => !Number.isNaN(x.v)).map((x) => x.t)]);
    return per;
  };
  await ready();
  await waitFor('samples at the receiver', async () => ((received().get('0')?.length ?? 0) >= 3 ? true : undefined));

  const status = (await (await fetch(`${base}/api/v1/status/remote-write`)).json()) as { status: string; data: { queues: { name: string; url: string; samplesSent: number; protocol: string }[] } };
  assert.equal(status.status, 'success');
  assert.equal(status.data.queues[0]!.name, 'fake');
  assert.equal(status.data.queues[0]!.url, rx.url);
  assert.equal(status.data.queues[0]!.protocol, 'prometheus.WriteRequest');
  const metrics = await (await fetch(`${base}/metrics`)).text();
  for (const name of ['samples_total', 'samples_failed_total', 'samples_retried_total', 'samples_pending', 'shards', 'shards_desired', 'shards_min', 'shards_max', 'bytes_total', 'queue_highest_sent_timestamp_seconds', 'sent_batch_duration_seconds_count']) {
    assert.match(metrics, new RegExp(`^prometheus_remote_storage_${name}\\{remote_name="fake",url="${rx.url.replace(/[.]/g, '\\.')}"\\} `, 'm'), name);
  }
  assert.match(metrics, /^prometheus_remote_storage_highest_timestamp_in_seconds [1-9]/m);
  assert.match(metrics, /^prometheus_wal_watcher_records_read_total\{consumer="fake",type="samples"\} [1-9]/m);

  // The receiver goes away; scrapes go on; the server is killed and started again meanwhile.
  up = false;
  await new Promise((r) => setTimeout(r, 3000));
  server.kill('SIGKILL');
  await new Promise((r) => server.once('exit', r));
  server = start();
  await ready();
  await new Promise((r) => setTimeout(r, 3000));
  up = true;
  await new Promise((r) => setTimeout(r, 2500));
  // Freeze the series: compare what the server holds with what the receiver got.
  target.freeze();
  const query = async (q: string) => ((await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
  await waitFor('the receiver to catch up', async () => {
    const stored = await query('count_over_time(rw_series[10m])');
    const got = received();
    return stored.length === 5 && stored.every((s) => new Set(got.get(s.metric.i!) ?? []).size >= Number(s.value[1])) ? true : undefined;
  }, 150, 200).catch(async (e: Error) => {
    const stored = await query('count_over_time(rw_series[10m])').catch((q: Error) => q.message);
    const got = [...received()].map(([i, ts]) => `${i}: ${new Set(ts).size}`).join(', ');
    throw new Error(`${e.message}; stored ${JSON.stringify(stored)}; received ${got}; statuses ${rx.requests.map((r) => r.status).join(' ')}; the servers' logs end:\n${logs}`);
  });
  const stored = await query('count_over_time(rw_series[10m])');
  const got = received();
  let duplicates = 0;
  for (const s of stored) {
    const ts = got.get(s.metric.i!)!;
    assert.equal(new Set(ts).size, Number(s.value[1]), `series ${s.metric.i}: every stored sample reached the receiver`);
    duplicates += ts.length - new Set(ts).size;
  }
  assert.ok(duplicates <= 100, `duplicates ${duplicates} at most one batch`);
});
