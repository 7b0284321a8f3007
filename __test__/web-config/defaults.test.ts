// Listen addresses as upstream (every interface: 0.0.0.0:9090, :9093, :9100, the walkthrough
// too), and the route prefix honoured without a web config as well.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { walkthroughComponents } from '../../src/walkthrough/cli.js';
import { externalUrlAndPrefix } from '../../src/web-config/external-url.js';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('default listen addresses are every interface, as upstream', () => {
  for (const [command, dflt] of [['server', '0.0.0.0:9090'], ['alertmanager', ':9093'], ['node-exporter', ':9100']] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, command, '--help'], { encoding: 'utf8' });
    const help = r.stdout + r.stderr;
    const line = help.split('\n').find((l) => l.includes('--web.listen-address'));
    assert.ok(line?.includes(`"${dflt}"`) || line?.includes(dflt), `${command}: ${line}`);
    assert.match(help, /--web\.config\.file/, command);
  }
  for (const c of walkthroughComponents('/cfg', '/data')) {
    const listen = c.args.find((a) => a.startsWith('--web.listen-address='))!.split('=')[1]!;
    assert.match(listen, /^(0\.0\.0\.0)?:\d+$/, c.name);
  }
});

test('external URL and route prefix: defaults, https with TLS, the prefix from the URL\'s path or the flag', () => {
  assert.deepEqual(externalUrlAndPrefix('https://mon.example/prom/', undefined, '0.0.0.0', 9090, 'http'), { externalUrl: 'https://mon.example/prom', routePrefix: '/prom' });
  assert.deepEqual(externalUrlAndPrefix('https://mon.example/prom/', '/', '0.0.0.0', 9090, 'http'), { externalUrl: 'https://mon.example/prom', routePrefix: '' });
  assert.deepEqual(externalUrlAndPrefix(undefined, 'inner/', '127.0.0.1', 9090, 'https'), { externalUrl: 'https://127.0.0.1:9090', routePrefix: '/inner' });
  assert.throws(() => externalUrlAndPrefix('"http://x/"', undefined, '127.0.0.1', 1, 'http'), /must not begin or end with quotes/);
  assert.throws(() => externalUrlAndPrefix('not a url', undefined, '127.0.0.1', 1, 'http'), /not a valid URL/);
});

test('server: --web.route-prefix puts the UI, its assets, the API and /metrics under the prefix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-prefix-'));
  writeFileSync(join(dir, 'prometheus.yml'), 'scrape_configs: []\n');
  const port = await freePort();
  const server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.route-prefix=/inner'], { stdio: 'ignore' });
  t.after(() => server.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}/inner`;
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined));
  const page = await fetch(`${base}/graph`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<base href="\/inner\/">/);
  assert.match(html, /src="\/inner\/ui\/app\.js"/);
  assert.equal((await fetch(`${base}/ui/app.js`)).status, 200);
  assert.equal((await fetch(`${base}/api/v1/query?query=1`)).status, 200);
  assert.equal((await fetch(`${base}/metrics`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/query?query=1`)).status, 404);
  const root = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/inner');
});

test('node exporter and Alertmanager: `:port` is every interface, IPv4 and IPv6 as in Go', async (t) => {
  const ipv6 = await new Promise<boolean>((resolve) => {
    const probe = createServer().once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
  const dir = mkdtempSync(join(tmpdir(), 'promethium-listen-'));
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
  for (const args of [['node-exporter', '--collector.disable-defaults', '--collector.loadavg'], ['alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`]]) {
    // Port 0: a free port on every interface; the log says which.
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args, '--web.listen-address=:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    t.after(() => child.kill('SIGKILL'));
    const address = await waitFor(`${args[0]} listening`, async () => /address=(\S+)/.exec(log.split('\n').find((l) => /Listening/.test(l)) ?? '')?.[1]);
    const m = /^(?:\[(.*)\]|([^:]*)):(\d+)$/.exec(address);
    assert.ok(m, address);
    const host = m[1] ?? m[2];
    // '0.0.0.0' only where the machine has no IPv6.
    assert.equal(host, ipv6 ? '::' : '0.0.0.0', address);
    const path = args[0] === 'node-exporter' ? '/metrics' : '/-/ready';
    assert.equal((await fetch(`http://127.0.0.1:${m[3]}${path}`)).status, 200);
    if (host === '::') assert.equal((await fetch(`http://[::1]:${m[3]}${path}`)).status, 200);
  }
});
