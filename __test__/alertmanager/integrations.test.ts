// slack, telegram, opsgenie and victorops receivers: the requests Alertmanager would send (its default
// templates), to fake services on a local port; the services' refusals are notification errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAlertmanagerConfig } from '../../src/alertmanager/config.js';
import type { TemplateData } from '../../src/alertmanager/notify.js';

interface Received {
  path: string;
  authorization?: string;
  body: Record<string, unknown>;
}

async function fakeSlack(answer: (path: string) => { status: number; json?: unknown }): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(body) as Record<string, unknown> });
      const a = answer(req.url ?? '');
      if (a.json !== undefined) res.writeHead(a.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(a.json));
      else res.writeHead(a.status).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise((r) => server.close(() => r())) };
}

const data: TemplateData = {
  Receiver: 'team',
  Status: 'firing',
  Alerts: [{ Status: 'firing', Labels: { alertname: 'InstanceDown', instance: 'host-1:9100', job: 'node' }, Annotations: { summary: 'host-1 down' }, StartsAt: new Date(1_700_000_000_000), EndsAt: new Date(0), GeneratorURL: 'http://prom/graph', Fingerprint: 'abc' }],
  GroupLabels: { alertname: 'InstanceDown' },
  CommonLabels: { alertname: 'InstanceDown', instance: 'host-1:9100', job: 'node' },
  CommonAnnotations: { summary: 'host-1 down' },
  ExternalURL: 'http://am.example',
};

test('a Slack webhook receives Alertmanager\'s default message', async (t) => {
  const slack = await fakeSlack(() => ({ status: 200 }));
  t.after(() => slack.close());
  const cfg = parseAlertmanagerConfig(`global:\n  slack_api_url: '${slack.url}/services/T0/B0/X'\nroute:\n  receiver: team\nreceivers:\n  - name: team\n    slack_configs:\n      - channel: '#alerts'\n        fields:\n          - title: Summary\n            value: '{{ .CommonAnnotations.summary }}'\n`, 'alertmanager.yml');
  const [slackIntegration] = cfg.core.receivers.get('team')!;
  assert.equal(slackIntegration!.name, 'slack');
  assert.equal(slackIntegration!.sendResolved, false);
  await slackIntegration!.notify(data, '{}:{alertname="InstanceDown"}');
  const [m] = slack.received;
  assert.equal(m!.path, '/services/T0/B0/X');
  assert.equal(m!.authorization, undefined);
  assert.equal(m!.body.channel, '#alerts');
  assert.equal(m!.body.username, 'Alertmanager');
  const [att] = m!.body.attachments as Record<string, unknown>[];
  assert.equal(att!.title, '[FIRING:1] InstanceDown (host-1:9100 node)');
  assert.equal(att!.title_link, 'http://am.example/#/alerts?receiver=team');
  assert.equal(att!.color, 'danger');
  assert.equal(att!.fallback, '[FIRING:1] InstanceDown (host-1:9100 node) | http://am.example/#/alerts?receiver=team');
  assert.deepEqual(att!.fields, [{ title: 'Summary', value: 'host-1 down', short: false }]);
  assert.deepEqual(att!.mrkdwn_in, ['fallback', 'pretext', 'text']);
});

test('an app token posts to chat.postMessage with Bearer authorization; an error answer fails the notification', async (t) => {
  let ok = true;
  const slack = await fakeSlack(() => ({ status: 200, json: ok ? { ok: true } : { ok: false, error: 'channel_not_found' } }));
  t.after(() => slack.close());
  const cfg = parseAlertmanagerConfig(`global:\n  slack_app_token: 'xoxb-test'\n  slack_app_url: '${slack.url}/api/chat.postMessage'\nroute:\n  receiver: team\nreceivers:\n  - name: team\n    slack_configs:\n      - channel: '#alerts'\n        send_resolved: true\n`, 'alertmanager.yml');
  const [integration] = cfg.core.receivers.get('team')!;
  await integration!.notify(data, 'g');
  assert.equal(slack.received[0]!.path, '/api/chat.postMessage');
  assert.equal(slack.received[0]!.authorization, 'Bearer xoxb-test');
  ok = false;
  await assert.rejects(integration!.notify(data, 'g'), /error response from Slack: channel_not_found/);
});

test('telegram_configs sends the default message through the Bot API with the global token', async (t) => {
  const bot = await fakeSlack(() => ({ status: 200, json: { ok: true } }));
  t.after(() => bot.close());
  const cfg = parseAlertmanagerConfig(`global:\n  telegram_bot_token: 'tok123'\n  telegram_api_url: '${bot.url}'\nroute:\n  receiver: team\nreceivers:\n  - name: team\n    telegram_configs:\n      - chat_id: -100123\n`, 'alertmanager.yml');
  const [tg] = cfg.core.receivers.get('team')!;
  assert.equal(tg!.name, 'telegram');
  await tg!.notify(data, 'g');
  const [m] = bot.received;
  assert.equal(m!.path, '/bottok123/sendMessage');
  assert.equal(m!.body.chat_id, -100123);
  assert.equal(m!.body.parse_mode, 'HTML');
  assert.match(String(m!.body.text), /InstanceDown/);
  assert.match(String(m!.body.text), /host-1 down/);
  assert.throws(() => parseAlertmanagerConfig('route:\n  receiver: team\nreceivers:\n  - name: team\n    telegram_configs:\n      - chat_id: 1\n', 'x.yml'), /missing bot_token or bot_token_file on telegram_config/);
});

test('opsgenie_configs creates the alert with GenieKey auth and closes it by alias when resolved', async (t) => {
  const og = await fakeSlack(() => ({ status: 202, json: { result: 'Request will be processed' } }));
  t.after(() => og.close());
  const cfg = parseAlertmanagerConfig(`global:\n  opsgenie_api_key: 'key-1'\n  opsgenie_api_url: '${og.url}/'\nroute:\n  receiver: team\nreceivers:\n  - name: team\n    opsgenie_configs:\n      - responders:\n          - name: ops\n            type: team\n        tags: 'a, b'\n        priority: P2\n`, 'alertmanager.yml');
  const [integration] = cfg.core.receivers.get('team')!;
  await integration!.notify(data, '{}:{alertname="InstanceDown"}');
  const [create] = og.received;
  assert.equal(create!.path, '/v2/alerts');
  assert.equal(create!.authorization, 'GenieKey key-1');
  assert.equal(create!.body.message, '[FIRING:1] InstanceDown (host-1:9100 node)');
  assert.match(String(create!.body.alias), /^[0-9a-f]{64}$/);
  assert.deepEqual(create!.body.responders, [{ name: 'ops', type: 'team' }]);
  assert.deepEqual(create!.body.tags, ['a', 'b']);
  assert.equal(create!.body.priority, 'P2');
  assert.match(String(create!.body.description), /host-1 down/);
  await integration!.notify({ ...data, Status: 'resolved', Alerts: data.Alerts.map((a) => ({ ...a, Status: 'resolved' as const })) }, '{}:{alertname="InstanceDown"}');
  assert.equal(og.received[1]!.path, `/v2/alerts/${String(create!.body.alias)}/close?identifierType=alias`);
});

test('victorops_configs posts CRITICAL, then RECOVERY, to the routing key', async (t) => {
  const vo = await fakeSlack(() => ({ status: 200, json: { result: 'success' } }));
  t.after(() => vo.close());
  const cfg = parseAlertmanagerConfig(`global:\n  victorops_api_key: 'k1'\n  victorops_api_url: '${vo.url}/alert/'\nroute:\n  receiver: team\nreceivers:\n  - name: team\n    victorops_configs:\n      - routing_key: team-x\n        custom_fields:\n          runbook: 'https://runbooks/{{ .CommonLabels.alertname }}'\n`, 'alertmanager.yml');
  const [integration] = cfg.core.receivers.get('team')!;
  await integration!.notify(data, 'g1');
  const [m] = vo.received;
  assert.equal(m!.path, '/alert/k1/team-x');
  assert.equal(m!.body.message_type, 'CRITICAL');
  assert.equal(m!.body.entity_display_name, '[FIRING:1] InstanceDown (host-1:9100 node)');
  assert.equal(m!.body.monitoring_tool, 'Alertmanager');
  assert.equal(m!.body.runbook, 'https://runbooks/InstanceDown');
  await integration!.notify({ ...data, Status: 'resolved' }, 'g1');
  assert.equal(vo.received[1]!.body.message_type, 'RECOVERY');
  assert.equal(vo.received[1]!.body.entity_id, m!.body.entity_id);
});
