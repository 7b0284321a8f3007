// The seeded fuzz over the Alertmanager's API v2 (bench/fuzz-am.ts's generator, fixed seed): a few
// thousand alert and silence bodies and filters against a server in this process. No answer may be
// a 5xx or a body that is not JSON, no request may reach JavaScript's prototypes or run template
// code, and afterwards the server must still be healthy and hold the valid alerts it was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amProblem, amRequest, prng } from '../../bench/fuzz-am.js';
import { startAlertmanager } from '../helpers/alertmanager.js';

const SEED = 20261202;
const REQUESTS = Number(process.env.AMFUZZ_N ?? 3000);
const PARALLEL = 4;
// Group by a prototype-member name and template a notification: alerts flow through routing,
// grouping and the (never sent: group_wait 1h) notification path.
const CONFIG = 'route:\n  receiver: w\n  group_by: [constructor, alertname]\n  group_wait: 1h\nreceivers:\n- name: w\n  webhook_configs:\n  - url: http://127.0.0.1:9/hook\n';

test(`fuzz: ${REQUESTS} seeded Alertmanager API v2 requests (seed ${SEED}) get no 5xx, nothing reaches prototypes`, { timeout: 180_000 }, async (t) => {
  const base = await startAlertmanager(t, CONFIG);
  const rand = prng(SEED);
  const requests = Array.from({ length: REQUESTS }, () => amRequest(rand));
  const byStatus = new Map<number, number>();
  const problems: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const req = requests[next++]!;
      const r = await fetch(base + req.path, { method: req.method, ...(req.body !== undefined ? { body: req.body, headers: { 'Content-Type': 'application/json' } } : {}) });
      const text = await r.text();
      byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
      const p = amProblem(r.status, text);
      if (p !== undefined) problems.push(`${req.method} ${req.path.slice(0, 200)} ${req.body?.slice(0, 300) ?? ''}: ${p}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}`);
  assert.deepEqual(problems.slice(0, 20), []);
  // The mix reaches both acceptance and refusal (a generator that only made errors would prove little).
  assert.ok((byStatus.get(200) ?? 0) > REQUESTS / 10, JSON.stringify([...byStatus]));
  assert.ok((byStatus.get(400) ?? 0) + (byStatus.get(422) ?? 0) > REQUESTS / 10, JSON.stringify([...byStatus]));
  // Nothing was added to Object.prototype (bodies carry `__proto__` keys with objects in them).
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  // Still healthy, and it still holds alerts and silences it accepted.
  assert.equal((await fetch(`${base}/-/healthy`)).status, 200);
  const alerts = (await (await fetch(`${base}/api/v2/alerts`)).json()) as unknown[];
  const silences = (await (await fetch(`${base}/api/v2/silences`)).json()) as unknown[];
  assert.ok(alerts.length > 0 && silences.length > 0, `${alerts.length} alerts, ${silences.length} silences`);
});
