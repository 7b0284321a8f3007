// Range queries as a client meets them: the server process answers /api/v1/query_range from its
// query workers (dense rows, native JSON encoder), gzip-compressed when asked, and the answer is
// the library engine's per-point result on the same data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { freePort, rawGet as get, waitFor } from '../helpers/net.js';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import { acceptsGzip } from '../../src/common/gzip.js';
import { formatJsonValue } from '../../src/model/float.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const STEP = 15_000;
const END = 1_700_000_000_000;
const START = END - 3600_000;


test('Accept-Encoding: gzip accepted unless refused with q=0', () => {
  assert.equal(acceptsGzip('gzip, deflate, br'), true);
  assert.equal(acceptsGzip('deflate, gzip;q=0.5'), true);
  assert.equal(acceptsGzip('gzip;q=0'), false);
  assert.equal(acceptsGzip('identity'), false);
  assert.equal(acceptsGzip(undefined), false);
});

test('query_range over HTTP: gzip when asked, identical to the engine per point, values as Prometheus writes them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-range-answers-'));
  const data = join(dir, 'data');
  const db = Storage.open(data);
  const labels = Array.from({ length: 300 }, (_, i) => ({ __name__: 'x', id: String(i), job: i % 2 ? 'odd' : 'even' }));
  const refs = db.seriesRefs(labels);
  for (let ts = START; ts <= END; ts += STEP) {
    // Tiny, huge and gapped values: the text forms that differ between encoders.
    const vs = new Float64Array(labels.length).map((_, i) => (i % 3 === 0 ? (i + 1) * 1e-9 : i % 3 === 1 ? (ts - START) * 1e19 : (ts / STEP) % 7));
    const keep = labels.map((_, i) => i % 5 !== 0 || (ts / STEP) % 4 !== 0);
    db.append(refs.filter((_, i) => keep[i]), new Float64Array(keep.filter(Boolean).length).fill(ts), vs.filter((_, i) => keep[i]));
  }
  const engine = new Engine(db);
  const expr = 'x / 3';
  const expected = engine.rangeQuery(expr, START, END, 60_000);
  db.close();
  const copy = join(dir, 'served');
  cpSync(data, copy, { recursive: true });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1h\n');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${copy}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=100y'], { stdio: 'ignore' });
  t.after(() => proc.kill('SIGKILL'));
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined), 300);

  const url = `${base}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${START / 1000}&end=${END / 1000}&step=60`;
  const plain = await get(url, {});
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  const zipped = await get(url, { 'accept-encoding': 'gzip' });
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.match(String(zipped.headers.vary), /Accept-Encoding/);
  assert.ok(zipped.body.length * 3 < plain.body.length, `compressed ${zipped.body.length} of ${plain.body.length} bytes`);
  assert.deepEqual(gunzipSync(zipped.body), plain.body);

  const got = JSON.parse(plain.body.toString('utf8')) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  assert.equal(expected.resultType, 'matrix');
  if (expected.resultType !== 'matrix') return;
  assert.equal(got.data.result.length, expected.result.length);
  got.data.result.forEach((s, i) => {
    const e = expected.result[i]!;
    assert.deepEqual(s.metric, e.metric);
    assert.deepEqual(s.values, e.t.map((ts, j) => [ts / 1000, formatJsonValue(e.v[j]!)]), `series ${i}`);
  });
  assert.match(plain.body.toString('utf8'), /"\d\.\d+e-\d\d"/, 'tiny values in exponent form');
});
