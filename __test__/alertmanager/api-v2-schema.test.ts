// API v2 bodies checked as Alertmanager 0.25 checks them (its OpenAPI spec): label sets are string
// maps, matchers have boolean isRegex/isEqual, required fields, date-times, uuids in paths; errors
// in its shape ({"code","message"}, 400 for what does not decode, 422 for what breaks the spec),
// naming the field. The same bodies go to Debian's Alertmanager 0.25 when it is installed.
// Label names such as __proto__, constructor and toString work end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { startAlertmanager } from '../helpers/alertmanager.js';

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const CONFIG = 'route:\n  receiver: w\n  group_by: [constructor]\n  group_wait: 1h\nreceivers:\n- name: w\n';

async function startOurs(t: { after(f: () => unknown): void }, config = CONFIG): Promise<string> {
  return `${await startAlertmanager(t, config)}/api/v2`;
}

async function startUpstream(t: { after(f: () => unknown): void }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-upstream-'));
  writeFileSync(join(dir, 'am.yml'), CONFIG);
  const port = await freePort();
  const am = spawn(ALERTMANAGER, [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: 'ignore' });
  t.after(() => am.kill('SIGKILL'));
  await waitFor('upstream Alertmanager', async () => ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok ? true : undefined));
  return `http://127.0.0.1:${port}/api/v2`;
}

const future = (ms: number): string => new Date(Date.now() + ms).toISOString();
const silence = (over: Record<string, unknown>): string =>
  JSON.stringify({ matchers: [{ name: 'a', value: 'x', isRegex: false }], startsAt: future(0), endsAt: future(3600_000), createdBy: 'me', comment: 'c', ...over });

/** [method, path, body, status, error code, a part of the message]. */
const cases: [string, string, string, number, number | undefined, string][] = [
  ['POST', 'alerts', '[{"labels":{"a":1}}]', 400, 400, '0.labels.a'],
  ['POST', 'alerts', '[{"labels":{"a":"x"},"annotations":{"b":{"c":1}}}]', 400, 400, '0.annotations.b'],
  ['POST', 'alerts', '[{"labels":{"a":"x"},"annotations":{"b":2}}]', 400, 400, '0.annotations.b'],
  ['POST', 'alerts', '[{"labels":"x"}]', 400, 400, '0.labels'],
  ['POST', 'alerts', '{"labels":{"a":"x"}}', 400, 400, 'parsing alerts body'],
  ['POST', 'alerts', '[{"labels":{"a":"x"},"startsAt":5}]', 400, 400, '0.startsAt'],
  ['POST', 'alerts', '[{"labels":{"a":"x"},"startsAt":"yesterday"}]', 400, 400, 'yesterday'],
  ['POST', 'alerts', '[{"annotations":{"b":"2"}}]', 422, 602, '0.labels in body is required'],
  ['POST', 'alerts', '[{"labels":{"a":"x"},"generatorURL":"not a uri"}]', 422, 601, '0.generatorURL in body must be of type uri: "not a uri"'],
  ['POST', 'alerts', 'not json', 400, 400, 'parsing alerts body'],
  ['POST', 'alerts', '[{"labels":{"a":"x"},"generatorURL":"/graph?g0.expr=up"}]', 200, undefined, ''],
  ['POST', 'alerts', '[{"labels":{"a":"x"},"annotations":null,"extra":1}]', 200, undefined, ''],
  ['POST', 'silences', silence({ matchers: [{ name: 'a', value: 'x', isRegex: 'yes' }] }), 400, 400, 'matchers.0.isRegex'],
  ['POST', 'silences', silence({ matchers: [{ name: 'a', value: 'x', isRegex: false, isEqual: 'no' }] }), 400, 400, 'matchers.0.isEqual'],
  ['POST', 'silences', silence({ matchers: [{ name: 'a', value: 5, isRegex: false }] }), 400, 400, 'matchers.0.value'],
  ['POST', 'silences', silence({ matchers: { name: 'a' } }), 400, 400, 'matchers'],
  ['POST', 'silences', silence({ id: 5 }), 400, 400, 'id'],
  ['POST', 'silences', silence({ matchers: [{ name: 'a', value: 'x' }] }), 422, 602, 'matchers.0.isRegex in body is required'],
  ['POST', 'silences', silence({ matchers: [] }), 422, 612, 'matchers in body should have at least 1 items'],
  ['POST', 'silences', silence({ comment: undefined }), 422, 602, 'comment in body is required'],
  ['POST', 'silences', silence({ endsAt: 'never' }), 400, 400, 'never'],
  ['POST', 'silences', '[1]', 400, 400, 'parsing silence body'],
  ['GET', 'silence/xyz', '', 422, 601, 'silenceID in path must be of type uuid: "xyz"'],
  ['DELETE', 'silence/xyz', '', 422, 601, 'silenceID in path must be of type uuid: "xyz"'],
];

async function call(base: string, [method, path, body]: (typeof cases)[number]): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}/${path}`, { method, headers: body === '' ? {} : { 'Content-Type': 'application/json' }, body: body === '' ? undefined : body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

test('API v2 refuses bodies that break the OpenAPI spec, in Alertmanager\'s shape, naming the field', async (t) => {
  const base = await startOurs(t);
  const wrong: string[] = [];
  for (const c of cases) {
    const { status, json } = await call(base, c);
    const [, , , wantStatus, wantCode, wantMessage] = c;
    const got = json as { code?: number; message?: string } | undefined;
    if (status !== wantStatus || got?.code !== wantCode || (wantCode !== undefined && !String(got?.message).includes(wantMessage))) wrong.push(`${c[0]} ${c[1]} ${c[2]}: ${status} ${JSON.stringify(json)}`);
  }
  assert.deepEqual(wrong, []);
});

test('Alertmanager 0.25 gives the same statuses and codes for the same bodies, and the same answers to alert and group queries', { skip: !existsSync(ALERTMANAGER) && 'prometheus-alertmanager not installed' }, async (t) => {
  const [ours, upstream] = await Promise.all([startOurs(t), startUpstream(t)]);
  const wrong: string[] = [];
  for (const c of cases) {
    const [a, b] = [await call(ours, c), await call(upstream, c)];
    const code = (r: { json: unknown }): unknown => (r.json as { code?: number } | undefined)?.code;
    if (a.status !== b.status || code(a) !== code(b)) wrong.push(`${c[0]} ${c[1]} ${c[2]}: ours ${a.status} ${JSON.stringify(a.json)}, upstream ${b.status} ${JSON.stringify(b.json)}`);
  }
  assert.deepEqual(wrong, []);
  // Boolean query parameters: go-openapi's words for true; anything else is false, never an error.
  for (const base of [ours, upstream]) await fetch(`${base}/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[{"labels":{"alertname":"Q"}}]' });
  for (const q of ['active=yes', 'active=ON', 'active=maybe', 'active=0', 'silenced=t&active=enabled']) {
    const count = async (base: string): Promise<string> => {
      const r = await fetch(`${base}/alerts?${q}&filter=alertname%3D%22Q%22`);
      return `${r.status} ${((await r.json()) as unknown[]).length}`;
    };
    assert.equal(await count(ours), await count(upstream), q);
  }
  // The same filters on groups, and the receiver filter on the group's receiver.
  for (const q of ['active=false', 'active=yes', 'receiver=w', 'receiver=nobody', 'receiver=.%2A', 'silenced=false&inhibited=false']) {
    const count = async (base: string): Promise<string> => {
      const r = await fetch(`${base}/alerts/groups?${q}&filter=alertname%3D%22Q%22`);
      return `${r.status} ${((await r.json()) as { alerts: unknown[] }[]).map((g) => g.alerts.length).join(',')}`;
    };
    assert.equal(await count(ours), await count(upstream), `groups ${q}`);
  }
});

test('__proto__, constructor and toString are label names like any other, end to end', async (t) => {
  const config = `route:\n  receiver: w\n  group_by: [constructor]\n  group_wait: 1h\n  routes:\n  - matchers: ['__proto__="p"']\n    receiver: proto\nreceivers:\n- name: w\n- name: proto\ninhibit_rules:\n- source_matchers: ['toString="src"']\n  target_matchers: ['toString="dst"']\n  equal: [constructor]\n`;
  const base = await startOurs(t, config);
  const post = (labels: Record<string, string>): Promise<Response> =>
    fetch(`${base}/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: `[{"labels":${JSON.stringify(labels).replace('"proto_"', '"__proto__"')},"annotations":{"__proto__":"ann"}}]` });
  assert.equal((await post({ proto_: 'p', constructor: 'c', toString: 'src' })).status, 200);
  assert.equal((await post({ proto_: 'q', constructor: 'c', toString: 'dst' })).status, 200);
  // An alert without these labels must not see Object.prototype's members as their values.
  assert.equal((await post({ alertname: 'plain' })).status, 200);
  const alerts = (await (await fetch(`${base}/alerts`)).json()) as { labels: Record<string, string>; annotations: Record<string, string>; receivers: { name: string }[]; fingerprint: string; status: { state: string; inhibitedBy: string[] } }[];
  assert.equal(alerts.length, 3);
  const byTo = (v: string) => alerts.find((a) => Object.hasOwn(a.labels, 'toString') && a.labels['toString'] === v)!;
  assert.equal(Object.getOwnPropertyDescriptor(byTo('src').labels, '__proto__')?.value, 'p');
  assert.equal(Object.getOwnPropertyDescriptor(byTo('src').annotations, '__proto__')?.value, 'ann');
  // Routed by a matcher on __proto__.
  const receivers = (a: { receivers: { name: string }[] }) => a.receivers.map((r) => r.name);
  assert.deepEqual(receivers(byTo('src')), ['proto']);
  assert.deepEqual(receivers(byTo('dst')), ['w']);
  // Inhibition matched on toString and compared constructor.
  assert.deepEqual(byTo('dst').status.inhibitedBy, [byTo('src').fingerprint]);
  assert.equal(alerts.find((a) => a.labels['alertname'] === 'plain')!.status.state, 'active');
  // Fingerprints differ by the __proto__ value (it is part of the label set).
  assert.notEqual(byTo('src').fingerprint, byTo('dst').fingerprint);
  // Grouped by constructor under each route; the plain alert in the empty group.
  const groups = (await (await fetch(`${base}/alerts/groups`)).json()) as { labels: Record<string, string>; receiver: { name: string }; alerts: unknown[] }[];
  assert.deepEqual(groups.map((g) => [JSON.stringify(g.labels), g.receiver.name, g.alerts.length]).sort(), [['{"constructor":"c"}', 'proto', 1], ['{"constructor":"c"}', 'w', 1], ['{}', 'w', 1]]);
  // A silence on __proto__ silences exactly that alert; filters take these names too.
  const s = await fetch(`${base}/silences`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: silence({ matchers: [{ name: '__proto__', value: 'q', isRegex: false }] }) });
  assert.equal(s.status, 200, await s.clone().text());
  const { silenceID } = (await s.json()) as { silenceID: string };
  const silenced = (await (await fetch(`${base}/alerts?filter=${encodeURIComponent('__proto__="q"')}`)).json()) as { status: { silencedBy: string[] } }[];
  assert.deepEqual(silenced.map((a) => a.status.silencedBy), [[silenceID]]);
  const constructorFilter = (await (await fetch(`${base}/alerts?filter=${encodeURIComponent('constructor=""')}`)).json()) as unknown[];
  assert.equal(constructorFilter.length, 1, 'only the plain alert has no constructor label');
});
