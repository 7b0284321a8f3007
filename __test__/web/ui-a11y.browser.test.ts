// Every page of both UIs (server and Alertmanager) in both themes, in headless Chromium: a
// full-page screenshot into artifacts/ui/<page>-<theme>.png, and axe-core's audit, which must find no
// critical or serious violation. The counts per page are written to artifacts/ui/axe.json first, so a
// failing run says where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { freePort, waitFor } from '../helpers/net.js';
import { CHROMIUM, assertChromium, shot } from '../helpers/browser.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const artifacts = new URL('../../artifacts/ui/', import.meta.url).pathname;

interface PageAudit {
  page: string;
  theme: string;
  critical: number;
  serious: number;
  violations: string[];
}

async function audit(page: Page, name: string, theme: string): Promise<PageAudit> {
  await shot(page, `${name}-${theme}`);
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious');
  return {
    page: name,
    theme,
    critical: bad.filter((v) => v.impact === 'critical').reduce((n, v) => n + v.nodes.length, 0),
    serious: bad.filter((v) => v.impact === 'serious').reduce((n, v) => n + v.nodes.length, 0),
    violations: bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`),
  };
}

test('both UIs, every page, light and dark: screenshots and no critical or serious axe violation', { timeout: 300_000 }, async (t) => {
  assertChromium();
  const dir = mkdtempSync(join(tmpdir(), 'promethium-a11y-'));
  const port = await freePort();
  const deadPort = await freePort();
  writeFileSync(join(dir, 'rules.yml'), 'groups:\n- name: availability\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    for: 1s\n    keep_firing_for: 2m\n    labels:\n      severity: page\n    annotations:\n      summary: "Instance {{ $labels.instance }} down"\n  - record: job:up:sum\n    expr: sum by (job) (up)\n');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n  - job_name: broken\n    static_configs:\n      - targets: ["127.0.0.1:${deadPort}"]\n`);
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  server.stderr?.resume();
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    server.kill('SIGKILL');
  });
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: team\n  group_by: [alertname]\nreceivers:\n  - name: team\n');
  const amPort = await freePort();
  const amServer: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  amServer.stderr?.resume();
  t.after(() => amServer.kill('SIGKILL'));
  const am = `http://127.0.0.1:${amPort}`;
  await waitFor('alertmanager ready', async () => ((await fetch(`${am}/-/ready`)).ok ? true : undefined));
  const base = `http://127.0.0.1:${port}`;
  await waitFor('server ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  await waitFor('alert firing', async () => ((await (await fetch(`${base}/api/v1/alerts`)).text()).includes('"firing"') ? true : undefined), 300);
  const alerts = [1, 2].map((i) => ({ labels: { alertname: 'InstanceDown', instance: `host-${i}:9100`, job: 'node' }, annotations: { summary: `host-${i} down` } }));
  assert.equal((await fetch(`${am}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(alerts) })).status, 200);
  const now = Date.now();
  const silence = { matchers: [{ name: 'instance', value: 'host-2:9100', isRegex: false, isEqual: true }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3600_000).toISOString(), createdBy: 'ops', comment: 'maintenance' };
  assert.equal((await fetch(`${am}/api/v2/silences`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(silence) })).status, 200);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const results: PageAudit[] = [];
  const graphUrl = `${base}/query?g0.expr=${encodeURIComponent('process_resident_memory_bytes')}&g0.tab=graph&g0.range_input=5m&g0.step_input=1`;
  const serverPages: [string, string][] = [
    ['query', `${base}/query`],
    ['query-graph', graphUrl],
    ['query-explain', `${base}/query?g0.expr=${encodeURIComponent('sum by (job) (up == 1)')}&g0.tab=explain`],
    ['alerts', `${base}/alerts`],
    ['targets', `${base}/targets`],
    ['rules', `${base}/rules`],
    ['status', `${base}/status`],
    ['tsdb-status', `${base}/tsdb-status`],
    ['flags', `${base}/flags`],
    ['config', `${base}/config`],
    ['service-discovery', `${base}/service-discovery`],
  ];
  const amPages: [string, string][] = [
    ['am-alerts', `${am}/#/alerts`],
    ['am-alerts-silenced', `${am}/#/alerts?silenced=true`],
    ['am-silences', `${am}/#/silences`],
    ['am-new-silence', `${am}/#/silences/new?matchers=${encodeURIComponent('alertname="InstanceDown"')}`],
    ['am-status', `${am}/#/status`],
  ];
  for (const theme of ['light', 'dark']) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.addInitScript((th) => localStorage.setItem('promethium.theme', th), theme);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    for (const [name, url] of [...serverPages, ...amPages]) {
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 }).catch((e: Error) => {
        throw new Error(`${name} (${theme}) did not get ready: ${e.message}; page errors: ${errors.join('; ')}`);
      });
      if (name === 'query-graph') await page.locator('.graph-legend .legend-item').first().waitFor({ timeout: 15_000 });
      if (name === 'am-new-silence') await page.locator('.preview h3').waitFor();
      if (name === 'query-explain') await page.waitForFunction(() => document.querySelectorAll('.explain-count').length === 4 && ![...document.querySelectorAll('.explain-count')].some((e) => e.textContent!.includes('evaluating')));
      assert.equal(await page.evaluate(() => document.documentElement.dataset['theme']), theme, name);
      results.push(await audit(page, name, theme));
    }
    assert.deepEqual(errors, [], `${theme}: page errors`);
    await context.close();
  }
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, 'axe.json'), JSON.stringify(results, null, 1));
  const failing = results.filter((r) => r.critical + r.serious > 0);
  assert.deepEqual(failing.map((r) => `${r.page}-${r.theme}: ${r.violations.join('; ')}`), []);
});
