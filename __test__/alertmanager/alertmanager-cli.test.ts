// `promethium alertmanager` end to end: alertmanager.yml loaded, an alert posted through API v2
// becomes an e-mail (default templates) at an SMTP server; amtool works as a client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';
import { startSmtpSink } from '../../src/walkthrough/smtp-sink.js';
import type { ReceivedMail } from '../../src/walkthrough/smtp-sink.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('an alert becomes an e-mail; amtool queries alerts and adds silences', async (t) => {
  const mails: ReceivedMail[] = [];
  const smtpPort = await freePort();
  const sink = await startSmtpSink('127.0.0.1', smtpPort, (m) => mails.push(m));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(
    config,
    `global:\n  smtp_smarthost: '127.0.0.1:${smtpPort}'\n  smtp_from: 'am@example.org'\n  smtp_require_tls: false\nroute:\n  receiver: mails\n  group_by: [alertname, job]\n  group_wait: 1s\n  group_interval: 1m\n  repeat_interval: 3h\nreceivers:\n  - name: mails\n    email_configs:\n      - to: 'team@example.org'\n`,
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const am = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  am.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  t.after(async () => {
    am.kill('SIGKILL');
    await sink.close();
  });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined));

  const post = await fetch(`${base}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify([{ labels: { alertname: 'InstanceDown', job: 'node', instance: 'host:9100', severity: 'page' }, annotations: { summary: 'Instance host:9100 down' }, generatorURL: 'http://prometheus/graph' }]),
  });
  assert.equal(post.status, 200, log);
  const mail = await waitFor('the e-mail', async () => mails[0], 100, 100);
  assert.deepEqual(mail.to, ['team@example.org']);
  assert.equal(mail.subject, '[FIRING:1] InstanceDown node (host:9100 page)');
  // Alertmanager's own HTML e-mail (email.default.html), quoted-printable: '=' is =3D, soft line breaks joined.
  const html = mail.raw.replace(/=\r?\n/g, '');
  assert.match(html, /Content-Type: text\/html/);
  assert.match(html, /summary =3D Instance host:9100 down/);
  assert.match(html, /View in Alertmanager/);

  // amtool, Alertmanager's own Go client, against our API v2.
  const amtool = (...args: string[]): string => {
    const r = spawnSync('amtool', [`--alertmanager.url=${base}`, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stderr}\n--- alertmanager log:\n${log}`);
    return r.stdout;
  };
  assert.match(amtool('alert', 'query'), /InstanceDown/);
  const id = amtool('silence', 'add', '--comment=maintenance', '--author=test', 'alertname=InstanceDown').trim();
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.match(amtool('silence', 'query'), new RegExp(id));
  assert.match(amtool('alert', 'query', '--silenced'), /InstanceDown/);
  amtool('silence', 'expire', id);
  assert.doesNotMatch(amtool('silence', 'query'), new RegExp(id));
  assert.match(amtool('silence', 'query', '--expired'), new RegExp(id));
  // amtool alert add posts through API v2 as well.
  amtool('alert', 'add', 'alertname=DiskFull', 'instance=db-1', '--annotation=summary=disk full');
  assert.match(amtool('alert', 'query', 'alertname=DiskFull'), /DiskFull/);
  // config show prints the running configuration.
  assert.match(amtool('config', 'show'), /receiver: mails/);
});

test("Debian's Prometheus 2.42 sends an up == 0 alert to our Alertmanager and the e-mail arrives", { timeout: 120_000 }, async (t) => {
  const mails: ReceivedMail[] = [];
  const smtpPort = await freePort();
  const sink = await startSmtpSink('127.0.0.1', smtpPort, (m) => mails.push(m));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-interop-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `global:\n  smtp_smarthost: '127.0.0.1:${smtpPort}'\n  smtp_from: 'am@example.org'\n  smtp_require_tls: false\nroute:\n  receiver: mails\n  group_by: [alertname, job]\n  group_wait: 1s\nreceivers:\n  - name: mails\n    email_configs:\n      - to: 'team@example.org'\n`,
  );
  const [amPort, promPort, deadPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'rules.yml'), 'groups:\n- name: example\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    labels:\n      severity: page\n    annotations:\n      summary: "Instance {{ $labels.instance }} down"\n');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [rules.yml]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:${amPort}"]\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ["127.0.0.1:${deadPort}"]\n`,
  );
  const am = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  am.stderr?.resume();
  t.after(() => am.kill('SIGKILL'));
  // Prometheus starts once the Alertmanager answers: a first send refused while it still starts
  // would only be retried a minute later (Prometheus's resend delay), which is not what is tested.
  await waitFor('the Alertmanager ready', async () => ((await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok ? true : undefined), 600, 100);
  const prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prom')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr?.on('data', (d: Buffer) => (promLog += d.toString()));
  t.after(async () => {
    prom.kill('SIGKILL');
    am.kill('SIGKILL');
    await sink.close();
  });
  const mail = await waitFor('the e-mail', async () => mails[0], 400, 100).catch((e: Error) => {
    throw new Error(`${e.message}\n--- prometheus log:\n${promLog.slice(-2000)}`);
  });
  assert.deepEqual(mail.to, ['team@example.org']);
  assert.equal(mail.subject, `[FIRING:1] InstanceDown node (127.0.0.1:${deadPort} page)`);
  // Quoted-printable with its soft line breaks joined.
  const body = mail.raw.replace(/=\r?\n/g, '');
  assert.match(body, new RegExp(`summary =3D Instance 127\\.0\\.0\\.1:${deadPort} down`));
  // Prometheus's generator URL points back at it.
  assert.match(body, new RegExp(`:${promPort}/graph\\?g0\\.expr=3Dup`));
});

test('with the SMTP server down the e-mail is retried and counted as failed, and arrives once it is up', { timeout: 60_000 }, async (t) => {
  const smtpPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-smtp-down-'));
  writeFileSync(join(dir, 'alertmanager.yml'), `global:\n  smtp_smarthost: '127.0.0.1:${smtpPort}'\n  smtp_from: 'am@example.org'\n  smtp_require_tls: false\nroute:\n  receiver: mails\n  group_wait: 1s\n  group_interval: 3s\nreceivers:\n  - name: mails\n    email_configs:\n      - to: 'team@example.org'\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const am = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  am.stderr?.resume();
  const mails: ReceivedMail[] = [];
  let sink: Awaited<ReturnType<typeof startSmtpSink>> | undefined;
  t.after(async () => {
    am.kill('SIGKILL');
    await sink?.close();
  });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ labels: { alertname: 'InstanceDown', instance: 'h:9100' } }]) });
  const failed = async (): Promise<number> => Number(/^alertmanager_notifications_failed_total\{[^}]*integration="email"[^}]*\} (\S+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1] ?? 0);
  await waitFor('a failed attempt counted', async () => ((await failed()) > 0 ? true : undefined), 100, 100);
  sink = await startSmtpSink('127.0.0.1', smtpPort, (m) => mails.push(m));
  const mail = await waitFor('the e-mail after the server came up', async () => mails[0], 150, 100);
  assert.equal(mail.subject, '[FIRING:1]  (InstanceDown h:9100)');
});

test('e-mail: two alerts grouped into one mail, the resolved mail, and silences and inhibition muting mails', { timeout: 60_000 }, async (t) => {
  const mails: ReceivedMail[] = [];
  const smtpPort = await freePort();
  const sink = await startSmtpSink('127.0.0.1', smtpPort, (m) => mails.push(m));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-mails-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `global:\n  smtp_smarthost: '127.0.0.1:${smtpPort}'\n  smtp_from: 'am@example.org'\n  smtp_require_tls: false\nroute:\n  receiver: mails\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 2s\ninhibit_rules:\n  - source_matchers: [severity="critical"]\n    target_matchers: [severity="warning"]\n    equal: [cluster]\nreceivers:\n  - name: mails\n    email_configs:\n      - to: 'team@example.org'\n        send_resolved: true\n`,
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const am = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  am.stderr?.resume();
  t.after(async () => {
    am.kill('SIGKILL');
    await sink.close();
  });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  const post = (alerts: unknown[]): Promise<Response> => fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(alerts) });
  const subjects = (): string[] => mails.map((m) => m.subject);

  // Grouping: two alerts of one alertname, one mail.
  await post([{ labels: { alertname: 'InstanceDown', instance: 'a:9100' } }, { labels: { alertname: 'InstanceDown', instance: 'b:9100' } }]);
  await waitFor('grouped mail', async () => (mails.length >= 1 ? true : undefined), 100, 100);
  assert.equal(subjects()[0], '[FIRING:2] InstanceDown');
  // Resolved (send_resolved): ending both alerts brings one RESOLVED mail.
  const past = new Date(Date.now() - 1000).toISOString();
  await post([{ labels: { alertname: 'InstanceDown', instance: 'a:9100' }, endsAt: past }, { labels: { alertname: 'InstanceDown', instance: 'b:9100' }, endsAt: past }]);
  await waitFor('resolved mail', async () => (subjects().some((s) => s.startsWith('[RESOLVED]')) ? true : undefined), 100, 100);
  assert.equal(subjects().find((s) => s.startsWith('[RESOLVED]')), '[RESOLVED] InstanceDown');

  // A silence mutes its alert; inhibition mutes the warning while the critical one fires.
  const now = Date.now();
  await fetch(`${base}/api/v2/silences`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'Silenced', isRegex: false, isEqual: true }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3600_000).toISOString(), createdBy: 'ops', comment: 'quiet' }) });
  await post([
    { labels: { alertname: 'Silenced', instance: 'c:9100' } },
    { labels: { alertname: 'DiskFull', severity: 'critical', cluster: 'eu' } },
    { labels: { alertname: 'DiskSlow', severity: 'warning', cluster: 'eu' } },
  ]);
  await waitFor('the critical mail', async () => (subjects().some((s) => s.includes('DiskFull')) ? true : undefined), 100, 100);
  await new Promise((r) => setTimeout(r, 2500));
  assert.ok(!subjects().some((s) => s.includes('Silenced')), `silenced alert mailed: ${subjects().join(' | ')}`);
  assert.ok(!subjects().some((s) => s.includes('DiskSlow')), `inhibited alert mailed: ${subjects().join(' | ')}`);
});
