// The web UI in real headless Chromium (Debian's chromium, driven by playwright-core): the
// walkthrough's steps in the browser. Screenshots of each page go to artifacts/ui/ (git-ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { freePort, waitFor } from '../helpers/net.js';
import { CHROMIUM, assertChromium, shot } from '../helpers/browser.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('the walkthrough in the browser: query, graph, targets, alerts, rules, status', { timeout: 180_000 }, async (t) => {
  assertChromium();
  const dir = mkdtempSync(join(tmpdir(), 'promethium-ui-'));
  const port = await freePort();
  const deadPort = await freePort(); // nothing listens there: a target that is DOWN
  writeFileSync(join(dir, 'rules.yml'), 'groups:\n- name: availability\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    labels:\n      severity: page\n    annotations:\n      summary: "Instance {{ $labels.instance }} down"\n  - record: job:up:sum\n    expr: sum by (job) (up)\n');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n  - job_name: broken\n    static_configs:\n      - targets: ["127.0.0.1:${deadPort}"]\n`);
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    server.kill('SIGKILL');
  });
  await waitFor('server ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  // Enough scrapes for a rate over 1m to have two points, and the alert to fire.
  await waitFor('rate data', async () => {
    const r = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent('rate(prometheus_tsdb_head_samples_appended_total[1m])')}`)).json()) as { data: { result: unknown[] } };
    return r.data.result.length > 0 ? true : undefined;
  });
  await waitFor('alert firing', async () => ((await (await fetch(`${base}/api/v1/alerts`)).text()).includes('"firing"') ? true : undefined));

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    await walkthrough(page, base, port, deadPort);
  } catch (e) {
    await shot(page, 'failure');
    throw new Error(`${(e as Error).message}\npage errors: ${pageErrors.join('; ')}\nserver log: ${log.slice(-1500)}`);
  }
  assert.deepEqual(pageErrors, [], log.slice(-2000));
});

async function walkthrough(page: Page, base: string, port: number, deadPort: number): Promise<void> {

  // Query page, Table view: type `up`, Shift+Enter, find the server's own row with value 1.
  await page.goto(`${base}/query`);
  await page.waitForSelector('body[data-ready="true"] .panel .cm-content');
  await page.click('.panel .cm-content');
  await page.keyboard.type('up');
  await page.keyboard.press('Shift+Enter');
  const row = page.locator('.panel .data-table tr', { hasText: `up{instance="127.0.0.1:${port}", job="prometheus"}` });
  await row.waitFor({ timeout: 15_000 });
  assert.equal((await row.locator('td.value').innerText()).trim(), '1');
  const down = page.locator('.panel .data-table tr', { hasText: `up{instance="127.0.0.1:${deadPort}", job="broken"}` });
  assert.equal((await down.locator('td.value').innerText()).trim(), '0');
  await shot(page, 'query-table');

  // A syntax error is shown plainly.
  await page.click('.panel .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('sum(');
  await page.click('.panel .execute');
  await page.locator('.panel .alert.error').waitFor({ timeout: 15_000 });
  assert.match(await page.locator('.panel .alert.error').innerText(), /parse error/);

  // Graph view: a drawn line and the series in the legend.
  await page.click('.panel .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('rate(prometheus_tsdb_head_samples_appended_total[1m])');
  await page.click('.panel .tab[data-tab="graph"]');
  // The server has run for seconds only: a 1s resolution puts evaluation steps where the data is.
  await page.fill('.panel .step-input', '1');
  await page.fill('.panel .range-input', '5m');
  await page.click('.panel .execute');
  await page.locator('.panel .graph-legend .legend-item').first().waitFor({ timeout: 15_000 });
  assert.match(await page.locator('.panel .graph-legend').innerText(), /job="prometheus"/);
  const inked = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('.panel canvas');
    if (!canvas) return 0;
    const ctx = canvas.getContext('2d');
    if (!ctx) return 0;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
  assert.ok(inked > 100, `the graph canvas has ${inked} drawn pixels`);
  assert.equal(await page.locator('.cm-tooltip-autocomplete').count(), 0, 'the completion list is closed once the query runs');
  // Hovering the graph shows the series and its value.
  const over = (await page.locator('.panel .u-over').boundingBox())!;
  await page.mouse.move(over.x + over.width - 5, over.y + over.height / 2);
  await page.locator('.panel .graph-tooltip:not([hidden])').waitFor({ timeout: 5_000 });
  assert.match(await page.locator('.panel .graph-tooltip').innerText(), /job="prometheus"[\s\S]*value: /);
  await shot(page, 'query-graph');
  // The state is in the URL: reloading shows the same graph.
  assert.match(page.url(), /g0\.expr=rate/);
  assert.match(page.url(), /g0\.tab=(graph|0)/);

  // Panels can be added and removed.
  await page.click('.add-panel');
  assert.equal(await page.locator('.panel').count(), 2);
  await page.locator('.panel').nth(1).locator('.remove').click();
  assert.equal(await page.locator('.panel').count(), 1);

  // Prometheus's /graph links open the same view.
  await page.goto(`${base}/graph?g0.expr=${encodeURIComponent('up')}&g0.tab=1`);
  await page.locator('.panel .data-table tr', { hasText: 'job="prometheus"' }).waitFor({ timeout: 15_000 });

  // Targets: the server UP, the dead target DOWN with the connection error.
  await page.goto(`${base}/targets`);
  await page.waitForSelector('body[data-ready="true"]');
  const upRow = page.locator('tr.target', { hasText: `127.0.0.1:${port}` });
  assert.equal((await upRow.locator('.state').innerText()).trim(), 'UP');
  const downRow = page.locator('tr.target', { hasText: `127.0.0.1:${deadPort}` });
  assert.equal((await downRow.locator('.state').innerText()).trim(), 'DOWN');
  assert.match(await downRow.locator('.error-cell').innerText(), /connection refused/i);
  await shot(page, 'targets');

  // Alerts: the rule with its firing alert; Rules: both rules with their health.
  await page.goto(`${base}/alerts`);
  await page.waitForSelector('body[data-ready="true"]');
  const alerts = await page.locator('main').innerText();
  assert.match(alerts, /InstanceDown/);
  assert.match(alerts, /Firing \(1\)/);
  await shot(page, 'alerts');
  await page.goto(`${base}/rules`);
  await page.waitForSelector('body[data-ready="true"]');
  const rules = await page.locator('main').innerText();
  assert.match(rules, /availability/);
  assert.match(rules, /record: job:up:sum/);
  assert.match(rules, /OK/);
  await shot(page, 'rules');

  // Status pages.
  for (const [path, text] of [['status', /Runtime/i], ['tsdb-status', /prometheus_tsdb_head_series|Head/i], ['flags', /storage\.tsdb\.path/], ['config', /job_name: broken/], ['service-discovery', /__address__="127\.0\.0\.1:\d+"/]] as const) {
    await page.goto(`${base}/${path}`);
    await page.waitForSelector('body[data-ready="true"]');
    assert.match(await page.locator('main').innerText(), text, path);
    await shot(page, path);
  }

  // The dark theme.
  await page.click('.theme-toggle');
  assert.equal(await page.evaluate(() => document.documentElement.dataset['theme']), 'dark');
  await shot(page, 'config-dark');
}
