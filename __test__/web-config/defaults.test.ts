// Listen addresses as upstream (every interface: 0.0.0.0:9090, :9093, :9100, the walkthrough
// too), and the route prefix honoured without a web config as well.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
