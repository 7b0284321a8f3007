// The server compresses what Prometheus compresses: every API answer, /federate and /metrics, when
// the client accepts gzip and the body is MIN_GZIP_BYTES (1,200) or more; the bytes decode to the identity answer.
// Small answers, clients that do not accept gzip, and what is not API (readiness, the UI) go as
// they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freePort, rawGet, waitFor } from '../helpers/net.js';
import { SYNC_GZIP_MAX_BYTES } from '../../src/common/gzip.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

interface Answer {
  status: number;
  encoding: string | undefined;
  vary: string;
  body: Buffer;
}

async function get(url: string, gzip: boolean): Promise<Answer> {
  const r = await rawGet(url, gzip ? { 'accept-encoding': 'gzip, deflate' } : {});
  return { status: r.status, encoding: r.headers['content-encoding'], vary: String(r.headers.vary ?? ''), body: r.body };
}


test('API, /federate and /metrics answers gzip-compressed when accepted and 1,200 bytes or more; the rest as they are', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-compressed-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = join(dir, 'prometheus.yml');
  // 300 targets scraped once an hour (none within the test) make a targets answer far over 16 KiB.
  const many = Array.from({ length: 300 }, (_, i) => `'127.0.0.2:${10_000 + i}'`).join(', ');
  writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n  - job_name: many\n    scrape_interval: 1h\n    static_configs:\n      - targets: [${many}]\n`);
  const proc = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  t.after(() => proc.kill('SIGKILL'));
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined), 300);
  // The server's own metrics, scraped: enough names for a label list well over the threshold.
  await waitFor('self-scrape', async () => ((await get(`${base}/api/v1/label/__name__/values`, false)).body.length > 2048 ? true : undefined), 300);

  const series = `/api/v1/series?match[]=${encodeURIComponent('{__name__=~".+"}')}`;
  const compressed: [string, 'at once' | 'streamed' | 'either'][] = [
    ['/api/v1/label/__name__/values', 'at once'],
    ['/api/v1/targets?state=any&scrapePool=many', 'streamed'],
    [series, 'either'],
    ['/metrics', 'either'],
    [`/federate?match[]=${encodeURIComponent('{job="self"}')}`, 'either'],
  ];
  for (const [path, how] of compressed) {
    // The self-scrape goes on (every second): an answer may change between two requests. Asked
    // again until two in a row agree, so a difference is the encoding's, not the data's.
    let plain = await get(base + path, false);
    let zipped = await get(base + path, true);
    for (let i = 0; i < 5 && path.startsWith('/api/') && zipped.encoding === 'gzip' && !gunzipSync(zipped.body).equals(plain.body); i++) {
      plain = await get(base + path, false);
      zipped = await get(base + path, true);
    }
    assert.equal(plain.status, 200, path);
    assert.equal(zipped.status, 200, path);
    assert.equal(plain.encoding, undefined, `${path}: identity when gzip is not accepted`);
    assert.equal(zipped.encoding, 'gzip', `${path}: gzip when accepted`);
    assert.match(plain.vary, /Accept-Encoding/, `${path}: Vary`);
    assert.match(zipped.vary, /Accept-Encoding/, `${path}: Vary`);
    const text = gunzipSync(zipped.body).toString('utf8');
    if (path.startsWith('/api/')) assert.deepEqual(JSON.parse(text), JSON.parse(plain.body.toString('utf8')), `${path}: the same answer`);
    else assert.match(text, /^# (HELP|TYPE) /m, `${path}: the text format`);
    assert.ok(zipped.body.length * 3 < Buffer.byteLength(text), `${path}: ${zipped.body.length} of ${Buffer.byteLength(text)} bytes`);
    if (how === 'at once') assert.ok(plain.body.length <= SYNC_GZIP_MAX_BYTES, `${path} is meant to be a small answer (${plain.body.length} bytes)`);
    if (how === 'streamed') assert.ok(plain.body.length > SYNC_GZIP_MAX_BYTES, `${path} is meant to be a large answer (${plain.body.length} bytes)`);
  }

  // Under the threshold, not API, or a readiness probe: as they are.
  for (const path of ['/api/v1/status/buildinfo', '/-/ready', '/graph']) {
    const zipped = await get(base + path, true);
    assert.equal(zipped.status, 200, path);
    assert.equal(zipped.encoding, undefined, `${path}: not compressed`);
  }
  // An API error answer is an API answer too; a small one stays as it is.
  const bad = await get(`${base}/api/v1/query?query=${encodeURIComponent('sum(')}`, true);
  assert.equal(bad.status, 400);
  assert.equal(bad.encoding, undefined);
  assert.equal(JSON.parse(bad.body.toString('utf8')).errorType, 'bad_data');
});
