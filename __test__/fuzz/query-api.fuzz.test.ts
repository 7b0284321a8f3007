// The seeded fuzz over the query API (bench/fuzz.ts's generator, fixed seed): thousands of
// requests with corner numbers, broken PromQL, odd names and huge durations, against a server in
// this process. No answer may be a 5xx or leave the API's JSON envelope, the server must still be
// healthy afterwards, and no request may reach JavaScript's prototypes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng, request, send } from '../../bench/fuzz.js';
import { startFuzzServer } from './fuzz-server.js';

const SEED = 20261202;
const REQUESTS = 3000;
const PARALLEL = 4;

test(`fuzz: ${REQUESTS} seeded API requests (seed ${SEED}) get no 5xx and a valid envelope`, { timeout: 120_000 }, async (t) => {
  const server = await startFuzzServer();
  t.after(() => server.stop());
  const rand = prng(SEED);
  const requests = Array.from({ length: REQUESTS }, () => request(rand));
  const byStatus = new Map<number, number>();
  const problems: string[] = [];
  const slowest: [number, string][] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const req = requests[next++]!;
      const began = performance.now();
      const r = await send(server.base, req);
      slowest.push([performance.now() - began, `${req.method} ${req.path.slice(0, 120)} ${req.body?.slice(0, 120) ?? ''}`]);
      slowest.sort((a, b) => b[0] - a[0]).splice(5);
      byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
      if (r.problem !== undefined) problems.push(`${req.method} ${req.path.slice(0, 300)}${req.body !== undefined ? ` body ${req.body.slice(0, 300)}` : ''}: ${r.problem}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  for (const [ms, what] of slowest) t.diagnostic(`slow: ${Math.round(ms)} ms ${what}`);
  t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}`);
  assert.deepEqual(problems.slice(0, 20), []);
  // The mix reaches both answers and refusals (a generator that only made errors would prove little).
  assert.ok((byStatus.get(200) ?? 0) > REQUESTS / 5, JSON.stringify([...byStatus]));
  assert.ok((byStatus.get(400) ?? 0) > REQUESTS / 10, JSON.stringify([...byStatus]));

  const healthy = await fetch(`${server.base}/-/healthy`);
  assert.equal(healthy.status, 200);
  // The fuzz data is still there (delete_series only ever named the scratch metric).
  const q = (await (await fetch(`${server.base}/api/v1/query?query=count(fuzz_gauge)&time=1700000300`)).json()) as { data: { result: { value: [number, string] }[] } };
  assert.equal(q.data.result[0]?.value[1], '2');
  // `__proto__[polluted]=1` and friends stayed parameter names.
  assert.deepEqual(Object.keys(Object.prototype), []);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});
