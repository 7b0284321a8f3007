import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertmanagerCore, type CoreConfig } from '../../src/alertmanager/core.js';
import { webhookIntegration, type WebhookMessage } from '../../src/alertmanager/integrations/webhook.js';
import type { RouteNode } from '../../src/alertmanager/route.js';
import { Logger } from '../../src/util/logger.js';
import type { Labels } from '../../src/model/labels.js';

const quiet = new Logger({ write: () => undefined });

interface Hook {
  url: string;
  messages: WebhookMessage[];
  failNext: number;
  close(): Promise<void>;
  next(timeoutMs?: number): Promise<WebhookMessage>;
}

async function webhookServer(): Promise<Hook> {
  const messages: WebhookMessage[] = [];
  const waiters: ((m: WebhookMessage) => void)[] = [];
  const hook: Partial<Hook> = { messages, failNext: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (hook.failNext! > 0) {
        hook.failNext!--;
        res.writeHead(503).end();
        return;
      }
      const m = JSON.parse(body) as WebhookMessage;
      messages.push(m);
      waiters.shift()?.(m);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  hook.close = () => new Promise((r) => server.close(() => r()));
  hook.next = (timeoutMs = 5000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no webhook message')), timeoutMs);
      waiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  return hook as Hook;
}

const eq = (name: string, value: string) => (l: Labels) => (l[name] ?? '') === value;

function route(overrides: Partial<RouteNode> = {}): RouteNode {
  return {
    key: '{}',
    receiver: 'hook',
    groupBy: ['alertname'],
    groupWaitMs: 50,
    groupIntervalMs: 300,
    repeatIntervalMs: 3_600_000,
    matches: () => true,
    continue: false,
    routes: [],
    muteTimeIntervals: [],
    activeTimeIntervals: [],
    ...overrides,
  };
}

function setup(hook: Hook, cfg: Partial<CoreConfig> = {}, sendResolved = true): AlertmanagerCore {
  const counts = { sent: 0, failed: 0 };
  const config: CoreConfig = {
    route: route(),
    inhibitRules: [],
    receivers: new Map([['hook', [webhookIntegration({ url: hook.url, sendResolved, maxAlerts: 0, timeoutMs: 2000 }, 0)]]]),
    resolveTimeoutMs: 300_000,
    timeMuted: () => false,
    original: 'route: {}',
    ...cfg,
  };
  return new AlertmanagerCore(config, {
    storagePath: undefined,
    retentionMs: 3_600_000,
    externalUrl: 'http://am.example',
    logger: quiet,
    backoff: () => 20,
    metrics: {
      sent: () => counts.sent++,
      failed: () => counts.failed++,
      latency: () => undefined,
      received: () => undefined,
      invalid: () => undefined,
    },
  });
}

test('an alert becomes one webhook notification after group_wait, in webhook v4 JSON', async () => {
  const hook = await webhookServer();
  const core = setup(hook);
  try {
    core.receive([{ labels: { alertname: 'InstanceDown', instance: 'localhost:9100', job: 'node' }, annotations: { summary: 'down' } }]);
    const m = await hook.next();
    assert.equal(m.version, '4');
    assert.equal(m.status, 'firing');
    assert.equal(m.receiver, 'hook');
    assert.equal(m.groupKey, '{}:{alertname="InstanceDown"}');
    assert.deepEqual(m.groupLabels, { alertname: 'InstanceDown' });
    assert.equal(m.alerts.length, 1);
    assert.equal(m.alerts[0]!.labels.instance, 'localhost:9100');
    assert.equal(m.alerts[0]!.fingerprint.length, 16);
    assert.equal(m.externalURL, 'http://am.example');
  } finally {
    core.stop();
    await hook.close();
  }
});

test('grouping puts two alerts into one notification; a resolved one is notified with send_resolved', async () => {
  const hook = await webhookServer();
  const core = setup(hook);
  try {
    core.receive([
      { labels: { alertname: 'A', instance: 'x' } },
      { labels: { alertname: 'A', instance: 'y' } },
    ]);
    const first = await hook.next();
    assert.equal(first.alerts.length, 2);
    core.receive([{ labels: { alertname: 'A', instance: 'x' }, startsAt: Date.now() - 1000, endsAt: Date.now() - 10 }]);
    const second = await hook.next();
    const byInstance = Object.fromEntries(second.alerts.map((a) => [a.labels.instance, a.status]));
    assert.deepEqual(byInstance, { x: 'resolved', y: 'firing' });
  } finally {
    core.stop();
    await hook.close();
  }
});

test('a silence stops the notification; expiring it lets the next one through', async () => {
  const hook = await webhookServer();
  const core = setup(hook);
  try {
    const now = Date.now();
    const id = core.silences.set({ matchers: [{ name: 'alertname', value: 'Muted', isRegex: false, isEqual: true }], startsAt: now, endsAt: now + 60_000, createdBy: 't', comment: 'c' }, now);
    core.receive([{ labels: { alertname: 'Muted' } }, { labels: { alertname: 'Loud' } }]);
    const m = await hook.next();
    assert.deepEqual(m.groupLabels, { alertname: 'Loud' });
    assert.equal(core.status({ alertname: 'Muted' }).state, 'suppressed');
    assert.deepEqual(core.status({ alertname: 'Muted' }).silencedBy, [id]);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(hook.messages.length, 1, 'the silenced group sent nothing');
    core.silences.expire(id, Date.now());
    const later = await hook.next(2000);
    assert.deepEqual(later.groupLabels, { alertname: 'Muted' });
  } finally {
    core.stop();
    await hook.close();
  }
});

test('an inhibition rule mutes the target while the source fires', async () => {
  const hook = await webhookServer();
  const core = setup(hook, {
    inhibitRules: [{ sourceMatches: eq('severity', 'critical'), targetMatches: eq('severity', 'warning'), equal: ['cluster'] }],
  });
  try {
    core.receive([
      { labels: { alertname: 'Big', severity: 'critical', cluster: 'a' } },
      { labels: { alertname: 'Small', severity: 'warning', cluster: 'a' } },
      { labels: { alertname: 'Other', severity: 'warning', cluster: 'b' } },
    ]);
    // Ordering, not a sleep: wait for two notifications, then send a later alert; had Small not been
    // muted it would have been sent with the first batch, before the later one.
    await Promise.all([hook.next(), hook.next()]);
    core.receive([{ labels: { alertname: 'Later', severity: 'info', cluster: 'a' } }]);
    await hook.next();
    const groups = hook.messages.map((m) => m.groupLabels.alertname);
    assert.deepEqual(groups.slice(0, 2).sort(), ['Big', 'Other']);
    assert.deepEqual(groups.slice(2), ['Later']);
    assert.equal(core.status({ alertname: 'Small', severity: 'warning', cluster: 'a' }).inhibitedBy.length, 1);
  } finally {
    core.stop();
    await hook.close();
  }
});

test('a failing receiver is retried and the notification is not lost', async () => {
  const hook = await webhookServer();
  hook.failNext = 2;
  const core = setup(hook);
  try {
    core.receive([{ labels: { alertname: 'Retry' } }]);
    const m = await hook.next(3000);
    assert.deepEqual(m.groupLabels, { alertname: 'Retry' });
    assert.equal(hook.failNext, 0);
  } finally {
    core.stop();
    await hook.close();
  }
});

test('routing: child routes, continue, and invalid alerts refused', async () => {
  const hook = await webhookServer();
  const other = await webhookServer();
  const core = setup(hook, {
    route: route({
      routes: [
        route({ key: '{}/{team="db"}', receiver: 'other', matches: eq('team', 'db'), continue: true }),
        route({ key: '{}/{team=~".*"}', receiver: 'hook', matches: () => true }),
      ],
    }),
    receivers: new Map([
      ['hook', [webhookIntegration({ url: hook.url, sendResolved: true, maxAlerts: 0, timeoutMs: 2000 }, 0)]],
      ['other', [webhookIntegration({ url: other.url, sendResolved: true, maxAlerts: 0, timeoutMs: 2000 }, 0)]],
    ]),
  });
  try {
    core.receive([{ labels: { alertname: 'X', team: 'db' } }]);
    const [a, b] = await Promise.all([hook.next(), other.next()]);
    assert.equal(a.receiver, 'hook');
    assert.equal(b.receiver, 'other');
    assert.deepEqual(core.receiversFor({ alertname: 'X', team: 'db' }).sort(), ['hook', 'other']);
    assert.throws(() => core.receive([{ labels: {} }]), /at least one label pair required/);
  } finally {
    core.stop();
    await hook.close();
    await other.close();
  }
});
