// http_sd_configs against a local HTTP server: groups with __meta_url, the job's credentials sent,
// a bad answer keeping the last good groups, and Prometheus's URL validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { HttpDiscovery } from '../../src/discovery/http.js';
import { parseConfig } from '../../src/config/index.js';
import type { TargetGroup } from '../../src/discovery/target-group.js';
import { Logger } from '../../src/util/logger.js';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('target groups come from the URL with __meta_url; a bad answer keeps the last good ones', async (t) => {
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: JSON.stringify([{ targets: ['a:9100', 'b:9100'], labels: { env: 'prod' } }, { targets: ['c:9100'] }]) };
  const seen: { auth: string | undefined; refresh: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ auth: req.headers.authorization, refresh: req.headers['x-prometheus-refresh-interval-seconds'] as string | undefined });
    res.writeHead(answer.status, { 'Content-Type': answer.type });
    res.end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sd`;
  const cfg = parseConfig(`scrape_configs:\n  - job_name: x\n    http_sd_configs:\n      - url: ${url}\n        refresh_interval: 30s\n        basic_auth: {username: u, password: p}\n`, 'p.yml');
  const errors: string[] = [];
  let groups: TargetGroup[] = [];
  const d = new HttpDiscovery(cfg.scrapeConfigs[0]!.httpSdConfigs[0]!, new Logger({ level: 'error', write: (l) => errors.push(l) }), (g) => (groups = g));
  await d.refresh();
  assert.deepEqual(
    groups.map((g) => [g.targets, g.labels]),
    [
      [['a:9100', 'b:9100'], { env: 'prod', __meta_url: url }],
      [['c:9100'], { __meta_url: url }],
    ],
  );
  assert.deepEqual(seen[0], { auth: `Basic ${Buffer.from('u:p').toString('base64')}`, refresh: '30' });

  answer = { status: 200, type: 'text/plain', body: 'nope' };
  await d.refresh();
  assert.equal(groups.length, 2, 'the last good groups stay');
  assert.match(errors.join('\n'), /Unable to refresh target groups.*unsupported content type/);
  answer = { status: 500, type: 'application/json', body: '[]' };
  await d.refresh();
  assert.equal(groups.length, 2);
  assert.match(errors.join('\n'), /server returned HTTP status 500/);
  answer = { status: 200, type: 'application/json', body: '[]' };
  await d.refresh();
  assert.deepEqual(groups, [], 'an empty list empties the targets');
  d.stop();
});

test('http_sd_configs URLs are validated as Prometheus validates them', () => {
  const job = (url: string): string => `scrape_configs:\n  - job_name: x\n    http_sd_configs:\n      - url: ${url}\n`;
  assert.equal(parseConfig(job('https://sd.example/targets'), 'p.yml').scrapeConfigs[0]!.httpSdConfigs[0]!.refreshIntervalMs, 60_000);
  assert.throws(() => parseConfig(job('ftp://example.com'), 'p.yml'), /URL scheme must be 'http' or 'https'/);
  assert.throws(() => parseConfig(job('invalid'), 'p.yml'), /URL scheme must be 'http' or 'https'/);
  assert.throws(() => parseConfig(job('http://'), 'p.yml'), /host is missing in URL/);
  assert.throws(() => parseConfig(`scrape_configs:\n  - job_name: x\n    http_sd_configs:\n      - refresh_interval: 1m\n`, 'p.yml'), /URL is missing/);
});

test('the server scrapes the targets HTTP discovery lists, with their labels', { timeout: 60_000 }, async (t) => {
  const target = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end('demo_value 42\n');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const targetAddr = `127.0.0.1:${(target.address() as AddressInfo).port}`;
  const sd = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify([{ targets: [targetAddr], labels: { team: 'blue' } }]));
  });
  await new Promise<void>((r) => sd.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-httpsd-'));
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: discovered\n    http_sd_configs:\n      - url: http://127.0.0.1:${(sd.address() as AddressInfo).port}/targets\n    relabel_configs:\n      - source_labels: [__meta_url]\n        regex: '.*/targets'\n        target_label: via\n        replacement: http_sd\n`);
  const port = await freePort();
  const server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  t.after(() => {
    server.kill('SIGKILL');
    target.close();
    sd.close();
  });
  const result = await waitFor('the discovered target scraped', async () => {
    const r = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=demo_value`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return r.data.result[0];
  }, 300, 100);
  assert.deepEqual(result.metric, { __name__: 'demo_value', instance: targetAddr, job: 'discovered', team: 'blue', via: 'http_sd' });
  assert.equal(result.value[1], '42');
});
