// Native histograms in the web UI, in real headless Chromium: a server scraping a protobuf target
// with a native histogram; the Table view shows count, sum and the bucket chart (exponential and
// linear scale), the Graph view draws histogram_quantile and says why a raw histogram has no line.
// Screenshots go to artifacts/ui/ (git-ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePort, waitFor } from '../helpers/net.js';
import { CHROMIUM, assertChromium, shot } from '../helpers/browser.js';
import { encodeMetricFamilies } from '../../src/exposition/metrics-proto.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('native histograms in the Query page: table chart with scale toggle, graph notice, histogram_quantile drawn', { timeout: 180_000 }, async (t) => {
  assertChromium();
  let scrapes = 0;
  const target = createServer((_req, res) => {
    scrapes++;
    const n = scrapes;
    res.writeHead(200, { 'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' });
    res.end(
      encodeMetricFamilies([
        {
          name: 'rpc_seconds',
          help: 'RPC latency.',
          type: 4,
          metric: [{ histogram: { sampleCount: 26 * n, sampleSum: 40 * n, schema: 0, zeroThreshold: 0.001, zeroCount: n, positiveSpan: [{ offset: -2, length: 6 }], positiveDelta: [n, n, 2 * n, 4 * n, -3 * n, -2 * n], negativeSpan: [{ offset: 0, length: 1 }], negativeDelta: [2 * n] } }],
        },
      ]),
    );
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-ui-nh-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_native_histograms: true\nscrape_configs:\n  - job_name: rpc\n    static_configs:\n      - targets: ["127.0.0.1:${(target.address() as { port: number }).port}"]\n`);
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    server.kill('SIGKILL');
    target.close();
  });
  await waitFor('server ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  await waitFor('a rate over the histogram', async () => {
    const r = (await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent('histogram_quantile(0.9, rate(rpc_seconds[1m]))')}`)).json()) as { data: { result: unknown[] } };
    return r.data.result.length > 0 ? true : undefined;
  });

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    // Table view: count, sum and one bar per non-empty bucket (negative, zero, six positive).
    await page.goto(`${base}/query?g0.expr=rpc_seconds&g0.tab=table`);
    const cell = page.locator('.panel .data-table td.value .histogram').first();
    await cell.waitFor({ timeout: 15_000 });
    const count = Number(await cell.locator('.histogram-count').innerText());
    const sum = Number(await cell.locator('.histogram-sum').innerText());
    assert.ok(count > 0 && count % 26 === 0, `count ${count}`);
    assert.equal(sum, (count / 26) * 40);
    const bars = cell.locator('svg.histogram-chart rect.histogram-bar');
    assert.equal(await bars.count(), 8);
    assert.match((await bars.first().locator('title').textContent()) ?? '', /^\[-1, -0\.5\): \d+$/);
    const xs = async () => Promise.all((await bars.all()).map(async (b) => Number(await b.getAttribute('x'))));
    const exponential = await xs();
    // Exponential scale: equal widths, so the bars sit at equal steps.
    const steps = exponential.slice(1).map((x, i) => x - exponential[i]!);
    assert.ok(steps.every((s) => Math.abs(s - steps[0]!) < 1e-6), `exponential steps ${steps}`);
    await shot(page, 'histogram-table-exponential');
    await cell.locator('button.histogram-scale[data-scale="linear"]').click();
    assert.equal(await cell.locator('button.histogram-scale[data-scale="linear"]').getAttribute('aria-pressed'), 'true');
    const linear = await xs();
    assert.notDeepEqual(linear, exponential, 'the linear scale places bars at their bounds');
    // Linear: the widest bucket (4, 8] is wider than the narrow ones near zero.
    const widths = await Promise.all((await bars.all()).map(async (b) => Number(await b.getAttribute('width'))));
    assert.ok(widths[widths.length - 1]! > 4 * widths[2]!, `linear widths ${widths}`);
    await cell.locator('details.histogram-buckets summary').click();
    assert.match(await cell.locator('details.histogram-buckets').innerText(), /\[-0\.001, 0\.001\]/);
    await shot(page, 'histogram-table-linear');

    // Graph view of the raw histogram: no line, a notice saying why and what to graph instead.
    await page.click('.panel .tab[data-tab="graph"]');
    await page.fill('.panel .range-input', '5m');
    await page.fill('.panel .step-input', '1');
    await page.click('.panel .execute');
    const notice = page.locator('.panel .histogram-notice');
    await notice.waitFor({ timeout: 15_000 });
    assert.match(await notice.innerText(), /1 series holds native histograms, which cannot be drawn as a line[\s\S]*histogram_quantile/);
    await shot(page, 'histogram-graph-notice');

    // histogram_quantile is an ordinary float series: drawn, no notice.
    await page.click('.panel .cm-content');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('histogram_quantile(0.9, rate(rpc_seconds[1m]))');
    await page.click('.panel .execute');
    await page.locator('.panel .graph-legend .legend-item').first().waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('.panel .histogram-notice').count(), 0);
    const inked = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('.panel canvas');
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx) return 0;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });
    assert.ok(inked > 100, `the graph canvas has ${inked} drawn pixels`);
    await shot(page, 'histogram-quantile-graph');
  } catch (e) {
    await shot(page, 'histogram-failure');
    throw new Error(`${(e as Error).message}\npage errors: ${pageErrors.join('; ')}\nserver log: ${log.slice(-1500)}`);
  }
  assert.deepEqual(pageErrors, []);
});
