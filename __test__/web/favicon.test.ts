// favicon.ico on all three servers (browsers ask for it on every page; a 404 is a console error),
// and the icon is a well-formed ICO (one 32x32 32-bit image whose size and offset add up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { faviconIco } from '../../src/web/favicon.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('the ICO: header, one directory entry, a 32x32 32-bit bitmap with its AND mask', () => {
  const ico = faviconIco();
  assert.equal(ico.readUInt16LE(0), 0);
  assert.equal(ico.readUInt16LE(2), 1, 'type icon');
  assert.equal(ico.readUInt16LE(4), 1, 'one image');
  assert.equal(ico[6], 32);
  assert.equal(ico[7], 32);
  const size = ico.readUInt32LE(14);
  const offset = ico.readUInt32LE(18);
  assert.equal(offset + size, ico.length);
  assert.equal(ico.readUInt32LE(offset), 40, 'BITMAPINFOHEADER');
  assert.equal(ico.readInt32LE(offset + 8), 64, 'height counts the mask');
  assert.equal(ico.readUInt16LE(offset + 14), 32);
  assert.equal(size, 40 + 32 * 32 * 4 + 32 * 4);
  // Some pixels are opaque (the disc), the corners transparent.
  const pixel = (x: number, y: number): number => ico.readUInt8(offset + 40 + ((31 - y) * 32 + x) * 4 + 3);
  assert.equal(pixel(16, 16), 255);
  assert.equal(pixel(0, 0), 0);
});

test('GET /favicon.ico answers on the server, the Alertmanager and the node exporter', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-favicon-'));
  writeFileSync(join(dir, 'prometheus.yml'), 'scrape_configs: []\n');
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
  const [server, am, node] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [
    spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${server}`], { stdio: 'ignore' }),
    spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${am}`], { stdio: 'ignore' }),
    spawn(process.execPath, ['--import', 'tsx', cli, 'node-exporter', `--web.listen-address=127.0.0.1:${node}`], { stdio: 'ignore' }),
  ];
  t.after(() => children.forEach((c) => c.kill('SIGKILL')));
  const want = faviconIco();
  for (const port of [server, am, node]) {
    const res = await waitFor(`favicon on ${port}`, async () => {
      const r = await fetch(`http://127.0.0.1:${port}/favicon.ico`);
      return r.status === 200 ? r : undefined;
    }, 600);
    assert.equal(res.headers.get('content-type'), 'image/x-icon');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), want);
  }
});
