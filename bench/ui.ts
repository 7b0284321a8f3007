// The Graph view under load: 200 series x 11,000 points (Prometheus's per-series point limit) in
// headless Chromium: time from opening the page to the drawn graph with its legend, and how long a
// hover (cursor, tooltip) takes to paint.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Storage } from '../src/storage/index.js';
import { freePort } from '../src/util/free-port.js';

const root = new URL('..', import.meta.url).pathname;
const SERIES = 200;
const POINTS = 11_000;
const STEP_MS = 15_000;

export interface UiFigures {
  loadToDrawnMs: number;
  apiMs: number;
  hoverMedianMs: number;
  hoverMaxMs: number;
}

export async function measureGraph(chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'): Promise<UiFigures | undefined> {
  if (!existsSync(chromiumPath)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-ui-bench-'));
  const end = Date.now() - (Date.now() % STEP_MS);
  const start = end - (POINTS - 1) * STEP_MS;
  // The data: 200 wavy series, one sample per step, written straight into the storage.
  const storage = Storage.open(join(dir, 'data'));
  const refs = storage.seriesRefs(Array.from({ length: SERIES }, (_, i) => ({ __name__: 'bench_ui', series: String(i) })));
  for (let p = 0; p < POINTS; p += 1000) {
    const n = Math.min(1000, POINTS - p) * SERIES;
    const r = new Uint32Array(n);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let k = 0;
    for (let j = p; j < Math.min(p + 1000, POINTS); j++) {
      for (let s = 0; s < SERIES; s++, k++) {
        r[k] = refs[s]!;
        ts[k] = start + j * STEP_MS;
        vs[k] = s + Math.sin(j / 200 + s) * 10;
      }
    }
    storage.append(r, ts, vs);
  }
  storage.close();

  const port = await freePort();
  const server = spawn(process.execPath, [join(root, 'bin', 'promethium.js'), 'server', `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore', cwd: dir });
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  try {
    for (let i = 0; ; i++) {
      if (i > 600) throw new Error('server did not become ready');
      try {
        if ((await fetch(`${base}/-/ready`)).ok) break;
      } catch {
        /* starting */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const range = `${Math.round(((POINTS - 1) * STEP_MS) / 1000)}s`;
    const t0 = Date.now();
    await page.goto(`${base}/query?g0.expr=bench_ui&g0.tab=graph&g0.range_input=${range}&g0.step_input=15&g0.end_input=${encodeURIComponent(new Date(end).toISOString().slice(0, 19).replace('T', ' '))}`);
    await page.waitForFunction((n) => document.querySelectorAll('.graph-legend .legend-item').length === n, SERIES, { timeout: 300_000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
    const loadToDrawnMs = Date.now() - t0;
    const status = await page.locator('.status-line').innerText();
    const apiMs = Number(/Load time: (\d+)ms/.exec(status)?.[1] ?? NaN);
    const points = await page.evaluate(() => document.querySelector('.graph-legend')?.childElementCount ?? 0);
    if (points !== SERIES) throw new Error(`legend has ${points} series`);
    // Hover: move across the plot and time each move until the next frame is painted.
    const box = (await page.locator('.u-over').boundingBox())!;
    const hovers: number[] = [];
    for (let i = 0; i < 40; i++) {
      const x = box.x + ((i + 0.5) / 40) * box.width;
      const h0 = Date.now();
      await page.mouse.move(x, box.y + box.height / 2);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(undefined)))));
      hovers.push(Date.now() - h0);
    }
    hovers.sort((a, b) => a - b);
    return { loadToDrawnMs, apiMs, hoverMedianMs: hovers[Math.floor(hovers.length / 2)]!, hoverMaxMs: hovers[hovers.length - 1]! };
  } finally {
    await browser.close();
    server.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}
