// The Query page's Prometheus 3 features and the graph's legibility, in headless Chromium against
// a server that scrapes itself, a dead target and an OpenMetrics target with exemplars:
// SI axis labels that fit, 24-hour non-overlapping time labels, axis colours from the theme with
// WCAG AA contrast (checked on the canvas pixels) in both themes, the drag-zoom round trip,
// exemplars with their labels on hover, the Explain tree, the metrics explorer, the query history,
// label-value completion inside a selector, the Rules and Alerts pages' fields, and no console
// error (favicon.ico included) on any page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { freePort, waitFor } from '../helpers/net.js';
import { CHROMIUM, assertChromium, shot } from '../helpers/browser.js';
import { contrastRatio, parseColor } from '../../src/web/ui/format.js';
import { parseLooseDuration } from '../../src/model/duration.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

interface LabelBox {
  text: string;
  left: number;
  right: number;
}

async function labelBoxes(page: Page, axis: 'x' | 'y'): Promise<LabelBox[]> {
  const text = await page.locator('.panel .graph').first().getAttribute(`data-${axis}-labels`);
  return JSON.parse(text ?? '[]') as LabelBox[];
}

/** The axis colour, the panel background behind it, and how many canvas pixels of the y-axis strip carry the axis colour. */
async function axisInk(page: Page): Promise<{ axis: string; background: string; panelBackground: string; inked: number }> {
  return page.evaluate(() => {
    const graph = document.querySelector<HTMLElement>('.panel .graph')!;
    const canvas = graph.querySelector('canvas')!;
    const axis = graph.dataset['axisColor']!;
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = axis;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    const ctx = canvas.getContext('2d')!;
    const plotLeft = JSON.parse(graph.dataset['yLabels']!)[0].right as number;
    const strip = ctx.getImageData(0, 0, Math.floor(plotLeft * devicePixelRatio), canvas.height).data;
    let inked = 0;
    for (let i = 0; i < strip.length; i += 4) if (strip[i + 3]! > 200 && Math.abs(strip[i]! - r!) + Math.abs(strip[i + 1]! - g!) + Math.abs(strip[i + 2]! - b!) < 30) inked++;
    return { axis, background: graph.dataset['axisBackground']!, panelBackground: getComputedStyle(graph.closest('.panel')!).backgroundColor, inked };
  });
}

function assertContrast(axis: string, background: string, what: string): void {
  const a = parseColor(axis);
  const b = parseColor(background);
  assert.ok(a && b, `${what}: colours ${axis} / ${background} are real colours, not CSS variables`);
  const ratio = contrastRatio(a, b);
  assert.ok(ratio >= 4.5, `${what}: axis labels ${axis} on ${background} have contrast ${ratio.toFixed(2)} < 4.5`);
}

test('Query page: legible graph axes in both themes, zoom round trip, exemplars, Explain, metrics explorer, history, completion; Rules and Alerts fields', { timeout: 300_000 }, async (t) => {
  assertChromium();
  // An OpenMetrics target whose counter carries an exemplar (a trace id).
  const target = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
    res.end('# TYPE demo_requests counter\n# HELP demo_requests Requests served.\ndemo_requests_total 5 # {trace_id="abc123"} 5\n# EOF\n');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const targetPort = (target.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-ui-features-'));
  const port = await freePort();
  const deadPort = await freePort();
  writeFileSync(join(dir, 'rules.yml'), 'groups:\n- name: availability\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    for: 1m\n    keep_firing_for: 2m\n    labels:\n      severity: page\n    annotations:\n      summary: "Instance {{ $labels.instance }} down"\n  - record: job:up:sum\n    expr: sum by (job) (up)\n');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n  - job_name: broken\n    static_configs:\n      - targets: ["127.0.0.1:${deadPort}"]\n  - job_name: exemplars\n    static_configs:\n      - targets: ["127.0.0.1:${targetPort}"]\n`);
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=exemplar-storage'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    server.kill('SIGKILL');
    target.close();
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('server ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  await waitFor('exemplar stored', async () => ((await (await fetch(`${base}/api/v1/query_exemplars?query=demo_requests_total&start=0&end=${Date.now() / 1000 + 60}`)).text()).includes('abc123') ? true : undefined), 300);
  await waitFor('a few scrapes', async () => {
    const r = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent('count_over_time(up[1m])')}`)).json()) as { data: { result: { value: [number, string] }[] } };
    return r.data.result.length === 3 && r.data.result.every((s) => Number(s.value[1]) >= 4) ? true : undefined;
  }, 300);
  const favicon = await fetch(`${base}/favicon.ico`);
  assert.equal(favicon.status, 200);
  assert.equal(favicon.headers.get('content-type'), 'image/x-icon');

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript(() => {
    if (localStorage.getItem('promethium.theme') === null) localStorage.setItem('promethium.theme', 'light');
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  try {
    await graphAxes(page, base);
    await zoomRoundTrip(page, base);
    await exemplars(page, base);
    await explain(page, base);
    await explorerHistoryCompletion(page, base);
    await rulesAndAlerts(page, base);
  } catch (e) {
    await shot(page, 'features-failure');
    throw new Error(`${(e as Error).stack}\nconsole: ${consoleErrors.join('; ')}\nserver log: ${log.slice(-1500)}`);
  }
  assert.deepEqual(consoleErrors, []);
});

async function graphAxes(page: Page, base: string): Promise<void> {
  // A 10-minute stacked graph of a memory size: SI labels, 24-hour times that do not overlap.
  await page.goto(`${base}/query?g0.expr=process_resident_memory_bytes&g0.tab=graph&g0.range_input=10m&g0.stacked=1`);
  await page.locator('.panel .graph[data-y-labels]').waitFor({ timeout: 15_000 });
  const ys = await labelBoxes(page, 'y');
  assert.ok(ys.length >= 3, JSON.stringify(ys));
  for (const y of ys) {
    assert.match(y.text, /^-?\d+(\.\d+)?[kMGTPEZY]?$/, `a short SI label: ${y.text}`);
    assert.ok(y.left >= 0, `y label "${y.text}" is not cut off on the left (${y.left})`);
  }
  assert.ok(ys.some((y) => y.text.endsWith('M')), `memory in megabytes: ${ys.map((y) => y.text).join(', ')}`);
  const xs = await labelBoxes(page, 'x');
  assert.ok(xs.length >= 4, JSON.stringify(xs));
  for (const x of xs) assert.match(x.text.split('\n')[0]!, /^\d\d:\d\d(:\d\d)?$/, `24-hour time: ${x.text}`);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i - 1]!.right + 4 <= xs[i]!.left, `x labels "${xs[i - 1]!.text}" and "${xs[i]!.text}" overlap`);
  const light = await axisInk(page);
  assertContrast(light.axis, light.background, 'light');
  assert.deepEqual(parseColor(light.background), parseColor(light.panelBackground), 'the contrast is measured against the panel the graph sits on');
  assert.ok(light.inked > 50, `the y-axis labels are drawn in the axis colour (${light.inked} pixels)`);
  await shot(page, 'graph-stacked-light');
  // Dark theme: the graph redraws with the dark theme's colours.
  await page.click('.theme-toggle');
  await waitFor('dark axis colour', async () => ((await axisInk(page)).axis !== light.axis ? true : undefined), 50);
  const dark = await axisInk(page);
  assertContrast(dark.axis, dark.background, 'dark');
  assert.deepEqual(parseColor(dark.background), parseColor(dark.panelBackground));
  assert.ok(dark.inked > 50, `dark: the y-axis labels are drawn in the axis colour (${dark.inked} pixels)`);
  await shot(page, 'graph-stacked-dark');
  await page.click('.theme-toggle');
}

async function zoomRoundTrip(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/query?g0.expr=up&g0.tab=graph&g0.range_input=10m`);
  await page.locator('.panel .graph[data-x-labels]').waitFor({ timeout: 15_000 });
  const over = (await page.locator('.panel .u-over').boundingBox())!;
  // Drag across the last 30% of the plot, where the data is.
  await page.mouse.move(over.x + over.width * 0.7, over.y + over.height / 2);
  await page.mouse.down();
  await page.mouse.move(over.x + over.width * 0.85, over.y + over.height / 2, { steps: 5 });
  await page.mouse.move(over.x + over.width * 0.995, over.y + over.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForURL((u) => u.searchParams.get('g0.range_input') !== '10m', { timeout: 10_000 });
  const url = new URL(page.url());
  const range = url.searchParams.get('g0.range_input')!;
  const ms = parseLooseDuration(range)!;
  assert.ok(ms >= 2 * 60_000 && ms <= 4 * 60_000, `zoomed to about 3m of 10m: ${range}`);
  assert.equal(await page.inputValue('.panel .range-input'), range, 'the Range field follows the zoom');
  const end = await page.inputValue('.panel .time-input');
  assert.match(end, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.equal(url.searchParams.get('g0.end_input'), end, 'the URL has the End field');
  // The new graph has its axes labelled.
  await page.waitForFunction((r) => {
    const g = document.querySelector<HTMLElement>('.panel .graph');
    return g !== null && JSON.parse(g.dataset['xLabels'] ?? '[]').length >= 3 && JSON.parse(g.dataset['yLabels'] ?? '[]').length >= 2 && (document.querySelector('.panel .range-input') as HTMLInputElement).value === r;
  }, range);
  await shot(page, 'graph-zoomed');
  // Double-click: back to the range before the zoom.
  await page.locator('.panel .u-over').dblclick();
  await page.waitForURL((u) => u.searchParams.get('g0.range_input') === '10m', { timeout: 10_000 });
  assert.equal(await page.inputValue('.panel .range-input'), '10m');
  assert.equal(await page.inputValue('.panel .time-input'), '');
  assert.equal(new URL(page.url()).searchParams.get('g0.end_input'), null);
  await page.waitForFunction(() => JSON.parse(document.querySelector<HTMLElement>('.panel .graph')?.dataset['xLabels'] ?? '[]').length >= 3);
}

async function exemplars(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/query?g0.expr=demo_requests_total&g0.tab=graph&g0.range_input=2m&g0.step_input=1`);
  await page.locator('.panel .exemplar-note').waitFor({ timeout: 15_000 });
  const points = JSON.parse((await page.locator('.panel .graph').getAttribute('data-exemplar-points'))!) as { x: number; y: number }[];
  assert.ok(points.length >= 1);
  const box = (await page.locator('.panel .graph').boundingBox())!;
  const p = points[points.length - 1]!;
  await page.mouse.move(box.x + p.x, box.y + p.y);
  await page.locator('.panel .graph-tooltip:not([hidden])').waitFor({ timeout: 5_000 });
  const tip = await page.locator('.panel .graph-tooltip').innerText();
  assert.match(tip, /Exemplar/);
  assert.match(tip, /trace_id: abc123/);
  assert.match(tip, /demo_requests_total\{.*job="exemplars"/);
  await shot(page, 'graph-exemplars');
}

async function explain(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/query?g0.expr=${encodeURIComponent('count by (job) (up == 1)')}&g0.tab=explain`);
  const nodes = page.locator('.panel .explain-node');
  await nodes.nth(3).waitFor({ timeout: 15_000 });
  assert.deepEqual(await page.locator('.panel .explain-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind'))), ['AggregateExpr', 'BinaryExpr', 'VectorSelector', 'NumberDurationLiteral']);
  await page.waitForFunction(() => [...document.querySelectorAll('.panel .explain-count')].every((e) => !e.textContent!.includes('evaluating')));
  const counts = await page.locator('.panel .explain-count').allInnerTexts();
  assert.equal(counts[0], '2 series · labels: job (2)');
  assert.equal(counts[2], '3 series · labels: instance (3), job (3)');
  assert.equal(counts[3], 'scalar: 1');
  const words = await page.locator('.panel .explain-words').allInnerTexts();
  assert.match(words[0]!, /^Counts the input series per distinct value of job/);
  assert.match(words[1]!, /^Filters: keeps the left-hand series whose value is == the number/);
  assert.match(words[2]!, /^Selects the latest sample .* named up/);
  // Clicking a node shows its own result.
  await nodes.nth(2).click();
  await page.locator('.panel .explain-detail .data-table tr', { hasText: 'job="broken"' }).waitFor();
  assert.equal(await page.locator('.panel .explain-detail .data-table tr').count(), 3);
  await shot(page, 'query-explain');
}

async function explorerHistoryCompletion(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/query`);
  await page.waitForSelector('body[data-ready="true"] .panel .cm-content');
  // Metrics explorer: search, type and help from /api/v1/metadata, a click inserts the name.
  await page.click('.panel .metrics-explorer-button');
  await page.locator('.metrics-explorer .metric-row').first().waitFor();
  await page.fill('.metrics-explorer .dialog-search', 'resident memory');
  const row = page.locator('.metrics-explorer .metric-row', { hasText: 'process_resident_memory_bytes' });
  await row.waitFor();
  assert.equal(await row.locator('.metric-type').innerText(), 'gauge');
  assert.match(await row.locator('.metric-help').innerText(), /Resident memory size in bytes/);
  assert.equal(await page.locator('.metrics-explorer .metric-row', { hasText: 'up' }).filter({ hasNotText: 'resident' }).count(), 0, 'the search filters');
  await shot(page, 'metrics-explorer');
  await row.locator('.metric-name').click();
  assert.equal(await page.locator('.metrics-explorer').count(), 0, 'the dialog closes');
  assert.equal(await page.locator('.panel .cm-content').innerText(), 'process_resident_memory_bytes');
  // History: the queries run earlier in this browser, newest first; a click puts one back.
  await page.click('.panel .history-button');
  const items = await page.locator('.query-history .history-item').allInnerTexts();
  assert.equal(items[0], 'count by (job) (up == 1)');
  assert.ok(items.includes('demo_requests_total') && items.includes('up') && items.includes('process_resident_memory_bytes'), items.join(' | '));
  await page.locator('.query-history .history-item', { hasText: 'demo_requests_total' }).click();
  assert.equal(await page.locator('.panel .cm-content').innerText(), 'demo_requests_total');
  // Label values complete inside a selector, from our API.
  await page.click('.panel .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('up{job="');
  const list = page.locator('.cm-tooltip-autocomplete');
  await list.waitFor({ timeout: 10_000 });
  await page.waitForFunction(() => /prometheus/.test(document.querySelector('.cm-tooltip-autocomplete')?.textContent ?? ''));
  const options = await list.innerText();
  assert.match(options, /broken/);
  assert.match(options, /exemplars/);
  await shot(page, 'label-value-completion');
}

async function rulesAndAlerts(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/rules`);
  await page.waitForSelector('body[data-ready="true"]');
  const rule = page.locator('tr.rule[data-name="InstanceDown"]');
  assert.equal(await rule.locator('.meta-for').innerText(), '1m');
  assert.equal(await rule.locator('.meta-keep_firing_for').innerText(), '2m');
  assert.match(await rule.locator('.meta-labels').innerText(), /severity="page"/);
  assert.match(await rule.locator('.meta-annotations').innerText(), /summary: Instance \{\{ \$labels\.instance \}\} down/);
  assert.equal(await rule.locator('.health').innerText(), 'OK');
  assert.match(await rule.locator('.last-evaluation').innerText(), /s ago$/);
  for (const cell of await page.locator('tr.rule .evaluation-time').allInnerTexts()) assert.match(cell, /^\d+(\.\d+)?(µs|ms)$/, `evaluation time with sub-ms granularity: ${cell}`);
  await page.goto(`${base}/alerts`);
  await page.waitForSelector('body[data-ready="true"]');
  const def = await page.locator('.alert-rule .rule-def').first().innerText();
  assert.match(def, /^for: 1m$/m);
  assert.match(def, /^keep_firing_for: 2m$/m);
  assert.doesNotMatch(def, /60s/);
}
