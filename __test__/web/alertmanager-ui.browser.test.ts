// The Alertmanager's web UI in headless Chromium: alerts grouped as routed, silencing an alert from
// its "Silence" button (matchers prefilled, preview of affected alerts), the silence listed and
// expired, the status page. Screenshots go to artifacts/ui/.
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

test('Alertmanager UI: alerts, silence from an alert with preview, expire, status', { timeout: 120_000 }, async (t) => {
  assertChromium();
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-ui-'));
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: team\n  group_by: [alertname]\nreceivers:\n  - name: team\n');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const am: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  am.stderr?.resume();
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    am.kill('SIGKILL');
  });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  const post = await fetch(`${base}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify([
      { labels: { alertname: 'InstanceDown', instance: 'host-1:9100', job: 'node' }, annotations: { summary: 'host-1 down' } },
      { labels: { alertname: 'InstanceDown', instance: 'host-2:9100', job: 'node' }, annotations: { summary: 'host-2 down' } },
    ]),
  });
  assert.equal(post.status, 200);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const ready = (): Promise<unknown> => page.waitForSelector('body[data-ready="true"]');

  // Alerts, grouped by alertname as the route says.
  await page.goto(`${base}/`);
  await ready();
  await page.locator('.am-alert').nth(1).waitFor();
  assert.equal(await page.locator('.am-group').count(), 1);
  assert.match(await page.locator('.am-group .group-title').innerText(), /alertname="InstanceDown"[\s\S]*receiver: team · 2 alerts/);
  assert.match(await page.locator('main').innerText(), /host-1 down/);
  await shot(page, 'am-alerts');

  // Silence host-1 from its alert: the form comes prefilled and previews the one alert it mutes.
  await page.locator('.am-alert', { hasText: 'host-1:9100' }).locator('.silence-alert').click();
  await ready();
  assert.match(await page.inputValue('.matchers-input'), /instance="host-1:9100"/);
  // The form's inputs are styled with the theme, not the browser's defaults.
  const style = await page.locator('.matchers-input').evaluate((el) => {
    const cs = getComputedStyle(el);
    return { radius: cs.borderTopLeftRadius, padding: cs.paddingLeft, border: cs.borderTopColor, width: el.getBoundingClientRect().width, label: el.parentElement!.getBoundingClientRect().width };
  });
  assert.equal(style.radius, '6px');
  assert.equal(style.padding, '8px');
  assert.equal(style.border, 'rgb(217, 221, 229)');
  assert.ok(style.width > style.label * 0.6, 'the input fills its row');
  await page.locator('.preview h3').waitFor();
  assert.equal(await page.locator('.preview h3').innerText(), 'Affected alerts: 1');
  await page.fill('.author-input', 'ops');
  await page.fill('.comment-input', 'disk replacement');
  await shot(page, 'am-new-silence');
  await page.click('.create');
  await page.waitForURL(/#\/silences\?created=/);
  await ready();
  const active = page.locator('.silences.active .silence');
  await active.first().waitFor();
  assert.equal(await active.count(), 1);
  assert.match(await active.innerText(), /instance="host-1:9100"[\s\S]*by ops: disk replacement/);
  await shot(page, 'am-silences');

  // Silenced alerts are hidden by default, as in Alertmanager's UI; the "Silenced" box shows them.
  await page.goto(`${base}/#/alerts`);
  await ready();
  await page.locator('.am-alert').first().waitFor();
  assert.equal(await page.locator('.am-alert').count(), 1);
  assert.match(await page.locator('.am-alert').innerText(), /host-2:9100/);
  assert.equal(await page.locator('.toggle-silenced').isChecked(), false);
  await page.locator('.toggle-silenced').check();
  await page.waitForURL(/#\/alerts\?silenced=true/);
  await ready();
  await page.locator('.am-alert.silenced').waitFor();
  assert.equal(await page.locator('.am-alert').count(), 2);
  assert.match(await page.locator('.am-alert.silenced').innerText(), /SILENCED[\s\S]*host-1:9100/);
  assert.equal(await page.locator('.toggle-silenced').isChecked(), true);
  await shot(page, 'am-alerts-with-silenced');
  await page.locator('.toggle-silenced').uncheck();
  await page.waitForURL((u) => !u.hash.includes('silenced'));
  await ready();
  assert.equal(await page.locator('.am-alert').count(), 1);

  // A bad matcher is refused in the form.
  await page.goto(`${base}/#/silences/new`);
  await ready();
  await page.fill('.matchers-input', 'instance');
  await page.click('.preview-button');
  assert.match(await page.locator('.preview .alert.error').innerText(), /operator/);

  // Expire it.
  await page.goto(`${base}/#/silences`);
  await ready();
  await page.locator('.silences.active .expire').click();
  await page.locator('.silences.expired .silence').waitFor();
  assert.equal(await page.locator('.silences.active .silence').count(), 0);

  // Status: the configuration and the version.
  await page.goto(`${base}/#/status`);
  await ready();
  assert.match(await page.locator('main').innerText(), /receiver: team/);
  await shot(page, 'am-status');
  assert.deepEqual(errors, []);
});
