// global.query_log_file: API and rule queries logged as JSON lines; switched off by a reload.
// scrape_failure_log_file: failed scrapes, one JSON line each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

interface LogLine {
  params: { query: string; start: string; end: string; step: number };
  stats: { timings: { evalTotalTime: number } };
  httpRequest?: { clientIP: string; method: string; path: string };
  ruleGroup?: { file: string; name: string };
  error?: string;
  ts: string;
}

test('query_log_file and scrape_failure_log_file: one JSON line per query or failed scrape; a reload without them stops logging; CORS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-query-log-'));
  const log = join(dir, 'queries.log');
  const rules = join(dir, 'rules.yml');
  writeFileSync(rules, 'groups:\n  - name: g\n    interval: 1s\n    rules:\n      - record: one\n        expr: vector(1)\n');
  const config = join(dir, 'prometheus.yml');
  const failures = join(dir, 'failures.log');
  const withLog = `global:\n  query_log_file: ${log}\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  scrape_failure_log_file: ${failures}\nrule_files: [${rules}]\nscrape_configs:\n  - job_name: dead\n    static_configs:\n      - targets: ['127.0.0.1:1']\n`;
  writeFileSync(config, withLog);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-lifecycle', '--web.cors.origin=https://grafana\\.example'], { stdio: 'ignore' });
  t.after(() => server.kill('SIGKILL'));
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined));

  await fetch(`${base}/api/v1/query?query=${encodeURIComponent('up + 1')}&time=1700000000`);
  await fetch(`${base}/api/v1/query_range?query=up&start=1700000000&end=1700000060&step=15`);
  await fetch(`${base}/api/v1/query?query=${encodeURIComponent('rate(up)')}`);
  const lines = await waitFor('rule queries logged', async () => {
    const l = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((x) => JSON.parse(x) as LogLine) : [];
    return l.some((x) => x.ruleGroup) ? l : undefined;
  });
  const instant = lines.find((l) => l.params.query === 'up + 1')!;
  assert.deepEqual(instant.params, { end: '2023-11-14T22:13:20.000Z', query: 'up + 1', start: '2023-11-14T22:13:20.000Z', step: 0 });
  assert.deepEqual(instant.httpRequest, { clientIP: '127.0.0.1', method: 'GET', path: '/api/v1/query' });
  assert.ok(instant.stats.timings.evalTotalTime >= 0 && !Number.isNaN(Date.parse(instant.ts)));
  const range = lines.find((l) => l.params.query === 'up' && l.params.step === 15)!;
  assert.equal(range.params.end, '2023-11-14T22:14:20.000Z');
  assert.equal(range.httpRequest?.path, '/api/v1/query_range');
  assert.deepEqual(lines.find((l) => l.ruleGroup)!.ruleGroup, { file: rules, name: 'g' });
  // A query that fails parsing never reaches the engine; nothing is logged for it, as in Prometheus.
  assert.ok(!lines.some((l) => l.params.query === 'rate(up)'));
  assert.match(await (await fetch(`${base}/metrics`)).text(), /^prometheus_engine_query_log_enabled 1$/m);
  const failed = await waitFor('a failed scrape logged', async () => (existsSync(failures) && readFileSync(failures, 'utf8').trim() !== '' ? (JSON.parse(readFileSync(failures, 'utf8').trim().split('\n')[0]!) as Record<string, string>) : undefined));
  assert.deepEqual({ level: failed['level'], job_name: failed['job_name'], target: failed['target'] }, { level: 'ERROR', job_name: 'dead', target: 'http://127.0.0.1:1/metrics' });
  assert.match(failed['msg']!, /connection refused/);

  // --web.cors.origin: the API answers a matching Origin with CORS headers, and preflights.
  const cors = async (origin: string, method = 'GET'): Promise<Headers> => (await fetch(`${base}/api/v1/query?query=1`, { method, headers: { Origin: origin } })).headers;
  assert.equal((await cors('https://grafana.example')).get('access-control-allow-origin'), 'https://grafana.example');
  const other = await cors('https://evil.example');
  assert.equal(other.get('access-control-allow-origin'), null);
  assert.equal(other.get('vary'), 'Origin');
  const pre = await fetch(`${base}/api/v1/query_range`, { method: 'OPTIONS', headers: { Origin: 'https://grafana.example' } });
  assert.equal(pre.status, 200);
  assert.equal(pre.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');

  writeFileSync(config, 'global: {}\nscrape_configs: []\n');
  assert.equal((await fetch(`${base}/-/reload`, { method: 'POST' })).status, 200);
  const before = readFileSync(log, 'utf8');
  await fetch(`${base}/api/v1/query?query=${encodeURIComponent('up + 2')}`);
  assert.equal(readFileSync(log, 'utf8'), before);
  assert.match(await (await fetch(`${base}/metrics`)).text(), /^prometheus_engine_query_log_enabled 0$/m);
});
