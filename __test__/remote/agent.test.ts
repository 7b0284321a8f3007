// `--agent`: scraping into the WAL under --storage.agent.path, and no local querying — the query,
// series, labels, exemplars, rules, status/tsdb and remote-read endpoints answer Prometheus's
// agent error, while targets and the server's own endpoints keep working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('agent mode scrapes into its own WAL and refuses local querying', { timeout: 60_000 }, async (t) => {
  let scrapes = 0;
  const target = createServer((_req, res) => {
    scrapes++;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(`agent_test_gauge ${scrapes}\n`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-agent-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: t\n    static_configs:\n      - targets: ["127.0.0.1:${(target.address() as { port: number }).port}"]\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const agentPath = join(dir, 'agent-wal');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'server', '--agent', `--config.file=${config}`, `--storage.agent.path=${agentPath}`, `--storage.tsdb.path=${join(dir, 'server-data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  t.after(() => {
    child.kill('SIGKILL');
    target.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined), 300);
  await waitFor('3 scrapes', async () => (scrapes >= 3 ? true : undefined), 300);

  for (const path of ['/api/v1/query?query=up', '/api/v1/query_range?query=up&start=0&end=10&step=1', '/api/v1/series?match[]=up', '/api/v1/labels', '/api/v1/label/job/values', '/api/v1/query_exemplars?query=up&start=0&end=1', '/api/v1/rules', '/api/v1/alerts', '/api/v1/status/tsdb']) {
    const r = await fetch(`${base}${path}`);
    assert.equal(r.status, 422, path);
    assert.deepEqual(await r.json(), { status: 'error', errorType: 'execution', error: 'unavailable with Prometheus Agent' }, path);
  }
  assert.equal((await fetch(`${base}/api/v1/read`, { method: 'POST', body: 'x' })).status, 422);
  // Scraping works: the target is up, and its samples go to the agent's WAL, not the server's path.
  const targets = (await (await fetch(`${base}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string }[] } };
  assert.equal(targets.data.activeTargets[0]?.health, 'up');
  const wal = join(agentPath, 'wal');
  assert.ok(readdirSync(wal).some((f) => statSync(join(wal, f)).size > 0), 'WAL segments written');
  assert.equal(existsSync(join(dir, 'server-data')), false);
  const flags = (await (await fetch(`${base}/api/v1/status/flags`)).json()) as { data: Record<string, string> };
  assert.equal(flags.data['agent'], 'true');

  // A configuration with rule_files, alerting or remote_read is refused in agent mode, as in Prometheus.
  const withRules = join(dir, 'rules.yml');
  writeFileSync(withRules, 'rule_files:\n  - r.yml\n');
  const refused = spawnSync(process.execPath, ['--import', 'tsx', cli, 'server', '--agent', `--config.file=${withRules}`, `--storage.agent.path=${join(dir, 'refused')}`, '--web.listen-address=127.0.0.1:0'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /field rule_files is not allowed in agent mode/);
});

test('the agent truncates its WAL on its interval, with the retention flags applied', { timeout: 60_000 }, async (t) => {
  const target = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end('agent_truncation_gauge 1\n');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-agent-truncate-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: t\n    static_configs:\n      - targets: ["127.0.0.1:${(target.address() as { port: number }).port}"]\n`);
  const agentPath = join(dir, 'agent-wal');
  let stderr = '';
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'server', '--agent', `--config.file=${config}`, `--storage.agent.path=${agentPath}`, '--web.listen-address=127.0.0.1:0', '--log.format=json', '--storage.agent.retention.min-time=1m', '--storage.agent.retention.max-time=3h', '--storage.agent.wal-truncate-frequency=1s'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  t.after(() => {
    child.kill('SIGKILL');
    target.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const logged = (msg: string) => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === msg);
  const truncated = await waitFor('a WAL truncation', async () => logged('WAL truncated'), 300);
  assert.equal(truncated['component'], 'agent');
  assert.deepEqual([logged('Agent WAL retention')?.['min_time'], logged('Agent WAL retention')?.['max_time'], logged('Agent WAL retention')?.['truncate_frequency']], ['1m', '3h', '1s']);
  assert.doesNotMatch(stderr, /not applied yet/);
  // A WAL only: no blocks next to it.
  assert.deepEqual(readdirSync(agentPath).filter((f) => /^[0-9A-Z]{26}$/.test(f)), []);
});
