// The exporter's footprint, a guard against regressions (the goal, <= 50 MiB, is measured by
// `npm run bench -- node-exporter`): the resident memory of `promethium node-exporter` after 100
// scrapes of upstream's fixture tree stays under a bound, with the default collectors and with the
// end-to-end script's ~50. It runs bin/promethium.js over dist/, as users run it (tsx's own loader
// would add ~30 MiB), so it first checks that dist/ is not older than the sources it measures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagName, unpackFixtures, upstreamArgs } from '../../scripts/node-exporter-e2e.js';
import { conformanceDir } from '../helpers/conformance.js';
import { freePort } from '../helpers/net.js';
import { knownFlagNames } from '../../src/node-exporter/main.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SCRAPES = 100;
/**
 * MiB. Measured 63-69 with either set here (it swings with where old space is between full
 * collections), ~85 before the heap settings and the byte writer; a bare node:http server is ~46-52.
 */
const BOUND_DEFAULTS_MIB = 74;
const BOUND_ALL_MIB = 76;

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(ext)) newest = Math.max(newest, statSync(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).mtimeMs);
  }
  return newest;
}

function residentMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS missing');
  return Number(m[1]) / 1024;
}

async function rssAfterScrapes(cwd: string, args: string[]): Promise<{ mib: number; bytes: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'bin/promethium.js'), 'node-exporter', `--web.listen-address=127.0.0.1:${port}`, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString().slice(0, 4000)));
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    let up = false;
    for (let i = 0; i < 400 && !up; i++) {
      if (child.exitCode !== null) throw new Error(`exporter exited with ${child.exitCode}:\n${log}`);
      up = await fetch(url).then(async (r) => (await r.arrayBuffer(), r.ok), () => false);
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(up, `exporter did not answer:\n${log}`);
    let bytes = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const r = await fetch(url);
      assert.equal(r.status, 200);
      bytes = (await r.arrayBuffer()).byteLength;
    }
    return { mib: residentMiB(child.pid!), bytes };
  } finally {
    child.kill('SIGTERM');
  }
}

test(`resident memory after ${SCRAPES} scrapes of the fixture tree stays bounded`, { timeout: 590_000, skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const sources = newestMtime(join(root, 'src/node-exporter'), '.ts');
  assert.ok(newestMtime(join(root, 'dist/node-exporter'), '.js') >= sources, 'dist/ is older than src/node-exporter: run `npm run build:ts` first (this test measures what bin/promethium.js runs)');
  const work = mkdtempSync(join(tmpdir(), 'ne-footprint-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  unpackFixtures(conformanceDir('node-exporter-e2e'), work);
  const paths = upstreamArgs().filter((a) => a.startsWith('--path.'));
  const defaults = await rssAfterScrapes(work, paths);
  const known = knownFlagNames();
  const all = await rssAfterScrapes(work, upstreamArgs().filter((a) => known.has(flagName(a)) && a !== '--log.level=debug'));
  t.diagnostic(`RSS after ${SCRAPES} scrapes: ${defaults.mib.toFixed(1)} MiB with the default collectors (${defaults.bytes} bytes a scrape), ${all.mib.toFixed(1)} MiB with the end-to-end script's collectors (${all.bytes} bytes)`);
  assert.ok(all.bytes > defaults.bytes, 'the end-to-end flags enable more collectors than the defaults');
  assert.ok(defaults.mib < BOUND_DEFAULTS_MIB, `default collectors: ${defaults.mib.toFixed(1)} MiB resident after ${SCRAPES} scrapes (bound ${BOUND_DEFAULTS_MIB})`);
  assert.ok(all.mib < BOUND_ALL_MIB, `end-to-end collectors: ${all.mib.toFixed(1)} MiB resident after ${SCRAPES} scrapes (bound ${BOUND_ALL_MIB})`);
});
