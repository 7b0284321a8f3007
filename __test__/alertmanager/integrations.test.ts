// The chat, paging and on-call receivers: the requests Alertmanager would send (its default
// templates), to fake services on a local port; the services' refusals are notification errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tunnel } from '../helpers/net.js';
import type { AddressInfo } from 'node:net';
import { parseAlertmanagerConfig } from '../../src/alertmanager/config.js';
import type { TemplateData } from '../../src/alertmanager/notify.js';

interface Received {
  path: string;
  authorization?: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

async function fakeSlack(answer: (path: string) => { status: number; json?: unknown }): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      received.push({ path: req.url ?? '', authorization: req.headers.authorization, headers: req.headers, raw: body, body: form ? Object.fromEntries(new URLSearchParams(body)) : body === '' ? {} : (JSON.parse(body) as Record<string, unknown>) });
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

test('pagerduty_configs sends an Events API v2 trigger, then a resolve with the same dedup key', async (t) => {
  const pd = await fakeSlack(() => ({ status: 202, json: { status: 'success' } }));
  t.after(() => pd.close());
  const cfg = parseAlertmanagerConfig(`global:\n  pagerduty_url: '${pd.url}/v2/enqueue'\nroute:\n  receiver: team\nreceivers:\n  - name: team\n    pagerduty_configs:\n      - routing_key: rk-1\n        severity: critical\n`, 'alertmanager.yml');
  const [integration] = cfg.core.receivers.get('team')!;
  await integration!.notify(data, 'g');
  const [m] = pd.received;
  assert.equal(m!.body.routing_key, 'rk-1');
  assert.equal(m!.body.event_action, 'trigger');
  const payload = m!.body.payload as Record<string, unknown>;
  assert.equal(payload.summary, '[FIRING:1] InstanceDown (host-1:9100 node)');
  assert.equal(payload.severity, 'critical');
  assert.equal(payload.source, 'Alertmanager');
  assert.equal((payload.custom_details as Record<string, string>).num_firing, '1');
  await integration!.notify({ ...data, Status: 'resolved' }, 'g');
  assert.equal(pd.received[1]!.body.event_action, 'resolve');
  assert.equal(pd.received[1]!.body.dedup_key, m!.body.dedup_key);
});

test('pushover, mattermost and rocketchat send their payloads with their credentials', async (t) => {
  const svc = await fakeSlack((path) => ({ status: 200, json: path.includes('chat.postMessage') ? { success: true } : { status: 1 } }));
  t.after(() => svc.close());
  // Pushover's API URL is fixed in Alertmanager's configuration; the integration is pointed here directly.
  const { pushoverIntegration } = await import('../../src/alertmanager/integrations/paging.js');
  const { makeRenderer } = await import('../../src/alertmanager/templates.js');
  const po = pushoverIntegration({ userKey: { value: 'u1' }, token: { value: 't1' }, title: '{{ template "pushover.default.title" . }}', message: '{{ template "pushover.default.message" . }}', url: '{{ template "pushover.default.url" . }}', urlTitle: '', device: '', sound: '', priority: '{{ if eq .Status "firing" }}2{{ else }}0{{ end }}', retrySeconds: 60, expireSeconds: 3600, ttlSeconds: 0, html: false, apiUrl: `${svc.url}/1/messages.json`, sendResolved: true, http: { followRedirects: true }, timeoutMs: 5000 }, 0, makeRenderer([]));
  await po.notify(data, 'g');
  const form = svc.received[0]!.body;
  assert.deepEqual([form.token, form.user, form.title, form.priority, form.retry, form.expire], ['t1', 'u1', '[FIRING:1] InstanceDown (host-1:9100 node)', '2', '60', '3600']);
  assert.match(String(form.message), /host-1 down/);
  const cfg = parseAlertmanagerConfig(
    `global:\n  mattermost_webhook_url: '${svc.url}/hooks/abc'\n  rocketchat_api_url: '${svc.url}'\n  rocketchat_token: tok\n  rocketchat_token_id: uid\nroute:\n  receiver: team\nreceivers:\n  - name: team\n    mattermost_configs:\n      - channel: ops\n    rocketchat_configs:\n      - channel: '#ops'\n`,
    'alertmanager.yml',
  );
  const [mm, rc] = cfg.core.receivers.get('team')!;
  await mm!.notify(data, 'g');
  await rc!.notify(data, 'g');
  const mmReq = svc.received.find((r) => r.path === '/hooks/abc')!;
  assert.equal(mmReq.body.channel, 'ops');
  assert.equal((mmReq.body.attachments as Record<string, unknown>[])[0]!.title, '[FIRING:1] InstanceDown (host-1:9100 node)');
  const rcReq = svc.received.find((r) => r.path === '/api/v1/chat.postMessage')!;
  assert.equal(rcReq.body.channel, '#ops');
  assert.equal((rcReq.body.attachments as Record<string, unknown>[])[0]!.color, 'red');
});

test('wechat_configs fetches an access token once and sends the message with it', async (t) => {
  const wx = await fakeSlack((path) => ({ status: 200, json: path.startsWith('/cgi-bin/gettoken') ? { errcode: 0, access_token: 'AT1', expires_in: 7200 } : { errcode: 0, errmsg: 'ok' } }));
  t.after(() => wx.close());
  const cfg = parseAlertmanagerConfig(`global:\n  wechat_api_url: '${wx.url}/cgi-bin/'\n  wechat_api_secret: s3cret\n  wechat_api_corp_id: corp1\nroute:\n  receiver: team\nreceivers:\n  - name: team\n    wechat_configs:\n      - to_user: '@all'\n        agent_id: '1000002'\n`, 'alertmanager.yml');
  const [integration] = cfg.core.receivers.get('team')!;
  await integration!.notify(data, 'g');
  await integration!.notify(data, 'g');
  assert.deepEqual(wx.received.map((r) => r.path.replace(/\?.*/, '')), ['/cgi-bin/gettoken', '/cgi-bin/message/send', '/cgi-bin/message/send']);
  assert.equal(wx.received[0]!.path, '/cgi-bin/gettoken?corpid=corp1&corpsecret=s3cret');
  const send = wx.received[1]!;
  assert.equal(send.path, '/cgi-bin/message/send?access_token=AT1');
  assert.equal(send.body.touser, '@all');
  assert.equal(send.body.agentid, '1000002');
  assert.match(String((send.body.text as Record<string, string>).content), /InstanceDown/);
});

test('http_config.proxy_url sends the notification through the proxy', async (t) => {
  const target = await fakeSlack(() => ({ status: 200 }));
  // A CONNECT proxy that records where it tunnels to.
  const tunnels: string[] = [];
  const proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    tunnel(req, client, head);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.after(async () => {
    await target.close();
    await new Promise<void>((r) => proxy.close(() => r()));
  });
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const cfg = parseAlertmanagerConfig(`route:\n  receiver: team\nreceivers:\n  - name: team\n    webhook_configs:\n      - url: '${target.url}/hook'\n        http_config:\n          proxy_url: '${proxyUrl}'\n`, 'alertmanager.yml');
  const [hook] = cfg.core.receivers.get('team')!;
  await hook!.notify(data, 'g');
  assert.deepEqual(tunnels, [new URL(target.url).host]);
  assert.equal(target.received[0]!.path, '/hook');
});

test('sns_configs publishes to the topic with a valid AWS Signature Version 4', async (t) => {
  const aws = await fakeSlack(() => ({ status: 200 }));
  t.after(() => aws.close());
  const cfg = parseAlertmanagerConfig(`route:\n  receiver: team\nreceivers:\n  - name: team\n    sns_configs:\n      - api_url: '${aws.url}/'\n        topic_arn: arn:aws:sns:us-east-2:123456789012:Alerts\n        sigv4:\n          region: us-east-2\n          access_key: AKIDEXAMPLE\n          secret_key: wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n        attributes:\n          severity: Sev2\n`, 'alertmanager.yml');
  const [integration] = cfg.core.receivers.get('team')!;
  await integration!.notify(data, 'g');
  const [req] = aws.received;
  assert.equal(req!.body.Action, 'Publish');
  assert.equal(req!.body.TopicArn, 'arn:aws:sns:us-east-2:123456789012:Alerts');
  assert.equal(req!.body.Subject, '[FIRING:1] InstanceDown (host-1:9100 node)');
  assert.equal(req!.body['MessageAttributes.entry.1.Name'], 'severity');
  assert.equal(req!.body['MessageAttributes.entry.1.Value.StringValue'], 'Sev2');
  // Check the signature with an independent SigV4 computation over what the server received.
  const auth = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/us-east-2\/sns\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(req!.authorization ?? '');
  assert.ok(auth, req!.authorization);
  const [, day, signedHeaders, signature] = auth;
  const { createHash, createHmac } = await import('node:crypto');
  const sha = (x: string): string => createHash('sha256').update(x).digest('hex');
  const hmac = (k: Buffer | string, x: string): Buffer => createHmac('sha256', k).update(x).digest();
  const names = signedHeaders!.split(';');
  const canonicalHeaders = names.map((n) => `${n}:${String(req!.headers[n]).trim()}\n`).join('');
  const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders, sha(req!.raw)].join('\n');
  const amzDate = String(req!.headers['x-amz-date']);
  const toSign = ['AWS4-HMAC-SHA256', amzDate, `${day}/us-east-2/sns/aws4_request`, sha(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', day!), 'us-east-2'), 'sns'), 'aws4_request');
  assert.equal(createHmac('sha256', key).update(toSign).digest('hex'), signature);
});

test('http_config.tls_config: a webhook over HTTPS with its own CA, refused without it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-hook-tls-'));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=hooks.test', '-addext', 'subjectAltName=DNS:hooks.test,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const paths: string[] = [];
  const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const receiver = (tls: string): string => `route:\n  receiver: team\nreceivers:\n  - name: team\n    webhook_configs:\n      - url: '${url}'\n${tls}`;
  const trusted = parseAlertmanagerConfig(receiver(`        http_config:\n          tls_config:\n            ca_file: '${join(dir, 'cert.pem')}'\n            server_name: hooks.test\n`), 'alertmanager.yml');
  await trusted.core.receivers.get('team')![0]!.notify(data, 'g');
  assert.deepEqual(paths, ['/hook']);
  const untrusted = parseAlertmanagerConfig(receiver(''), 'alertmanager.yml');
  await assert.rejects(untrusted.core.receivers.get('team')![0]!.notify(data, 'g'));
  assert.equal(paths.length, 1);
});

test('http_config.no_proxy sends straight to the receiver; min_version is read', async (t) => {
  const target = await fakeSlack(() => ({ status: 200 }));
  t.after(async () => {
    await target.close();
  });
  // The proxy is not there: only no_proxy lets the notification through.
  const cfg = parseAlertmanagerConfig(`route:\n  receiver: team\nreceivers:\n  - name: team\n    webhook_configs:\n      - url: '${target.url}/hook'\n        http_config:\n          proxy_url: 'http://127.0.0.1:1'\n          no_proxy: '127.0.0.1'\n`, 'alertmanager.yml');
  const [hook] = cfg.core.receivers.get('team')!;
  await hook!.notify(data, 'g');
  assert.equal(target.received[0]!.path, '/hook');
  assert.throws(() => parseAlertmanagerConfig(`route:\n  receiver: team\nreceivers:\n  - name: team\n    webhook_configs:\n      - url: 'http://x/'\n        http_config:\n          no_proxy: a\n`, 'alertmanager.yml'), /if no_proxy is configured, proxy_url must also be configured/);
  assert.throws(() => parseAlertmanagerConfig(`route:\n  receiver: team\nreceivers:\n  - name: team\n    webhook_configs:\n      - url: 'https://x/'\n        http_config:\n          tls_config: {min_version: TLS9}\n`, 'alertmanager.yml'), /unknown TLS version: TLS9/);
});
