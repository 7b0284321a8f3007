// Both UIs in headless Chromium behind HTTPS + basic auth and a path in --web.external-url: every
// request a page makes (assets, API calls) stays under the prefix and succeeds, and every link in
// the pages points under it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, waitFor } from '../helpers/net.js';
import { CHROMIUM, assertChromium, shot } from '../helpers/browser.js';
import { makePki, bcryptHash } from './pki.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const pki = makePki();

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca: readFileSync(pki.path('ca.crt')), agent: false, headers: { authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** Loads a page and returns what it asked for and where its links lead. */
async function visit(page: Page, url: string, ready: string): Promise<{ requests: { url: string; status: number }[]; links: string[] }> {
  const requests: { url: string; status: number }[] = [];
  const onResponse = (r: import('playwright-core').Response): void => {
    requests.push({ url: r.url(), status: r.status() });
  };
  page.on('response', onResponse);
  await page.goto(url);
  await page.waitForSelector(ready);
  await page.waitForLoadState('networkidle');
  page.off('response', onResponse);
  const links = await page.$$eval('a[href]', (as) => as.map((a) => (a as HTMLAnchorElement).href));
  return { requests, links };
}

test('server and Alertmanager UIs under a route prefix, over HTTPS with basic auth', { timeout: 180_000 }, async (t) => {
  assertChromium();
  const webConfig = join(pki.dir, 'web.yml');
  writeFileSync(webConfig, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: ${bcryptHash('pw')}\n`);
  writeFileSync(join(pki.dir, 'prometheus.yml'), 'scrape_configs: []\n');
  writeFileSync(join(pki.dir, 'alertmanager.yml'), 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
  const port = await freePort();
  const amPort = await freePort();
  const children: ChildProcess[] = [
    spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(pki.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(pki.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${webConfig}`, `--web.external-url=https://127.0.0.1:${port}/prom/`], { stdio: 'ignore' }),
    spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(pki.dir, 'alertmanager.yml')}`, `--storage.path=${join(pki.dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`, `--web.config.file=${webConfig}`, `--web.external-url=https://127.0.0.1:${amPort}/am/`], { stdio: 'ignore' }),
  ];
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    for (const c of children) c.kill('SIGKILL');
  });
  const base = `https://127.0.0.1:${port}/prom`;
  const amBase = `https://127.0.0.1:${amPort}/am`;
  await waitFor('server ready', async () => ((await status(`${base}/-/ready`)) === 200 ? true : undefined));
  await waitFor('alertmanager ready', async () => ((await status(`${amBase}/-/ready`)) === 200 ? true : undefined));

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: { username: 'alice', password: 'pw' } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    for (const path of ['query', 'graph', 'alerts', 'targets', 'rules', 'status', 'tsdb-status', 'flags', 'config', 'service-discovery']) {
      const { requests, links } = await visit(page, `${base}/${path}`, 'body[data-ready="true"]');
      assert.ok(requests.some((r) => r.url.includes('/prom/api/v1/') || path === 'query' || path === 'graph'), `${path} made no API call: ${JSON.stringify(requests)}`);
      for (const r of requests) {
        assert.ok(r.url.startsWith(`${base}/`), `${path}: request outside the prefix: ${r.url}`);
        assert.ok(r.status < 400, `${path}: ${r.url} answered ${r.status}`);
      }
      for (const l of links) assert.ok(l.startsWith(`${base}/`), `${path}: link outside the prefix: ${l}`);
    }
    const am = await visit(page, `${amBase}/`, 'nav.navbar');
    assert.ok(am.requests.some((r) => r.url.startsWith(`${amBase}/api/v2/`)), JSON.stringify(am.requests));
    for (const r of am.requests) {
      assert.ok(r.url.startsWith(`${amBase}/`), `alertmanager: request outside the prefix: ${r.url}`);
      assert.ok(r.status < 400, `alertmanager: ${r.url} answered ${r.status}`);
    }
    for (const l of am.links) assert.ok(l.startsWith(`${amBase}/`), `alertmanager: link outside the prefix: ${l}`);
  } catch (e) {
    await shot(page, 'prefix-failure');
    throw e;
  }
  assert.deepEqual(pageErrors, []);
});
