import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import client from 'prom-client';
import { createServer as createHttpsServer } from 'node:https';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Notifier } from '../../src/notifier/notifier.js';
import { httpDispatcher } from '../../src/common/http-config/dispatcher.js';
import { Logger } from '../../src/util/logger.js';

const quiet = new Logger({ write: () => undefined });

async function waitUntil(ok: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 100 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(await ok(), 'condition not reached');
}

async function fakeAlertmanager(status = 200): Promise<{ url: string; bodies: unknown[][]; close: () => Promise<void>; next: () => Promise<unknown[]> }> {
  const bodies: unknown[][] = [];
  const waiters: ((b: unknown[]) => void)[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      assert.equal(req.url, '/api/v2/alerts');
      const parsed = JSON.parse(body) as unknown[];
      bodies.push(parsed);
      waiters.shift()?.(parsed);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
    next: () => new Promise((r) => waiters.push(r)),
  };
}

test('alerts reach every Alertmanager with external labels and relabeling applied', async () => {
  const am1 = await fakeAlertmanager();
  const am2 = await fakeAlertmanager();
  const registry = new client.Registry();
  const n = new Notifier({ queueCapacity: 100, externalLabels: {}, logger: quiet, registry });
  n.configure(
    [
      { alertsUrl: `${am1.url}api/v2/alerts`, timeoutMs: 2000 },
      { alertsUrl: `${am2.url}api/v2/alerts`, timeoutMs: 2000 },
    ],
    { cluster: 'eu', alertname: 'not-overridden' },
    (l) => (l.drop === 'yes' ? null : { ...l, relabeled: 'true' }),
  );
  try {
    const got = Promise.all([am1.next(), am2.next()]);
    n.send([
      { labels: { alertname: 'InstanceDown', instance: 'a' }, annotations: { summary: 's' }, startsAt: 1_700_000_000_000, endsAt: 0, generatorURL: 'http://p/graph' },
      { labels: { alertname: 'Dropped', drop: 'yes' }, annotations: {}, startsAt: 1_700_000_000_000, endsAt: 0, generatorURL: '' },
    ]);
    const [b1, b2] = await got;
    assert.deepEqual(b1, b2);
    assert.deepEqual(b1, [
      {
        labels: { alertname: 'InstanceDown', instance: 'a', cluster: 'eu', relabeled: 'true' },
        annotations: { summary: 's' },
        startsAt: '2023-11-14T22:13:20.000Z',
        generatorURL: 'http://p/graph',
      },
    ]);
    assert.deepEqual(n.activeAlertmanagers(), [`${am1.url}api/v2/alerts`, `${am2.url}api/v2/alerts`]);
  } finally {
    await n.stop();
    await am1.close();
    await am2.close();
  }
});

test('a full queue drops the oldest alerts and counts them; failed sends are counted as errors', async () => {
  const am = await fakeAlertmanager(500);
  const registry = new client.Registry();
  const n = new Notifier({ queueCapacity: 2, externalLabels: {}, logger: quiet, registry });
  n.configure([{ alertsUrl: `${am.url}api/v2/alerts`, timeoutMs: 2000 }], {}, undefined);
  try {
    const first = am.next();
    n.send([1, 2, 3].map((i) => ({ labels: { alertname: `A${i}` }, annotations: {}, startsAt: 0, endsAt: 0, generatorURL: '' })));
    const body = (await first) as { labels: { alertname: string } }[];
    assert.deepEqual(body.map((a) => a.labels.alertname), ['A2', 'A3']);
    await n.stop();
    const text = await registry.metrics();
    assert.match(text, /prometheus_notifications_dropped_total 3/); // 1 for overflow + 2 that no Alertmanager took
    assert.match(text, /prometheus_notifications_errors_total\{alertmanager="[^"]+"\} 2/);
  } finally {
    await am.close();
  }
});

test("an Alertmanager's own alert_relabel_configs apply to what it receives only", async () => {
  const all = await fakeAlertmanager();
  const pages = await fakeAlertmanager();
  const n = new Notifier({ queueCapacity: 100, externalLabels: {}, logger: quiet, registry: new client.Registry() });
  n.configure(
    [
      { alertsUrl: `${all.url}api/v2/alerts`, timeoutMs: 2000 },
      { alertsUrl: `${pages.url}api/v2/alerts`, timeoutMs: 2000, relabel: (l) => (l.severity === 'page' ? { ...l, routed: 'pager' } : null) },
    ],
    {},
    undefined,
  );
  try {
    const got = Promise.all([all.next(), pages.next()]);
    n.send([
      { labels: { alertname: 'A', severity: 'page' }, annotations: {}, startsAt: 1_700_000_000_000, endsAt: 0, generatorURL: '' },
      { labels: { alertname: 'B', severity: 'info' }, annotations: {}, startsAt: 1_700_000_000_000, endsAt: 0, generatorURL: '' },
    ]);
    const [toAll, toPages] = (await got) as [{ labels: Record<string, string> }[], { labels: Record<string, string> }[]];
    assert.deepEqual(toAll.map((a) => a.labels), [{ alertname: 'A', severity: 'page' }, { alertname: 'B', severity: 'info' }]);
    assert.deepEqual(toPages.map((a) => a.labels), [{ alertname: 'A', severity: 'page', routed: 'pager' }]);
  } finally {
    await n.stop();
    await all.close();
    await pages.close();
  }
});

test("an Alertmanager's tls_config: its CA makes the HTTPS connection trusted", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-tls-'));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=am.test', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const bodies: unknown[] = [];
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/alerts`;
  const registry = new client.Registry();
  const n = new Notifier({ queueCapacity: 100, externalLabels: {}, logger: quiet, registry });
  const alert = { labels: { alertname: 'A' }, annotations: {}, startsAt: 1_700_000_000_000, endsAt: 0, generatorURL: '' };
  // Without the CA the self-signed certificate is refused (and counted); with it the alert arrives.
  n.configure([{ alertsUrl: url, timeoutMs: 5000 }], {}, undefined);
  n.send([alert]);
  await waitUntil(async () => (await registry.getSingleMetricAsString('prometheus_notifications_errors_total')).includes(' 1'));
  assert.equal(bodies.length, 0);
  n.configure([{ alertsUrl: url, timeoutMs: 5000, dispatcher: httpDispatcher({ tls: { caFile: join(dir, 'cert.pem'), insecureSkipVerify: false } }) }], {}, undefined);
  n.send([alert]);
  await waitUntil(async () => bodies.length === 1);
  await n.stop();
});
