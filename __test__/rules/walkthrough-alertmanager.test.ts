// The walkthrough's alert end to end with Debian's real Alertmanager 0.25 as the receiver: our
// server scrapes our node exporter; the exporter stops; InstanceDown goes pending, then firing,
// and amtool finds it in the Alertmanager; the exporter comes back and the alert resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

interface AlertsBody {
  data: { alerts: { labels: Record<string, string>; state: string }[] };
}

test('InstanceDown: pending, firing, in the real Alertmanager (amtool), resolved when the exporter is back', { timeout: 180_000 }, async (t) => {
  assert.ok(existsSync(ALERTMANAGER), `${ALERTMANAGER} is missing: apt-get install prometheus-alertmanager (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'promethium-walkthrough-'));
  const [amPort, nePort, port] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  const run = (cmd: string, args: string[]): ChildProcess => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr?.resume();
    children.push(c);
    return c;
  };

  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: team\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: team\n');
  run(ALERTMANAGER, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=']);
  const startExporter = (): ChildProcess => run(process.execPath, ['--import', 'tsx', cli, 'node-exporter', `--web.listen-address=127.0.0.1:${nePort}`]);
  let exporter = startExporter();

  writeFileSync(join(dir, 'rules.yml'), 'groups:\n- name: example\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    for: 3s\n    labels:\n      severity: page\n    annotations:\n      summary: "Instance {{ $labels.instance }} down"\n');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:${amPort}"]\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ["127.0.0.1:${nePort}"]\n`,
  );
  run(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`]);
  const base = `http://127.0.0.1:${port}`;
  const query = async (q: string): Promise<{ data: { result: { value: [number, string] }[] } }> => (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)).json() as Promise<{ data: { result: { value: [number, string] }[] } }>;
  const alerts = async (): Promise<AlertsBody['data']['alerts']> => ((await (await fetch(`${base}/api/v1/alerts`)).json()) as AlertsBody).data.alerts;
  const amtool = (): string => {
    const r = spawnSync('amtool', ['alert', 'query', `--alertmanager.url=http://127.0.0.1:${amPort}`, '-o', 'simple'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  await waitFor('node exporter scraped and up', async () => ((await query('up{job="node"} == 1')).data.result.length === 1 ? true : undefined), 300);
  assert.deepEqual(await alerts(), []);

  exporter.kill('SIGTERM');
  const pending = await waitFor('pending', async () => (await alerts()).find((a) => a.state === 'pending'), 300);
  assert.equal(pending.labels['alertname'], 'InstanceDown');
  assert.equal(pending.labels['instance'], `127.0.0.1:${nePort}`);
  await waitFor('firing', async () => ((await alerts()).some((a) => a.state === 'firing') ? true : undefined), 300);
  const inAm = await waitFor('in the Alertmanager', async () => (amtool().includes('InstanceDown') ? amtool() : undefined), 300);
  assert.match(inAm, /InstanceDown/);
  // ALERTS is written to the TSDB as Prometheus does.
  assert.equal((await query('ALERTS{alertname="InstanceDown",alertstate="firing"}')).data.result.length, 1);

  exporter = startExporter();
  await waitFor('resolved in the server', async () => ((await alerts()).length === 0 ? true : undefined), 300);
  // The resolved alert reaches the Alertmanager (endsAt set), which then no longer lists it as active.
  await waitFor('resolved in the Alertmanager', async () => (!amtool().includes('InstanceDown') ? true : undefined), 300);
});
