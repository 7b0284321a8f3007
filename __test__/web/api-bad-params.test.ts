// Issue 16, defect 7 and the server part of 10: out-of-range and malformed API parameters get
// Prometheus 2.42's answer (checked against Debian's prometheus on the same inputs) — 200 where it
// answers, 400 bad_data where it refuses — never a 500; GET query strings as long as Go's servers
// take (1 MiB of headers) are answered, not refused with 431.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFuzzServer } from '../fuzz/fuzz-server.js';
import { parseExpr } from '../../src/promql/parser/parser.js';

interface Envelope {
  status: string;
  errorType?: string;
  error?: string;
  data?: unknown;
}

test('out-of-range times, steps, durations and limits: 200 or 400 bad_data as Prometheus answers, never 500', async (t) => {
  const server = await startFuzzServer();
  t.after(() => server.stop());
  const call = async (method: string, path: string): Promise<{ code: number; body: Envelope | undefined }> => {
    const r = await fetch(server.base + path, { method });
    const text = await r.text();
    return { code: r.status, body: text === '' ? undefined : (JSON.parse(text) as Envelope) };
  };
  const q = encodeURIComponent;
  // [request, status, errorType or undefined, message pattern]
  const cases: [string, string, number, string | undefined, RegExp?][] = [
    ['GET', '/api/v1/query?query=up&time=1e20', 200, undefined],
    // A repeated parameter is its first value, as Go's FormValue reads it (the second would be a parse error).
    ['GET', `/api/v1/query?query=up&query=${q('up +')}`, 200, undefined],
    // Parse errors name the parameter, as Prometheus's API does (query, query_range, format_query).
    ['GET', `/api/v1/query?query=${q('up +')}`, 400, 'bad_data', /^invalid parameter "query": 1:5: parse error/],
    ['GET', `/api/v1/query_range?query=${q('up +')}&start=0&end=1&step=1`, 400, 'bad_data', /^invalid parameter "query": 1:5: parse error/],
    ['GET', '/api/v1/query?query=up&time=-1e20', 200, undefined],
    // Go's ParseFloat takes no surrounding spaces.
    ['GET', '/api/v1/query?query=up&time=%201%20', 400, 'bad_data', /invalid parameter "time": cannot parse " 1 " to a valid timestamp/],
    ['GET', `/api/v1/query?query=${q('up @ 170000700000000')}`, 200, undefined],
    ['GET', `/api/v1/query?query=${q('fuzz_gauge @ 170000700000000 offset 5m')}`, 200, undefined],
    ['GET', `/api/v1/query?query=${q('up offset 99999999999y')}`, 400, 'bad_data', /1:11: parse error: duration out of range/],
    ['GET', `/api/v1/query?query=${q('up[300y]')}`, 400, 'bad_data', /1:4: parse error: duration out of range/],
    ['GET', `/api/v1/query?query=${q('up @ 1e20')}`, 400, 'bad_data', /timestamp out of bounds for @ modifier: 100000000000000000000\.000000/],
    ['GET', `/api/v1/query?query=${q('up offset 1e20')}`, 400, 'bad_data', /duration out of range/],
    ['GET', '/api/v1/query_range?query=up&start=0&end=100&step=1e308', 400, 'bad_data', /invalid parameter "step": cannot parse "1e308" to a valid duration\. It overflows int64/],
    ['GET', '/api/v1/query_range?query=up&start=1e20&end=1e20&step=1', 200, undefined],
    ['GET', '/api/v1/labels?end=1e20', 200, undefined],
    ['GET', '/api/v1/labels?start=-1e20', 200, undefined],
    ['GET', '/api/v1/label/job/values?end=1e20', 200, undefined],
    ['GET', '/api/v1/series?match[]=fuzz_gauge&end=1e20', 200, undefined],
    ['GET', '/api/v1/query_exemplars?query=up&start=1e20', 200, undefined],
    ['GET', '/api/v1/status/tsdb?limit=1e20', 400, 'bad_data', /limit must be a positive number/],
    ['GET', '/api/v1/status/tsdb?limit=99999999999999', 200, undefined],
    ['GET', '/api/v1/labels?limit=1e20', 400, 'bad_data'],
    ['GET', '/api/v1/metadata?limit=1e20', 400, 'bad_data', /limit must be a number/],
    ['POST', '/api/v1/admin/tsdb/delete_series?match[]=fuzz_scratch&start=1e20&end=-1e20', 204, undefined],
  ];
  for (const [method, path, code, errorType, message] of cases) {
    const r = await call(method, path);
    assert.equal(r.code, code, `${method} ${path}: ${JSON.stringify(r.body)}`);
    if (errorType !== undefined) assert.equal(r.body?.errorType, errorType, path);
    if (message !== undefined) assert.match(r.body?.error ?? '', message, path);
  }
  // Nesting deeper than the JavaScript stack allows: a 4xx that says so (Prometheus answers these).
  for (const deep of [Array.from({ length: 6000 }, (_, i) => `fuzz_gauge{job="j${i}"}`).join(' or '), '('.repeat(20000) + '1' + ')'.repeat(20000), 'abs('.repeat(3000) + 'fuzz_gauge' + ')'.repeat(3000)]) {
    const r = await fetch(`${server.base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: deep, time: '1700000300' }) });
    assert.ok(r.status === 400 || r.status === 422 || r.status === 200, `${deep.slice(0, 30)}: ${r.status}`);
    assert.match(await r.text(), /nested too deeply|"success"/);
  }
  // NaN and Inf are the minimum time, as Prometheus's float-to-int64 conversion makes them.
  const nan = await call('GET', `/api/v1/query?query=${q('time()')}&time=NaN`);
  assert.deepEqual((nan.body?.data as { result: unknown }).result, [-9223372036.854, '-9223372036.854']);
  // A clamped time still finds the data a clamped range covers.
  const all = await call('GET', `/api/v1/series?match[]=fuzz_gauge&start=-1e20&end=1e20`);
  assert.equal((all.body?.data as unknown[]).length, 2);
  // The deletion with start after end removed nothing.
  const kept = await call('GET', `/api/v1/query?query=${q('count(fuzz_scratch)')}&time=1700000300`);
  assert.deepEqual((kept.body?.data as { result: { value: unknown[] }[] }).result[0]?.value[1], '2');
  // PUT reads its form body as POST does (Go's ParseForm).
  const put = await fetch(`${server.base}/api/v1/admin/tsdb/delete_series`, { method: 'PUT', body: new URLSearchParams({ 'match[]': 'fuzz_scratch{job="b"}' }) });
  assert.equal(put.status, 204);
  const left = await call('GET', `/api/v1/query?query=${q('count(fuzz_scratch)')}&time=1700000300`);
  assert.deepEqual((left.body?.data as { result: { value: unknown[] }[] }).result[0]?.value[1], '1');
});

test('GET with a 100 KB query string and a 3,000-character label name is answered (Go servers take 1 MiB of headers)', async (t) => {
  const server = await startFuzzServer();
  t.after(() => server.stop());
  // Long but flat and cheap: a selector with a 100 KB label value, or'ed with one that matches.
  const query = `fuzz_gauge{job="${'x'.repeat(100_000)}"} or fuzz_gauge{job="a"}`;
  assert.ok(query.length > 100_000);
  const r = await fetch(`${server.base}/api/v1/query?query=${encodeURIComponent(query)}&time=1700000300`);
  assert.equal(r.status, 200);
  assert.equal((((await r.json()) as Envelope).data as { result: unknown[] }).result.length, 1);
  const name = 'a'.repeat(3000);
  const lv = await fetch(`${server.base}/api/v1/label/${name}/values`);
  assert.equal(lv.status, 200);
  assert.deepEqual(((await lv.json()) as Envelope).data, []);
});

test('parser: offsets and ranges past int64 nanoseconds are refused; @ past the storable times is clamped, past int64 refused', () => {
  assert.throws(() => parseExpr('up offset 99999999999y'), /1:11: parse error: duration out of range/);
  assert.throws(() => parseExpr('up[5m:99999999999y]'), /duration out of range/);
  assert.throws(() => parseExpr('up offset (1e300 * 10)'), /duration out of range/);
  assert.throws(() => parseExpr('up @ 1e300'), /timestamp out of bounds for @ modifier/);
  parseExpr('up offset 292y');
  const e = parseExpr('up @ 170000700000000');
  assert.equal(e.type, 'VectorSelector');
  const at = e.type === 'VectorSelector' ? e.at : undefined;
  assert.deepEqual(at?.kind === 'time' && at.seconds.kind === 'number' ? at.seconds.seconds : undefined, 9223372036.854);
});
