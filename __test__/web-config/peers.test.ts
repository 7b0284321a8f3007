// --web.config.file end to end, with Debian's Go tools as the other side: promtool and amtool
// (amtool with --http.config.file) as clients of our server and Alertmanager over TLS + basic auth, Prometheus 2.42 scraping our
// node exporter over mutual TLS + basic auth, and our server scraping Debian's node_exporter
// behind its own web config. Also --web.external-url with a path: every page and asset under it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { makePki, bcryptHash } from './pki.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const pki = makePki();
const ca = readFileSync(pki.path('ca.crt'));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, auth?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, agent: false, headers: auth === undefined ? {} : { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

function start(t: import('node:test').TestContext, command: string, args: string[]): { child: ChildProcess; log: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  t.after(() => {
    child.kill('SIGKILL');
  });
  return { child, log: () => log };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

const serverTlsAuth = (users: string): string => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n${users}`;
/** A Go client's http config (promtool, amtool, Prometheus's scrape config) for our servers. */
const clientHttpConfig = (password: string): string => `basic_auth:\n  username: alice\n  password: ${password}\ntls_config:\n  ca_file: ${pki.path('ca.crt')}\n`;

test('server: HTTPS + basic auth with promtool; every page and asset under --web.external-url\'s path', async (t) => {
  const webConfig = join(pki.dir, 'server-web.yml');
  writeFileSync(webConfig, serverTlsAuth(`  alice: ${bcryptHash('pw1')}\n`));
  const port = await freePort();
  const base = `https://127.0.0.1:${port}/prom`;
  const s = start(t, process.execPath, ['--import', 'tsx', cli, 'server', `--storage.tsdb.path=${join(pki.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${webConfig}`, `--web.external-url=${base}/`, `--config.file=${join(pki.dir, 'none.yml')}`]);
  writeFileSync(join(pki.dir, 'none.yml'), 'scrape_configs: []\n');
  await waitFor('ready', async () => ((await get(`${base}/-/ready`, 'alice:pw1')).status === 200 ? true : undefined));
  assert.match(s.log(), /TLS is enabled/);

  // Debian's promtool, a Go client. promtool 2.42 has no --http.config.file (later releases do):
  // it takes the credentials from the URL and trusts our CA through SSL_CERT_FILE.
  const promtool = (password: string, expr: string): ReturnType<typeof spawnSync> =>
    spawnSync('promtool', ['query', 'instant', `https://alice:${password}@127.0.0.1:${port}/prom`, expr], { encoding: 'utf8', env: { ...process.env, SSL_CERT_FILE: pki.path('ca.crt') } });
  const q = promtool('pw1', 'vector(42)');
  assert.equal(q.status, 0, String(q.stderr));
  assert.match(String(q.stdout), /=> 42 @/);
  const denied = promtool('wrong', 'vector(42)');
  assert.notEqual(denied.status, 0);
  assert.match(String(denied.stderr), /401|Unauthorized/);

  // Missing and wrong credentials: 401 with the challenge.
  for (const auth of [undefined, 'alice:nope']) {
    const r = await get(`${base}/api/v1/query?query=1`, auth);
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Basic');
  }

  // The route prefix: `/` leads to it; pages, assets, API and /metrics are under it.
  const root = await get(`https://127.0.0.1:${port}/`, 'alice:pw1');
  assert.equal(root.status, 302);
  assert.equal(root.headers.location, '/prom');
  for (const page of ['query', 'graph', 'alerts', 'targets', 'rules', 'status', 'flags', 'config', 'tsdb-status', 'service-discovery', '']) {
    const r = await get(`${base}/${page}`, 'alice:pw1');
    // 503 when the UI bundle is not built; the shell's links are what is checked then.
    assert.ok(r.status === 200 || r.status === 503, `${page}: ${r.status}`);
    if (r.status === 200) {
      assert.match(r.body, /<base href="\/prom\/">/);
      assert.match(r.body, /src="\/prom\/ui\/app\.js"/);
      assert.match(r.body, /href="\/prom\/ui\/app\.css"/);
      assert.doesNotMatch(r.body, /(src|href)="\/(?!prom\/)/);
    }
  }
  const shell = await get(`${base}/query`, 'alice:pw1');
  if (shell.status === 200) assert.equal((await get(`${base}/ui/app.js`, 'alice:pw1')).status, 200);
  assert.equal((await get(`${base}/metrics`, 'alice:pw1')).status, 200);
  assert.equal((await get(`${base}/api/v1/status/buildinfo`, 'alice:pw1')).status, 200);
  assert.equal((await get(`https://127.0.0.1:${port}/api/v1/status/buildinfo`, 'alice:pw1')).status, 404);
  const flags = JSON.parse((await get(`${base}/api/v1/status/flags`, 'alice:pw1')).body) as { data: Record<string, string> };
  assert.equal(flags.data['web.config.file'], webConfig);

  // Rotated password: the next request uses the new one, no restart.
  writeFileSync(webConfig, serverTlsAuth(`  alice: ${bcryptHash('pw2')}\n`));
  const after = promtool('pw2', 'vector(7)');
  assert.equal(after.status, 0, String(after.stderr));
  assert.equal((await get(`${base}/-/ready`, 'alice:pw1')).status, 401);
});

test('a bad web config stops each server at start with the reason', async (t) => {
  const bad = join(pki.dir, 'bad-web.yml');
  writeFileSync(bad, 'tls_server_config:\n  cert_file: server.crt\n  key_file: missing.key\n');
  for (const args of [['server', `--storage.tsdb.path=${join(pki.dir, 'bad-data')}`, `--config.file=${join(pki.dir, 'none.yml')}`], ['alertmanager', `--storage.path=${join(pki.dir, 'bad-am')}`, `--config.file=${join(pki.dir, 'am-bad.yml')}`], ['node-exporter']]) {
    writeFileSync(join(pki.dir, 'none.yml'), 'scrape_configs: []\n');
    writeFileSync(join(pki.dir, 'am-bad.yml'), 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
    const port = await freePort();
    const p = start(t, process.execPath, ['--import', 'tsx', cli, ...args, `--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${bad}`]);
    assert.equal(await exited(p.child), 1, `${args[0]}: ${p.log()}`);
    assert.match(p.log(), /Error loading web config.*failed to read key_file/, args[0]);
  }
});

test('alertmanager: amtool --http.config.file over HTTPS + basic auth, under a route prefix', async (t) => {
  const webConfig = join(pki.dir, 'am-web.yml');
  writeFileSync(webConfig, serverTlsAuth(`  alice: ${bcryptHash('pw')}\n`));
  const amConfig = join(pki.dir, 'alertmanager.yml');
  writeFileSync(amConfig, 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
  const port = await freePort();
  const base = `https://127.0.0.1:${port}/am`;
  start(t, process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${amConfig}`, `--storage.path=${join(pki.dir, 'am')}`, `--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${webConfig}`, `--web.external-url=${base}`]);
  await waitFor('ready', async () => ((await get(`${base}/-/ready`, 'alice:pw')).status === 200 ? true : undefined));
  const clientCfg = join(pki.dir, 'amtool-http.yml');
  writeFileSync(clientCfg, clientHttpConfig('pw'));
  const amtool = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync('amtool', [`--alertmanager.url=${base}`, `--http.config.file=${clientCfg}`, ...args], { encoding: 'utf8' });
  const add = amtool('alert', 'add', 'alertname=TlsTest', 'severity=page');
  assert.equal(add.status, 0, String(add.stderr));
  const query = amtool('alert', 'query', '-o', 'simple');
  assert.equal(query.status, 0, String(query.stderr));
  assert.match(String(query.stdout), /TlsTest/);
  writeFileSync(clientCfg, clientHttpConfig('bad'));
  const denied = amtool('alert', 'query');
  assert.notEqual(denied.status, 0);
  assert.equal((await get(`${base}/api/v2/status`)).status, 401);
  const root = await get(`https://127.0.0.1:${port}/`, 'alice:pw');
  assert.equal(root.status, 302);
  assert.equal(root.headers.location, '/am');
  const page = await get(`${base}/`, 'alice:pw');
  if (page.status === 200) {
    assert.match(page.body, /<base href="\/am\/">/);
    assert.equal((await get(`${base}/ui/app.js`, 'alice:pw')).status, 200);
  }
});

test('Prometheus 2.42 scrapes our node exporter over mutual TLS + basic auth', async (t) => {
  const webConfig = join(pki.dir, 'ne-web.yml');
  writeFileSync(webConfig, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\nbasic_auth_users:\n  prometheus: ${bcryptHash('scrape-pw')}\n`);
  const nePort = await freePort();
  const ne = start(t, process.execPath, ['--import', 'tsx', cli, 'node-exporter', `--web.listen-address=127.0.0.1:${nePort}`, `--web.config.file=${webConfig}`, '--collector.disable-defaults', '--collector.loadavg']);
  await waitFor('node exporter', async () => (/TLS is enabled/.test(ne.log()) ? true : undefined));
  const promPort = await freePort();
  const promConfig = join(pki.dir, 'prom-scrape.yml');
  writeFileSync(promConfig, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: node\n    scheme: https\n    basic_auth: {username: prometheus, password: scrape-pw}\n    tls_config: {ca_file: ${pki.path('ca.crt')}, cert_file: ${pki.path('client.crt')}, key_file: ${pki.path('client.key')}}\n    static_configs: [{targets: ['127.0.0.1:${nePort}']}]\n  - job_name: node-no-cert\n    scheme: https\n    basic_auth: {username: prometheus, password: scrape-pw}\n    tls_config: {ca_file: ${pki.path('ca.crt')}}\n    static_configs: [{targets: ['127.0.0.1:${nePort}']}]\n`);
  start(t, 'prometheus', [`--config.file=${promConfig}`, `--storage.tsdb.path=${join(pki.dir, 'prom-data')}`, `--web.listen-address=127.0.0.1:${promPort}`]);
  const ups = await waitFor('both jobs scraped', async () => {
    const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=up`);
    const body = (await r.json()) as { data: { result: { metric: { job: string }; value: [number, string] }[] } };
    return body.data.result.length === 2 ? body.data.result : undefined;
  }, 300);
  const byJob = new Map(ups.map((u) => [u.metric.job, u.value[1]]));
  assert.equal(byJob.get('node'), '1');
  assert.equal(byJob.get('node-no-cert'), '0');
  const load = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=node_load1`);
  assert.equal(((await load.json()) as { data: { result: unknown[] } }).data.result.length, 1);
});

test('our server scrapes Debian\'s node_exporter behind its own --web.config.file', async (t) => {
  const webConfig = join(pki.dir, 'debian-ne-web.yml');
  writeFileSync(webConfig, serverTlsAuth(`  scraper: ${bcryptHash('s3cret')}\n`));
  const nePort = await freePort();
  start(t, 'prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nePort}`, `--web.config.file=${webConfig}`, '--collector.disable-defaults', '--collector.loadavg']);
  const port = await freePort();
  const config = join(pki.dir, 'ours-scrape.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: debian-node\n    scheme: https\n    basic_auth: {username: scraper, password: s3cret}\n    tls_config: {ca_file: ${pki.path('ca.crt')}}\n    static_configs: [{targets: ['127.0.0.1:${nePort}']}]\n  - job_name: wrong-password\n    scheme: https\n    basic_auth: {username: scraper, password: nope}\n    tls_config: {ca_file: ${pki.path('ca.crt')}}\n    static_configs: [{targets: ['127.0.0.1:${nePort}']}]\n`);
  start(t, process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(pki.dir, 'ours-data')}`, `--web.listen-address=127.0.0.1:${port}`]);
  const ups = await waitFor('both jobs scraped', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=up`);
    const body = (await r.json()) as { data: { result: { metric: { job: string }; value: [number, string] }[] } };
    return body.data.result.length === 2 ? body.data.result : undefined;
  }, 300);
  const byJob = new Map(ups.map((u) => [u.metric.job, u.value[1]]));
  assert.equal(byJob.get('debian-node'), '1');
  assert.equal(byJob.get('wrong-password'), '0');
  const build = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=node_exporter_build_info`);
  assert.equal(((await build.json()) as { data: { result: unknown[] } }).data.result.length, 1);
});
