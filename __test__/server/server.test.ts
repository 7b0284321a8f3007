// `promethium server` end to end: scraping a target, the HTTP API (also through Debian's promtool,
// a real Go client), reload keeping the old config on error, and a clean shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { Storage } from '../../src/storage/index.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

interface Api {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  errorType?: string;
  error?: string;
}

async function get(url: string): Promise<{ code: number; body: Api }> {
  const r = await fetch(url);
  return { code: r.status, body: (await r.json()) as Api };
}

test('the server scrapes, stores and answers like Prometheus', async (t) => {
  // A target exposing the text format, with a counter that moves.
  let hits = 0;
  const target = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(`# TYPE demo_requests_total counter\ndemo_requests_total{path="/a"} ${hits * 10}\ndemo_temperature_celsius 21.5\n`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const tport = (target.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-server-'));
  const config = join(dir, 'prometheus.yml');
  const good = `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: ["127.0.0.1:${tport}"]\n        labels: {env: test}\n`;
  writeFileSync(config, good);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-lifecycle'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  t.after(() => {
    server.kill('SIGKILL');
    target.close();
  });

  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined));
  assert.match(log, /Server is ready to receive web requests\./);
  const up = await waitFor('up', async () => {
    const r = await get(`${base}/api/v1/query?query=up`);
    return r.body.data.result.length > 0 ? r.body : undefined;
  });
  assert.deepEqual(up.data.result[0]!.metric, { __name__: 'up', env: 'test', instance: `127.0.0.1:${tport}`, job: 'demo' });
  assert.equal(up.data.result[0]!.value[1], '1');

  // Enough scrapes for a rate.
  await waitFor('3 scrapes', async () => (hits >= 3 ? true : undefined));
  await new Promise((r) => setTimeout(r, 1200));
  const rate = await get(`${base}/api/v1/query?query=${encodeURIComponent('rate(demo_requests_total[1m])')}`);
  assert.equal(rate.body.data.result.length, 1);
  assert.ok(Number(rate.body.data.result[0]!.value[1]) > 0);

  // Errors in Prometheus's envelope and status codes.
  const bad = await get(`${base}/api/v1/query?query=${encodeURIComponent('sum(')}`);
  assert.equal(bad.code, 400);
  assert.equal(bad.body.errorType, 'bad_data');
  assert.match(bad.body.error!, /1:5: parse error/);

  // Debian's promtool as a client of our API.
  const promtool = (...args: string[]): string => {
    const r = spawnSync('promtool', args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.match(promtool('query', 'instant', base, 'demo_temperature_celsius'), /demo_temperature_celsius\{env="test", instance="127\.0\.0\.1:\d+", job="demo"\} => 21\.5 @\[/);
  const now = Math.floor(Date.now() / 1000);
  assert.match(promtool('query', 'range', `--start=${now - 30}`, `--end=${now}`, '--step=1s', base, 'up'), /up\{env="test", instance="127\.0\.0\.1:\d+", job="demo"\} =>\n1 @\[/);
  assert.match(promtool('query', 'series', '--match=demo_requests_total', base), /\{__name__="demo_requests_total", env="test", instance="127\.0\.0\.1:\d+", job="demo", path="\/a"\}/);
  assert.match(promtool('query', 'labels', base, 'job'), /^demo$/m);

  // Metadata the target exposed, per target and per metric.
  const tmeta = (await (await fetch(`${base}/api/v1/targets/metadata?match_target=${encodeURIComponent('{job="demo"}')}&metric=demo_requests_total`)).json()) as { data: { target: Record<string, string>; type: string; help: string; unit: string }[] };
  assert.deepEqual(tmeta.data, [{ target: { env: 'test', instance: `127.0.0.1:${tport}`, job: 'demo' }, type: 'counter', help: '', unit: '' }]);
  const meta = (await (await fetch(`${base}/api/v1/metadata`)).json()) as { data: Record<string, { type: string }[]> };
  assert.deepEqual(meta.data['demo_requests_total'], [{ type: 'counter', help: '', unit: '' }]);
  assert.equal(meta.data['demo_temperature_celsius'], undefined, 'no TYPE or HELP line, no metadata');
  const none = (await (await fetch(`${base}/api/v1/targets/metadata?match_target=${encodeURIComponent('{job="other"}')}`)).json()) as { data: unknown[] };
  assert.deepEqual(none.data, []);
  assert.equal((await fetch(`${base}/api/v1/targets/metadata?match_target=${encodeURIComponent('{job=')}`)).status, 400);

  // Federation: the latest sample of each selected series with its timestamp, in the text format.
  const fed = await fetch(`${base}/federate?match[]=${encodeURIComponent('{job="demo",__name__=~"demo_.*"}')}`);
  assert.equal(fed.status, 200);
  const fedText = await fed.text();
  assert.match(fedText, /^# TYPE demo_requests_total untyped$/m);
  const fedTemp = new RegExp(`^demo_temperature_celsius\\{env="test",instance="127\\.0\\.0\\.1:${tport}",job="demo"\\} 21\\.5 (\\d+)$`, 'm').exec(fedText);
  assert.ok(fedTemp, fedText);
  assert.ok(Math.abs(Number(fedTemp[1]) - Date.now()) < 10_000);
  assert.doesNotMatch(fedText, /^up\{/m);
  assert.equal((await fetch(`${base}/federate`)).status, 400);
  const fedLint = spawnSync('promtool', ['check', 'metrics'], { input: fedText.replace(/ \d+$/gm, ''), encoding: 'utf8' });
  // Federation carries no HELP (Prometheus's neither): that is promtool's only remark.
  assert.deepEqual(`${fedLint.stdout}${fedLint.stderr}`.split('\n').filter((l) => l !== '' && !/ no help text$/.test(l)), []);

  // Exemplars are not stored: answered as Prometheus answers without exemplar storage.
  const ex = await get(`${base}/api/v1/query_exemplars?query=${encodeURIComponent('demo_requests_total')}&start=0&end=${now}`);
  assert.equal(ex.code, 200);
  assert.deepEqual(ex.body.data, []);
  const badEx = await get(`${base}/api/v1/query_exemplars?query=up&start=10&end=1`);
  assert.equal(badEx.code, 400);
  assert.equal(badEx.body.error, 'end timestamp must not be before start timestamp');
  assert.equal((await get(`${base}/api/v1/query_exemplars`)).body.error, '1:1: parse error: no expression found in input');

  // A reload with a broken config keeps the running one.
  writeFileSync(config, good + '  - job_name: demo\n');
  const reload = await fetch(`${base}/-/reload`, { method: 'POST' });
  assert.equal(reload.status, 500);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^prometheus_config_last_reload_successful 0$/m);
  assert.match(metrics, /^prometheus_tsdb_head_series \d+$/m);
  const stillUp = await get(`${base}/api/v1/targets`);
  assert.equal((stillUp.body.data as unknown as { activeTargets: unknown[] }).activeTargets.length, 1);

  // SIGTERM: a clean shutdown that releases the data directory.
  const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
  server.kill('SIGTERM');
  assert.equal(await exited, 0);
  const reopened = Storage.open(join(dir, 'data'));
  assert.ok(reopened.select([{ type: '=', name: '__name__', value: 'up' }], 0, Date.now()).length >= 1, 'the samples are on disk');
  reopened.close();
});

test('alerting rules fire and are sent to the Alertmanagers (static and file discovery, relabeling, auth); recording rules are written', async (t) => {
  // A fake Alertmanager that records what it receives.
  const received: { labels: Record<string, string>; annotations: Record<string, string> }[] = [];
  const viaFileSd: { authorization: string | undefined; count: number }[] = [];
  const am = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/api/v2/alerts') received.push(...(JSON.parse(body) as typeof received));
      if (req.url === '/prefix/api/v2/alerts') viaFileSd.push({ authorization: req.headers.authorization, count: (JSON.parse(body) as unknown[]).length });
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => am.listen(0, '127.0.0.1', r));
  const amPort = (am.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rules-'));
  const deadPort = await freePort();
  // The second alertmanager config finds the same Alertmanager through a file, under a path prefix
  // with basic auth; relabeling drops the other discovered target.
  writeFileSync(join(dir, 'ams.json'), JSON.stringify([{ targets: [`127.0.0.1:${amPort}`, '127.0.0.1:1'], labels: { team: 'ops' } }]));
  writeFileSync(
    join(dir, 'rules.yml'),
    'groups:\n  - name: walkthrough\n    interval: 1s\n    rules:\n      - alert: InstanceDown\n        expr: up == 0\n        for: 2s\n        labels: {severity: page}\n        annotations:\n          summary: "Instance {{ $labels.instance }} down"\n      - record: job:up:sum\n        expr: sum by (job) (up)\n',
  );
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n  external_labels: {site: lab}\nrule_files: [rules.yml]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:${amPort}"]\n    - file_sd_configs:\n        - files: [ams.json]\n      path_prefix: /prefix\n      basic_auth: {username: prom, password: secret}\n      relabel_configs:\n        - source_labels: [__address__]\n          regex: '127\\.0\\.0\\.1:1'\n          action: drop\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ["127.0.0.1:${deadPort}"]\n`,
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  t.after(() => {
    server.kill('SIGKILL');
    am.close();
  });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined));
  const alert = await waitFor('the alert at the Alertmanager', async () => received.find((a) => a.labels['alertname'] === 'InstanceDown'), 300, 100);
  assert.deepEqual(alert.labels, { alertname: 'InstanceDown', instance: `127.0.0.1:${deadPort}`, job: 'node', severity: 'page', site: 'lab' });
  assert.equal(alert.annotations['summary'], `Instance 127.0.0.1:${deadPort} down`);
  await waitFor('the alert through file discovery', async () => (viaFileSd.length > 0 ? true : undefined), 100, 100);
  assert.equal(viaFileSd[0]!.authorization, `Basic ${Buffer.from('prom:secret').toString('base64')}`);
  const ams = (await (await fetch(`${base}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: { url: string }[]; droppedAlertmanagers: { url: string }[] } };
  assert.deepEqual(ams.data.activeAlertmanagers.map((a) => a.url).sort(), [`http://127.0.0.1:${amPort}/api/v2/alerts`, `http://127.0.0.1:${amPort}/prefix/api/v2/alerts`]);
  assert.deepEqual(ams.data.droppedAlertmanagers, [{ url: 'http://127.0.0.1:1/prefix/api/v2/alerts' }]);
  const alerts = (await (await fetch(`${base}/api/v1/alerts`)).json()) as { data: { alerts: { state: string }[] } };
  assert.equal(alerts.data.alerts[0]!.state, 'firing');
  const recorded = await get(`${base}/api/v1/query?query=${encodeURIComponent('job:up:sum')}`);
  assert.deepEqual(recorded.body.data.result[0]!.metric, { __name__: 'job:up:sum', job: 'node' });
  const rules = (await (await fetch(`${base}/api/v1/rules`)).json()) as { data: { groups: { rules: { health: string }[] }[] } };
  assert.ok(rules.data.groups[0]!.rules.every((r) => r.health === 'ok'));
});
