// Silences and the notification log live in --storage.path: after a restart the silence is still
// there and an alert already notified is not notified again before its repeat_interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('a restart keeps silences and does not re-send what was already sent', { timeout: 60_000 }, async (t) => {
  const received: unknown[] = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-restart-'));
  writeFileSync(join(dir, 'alertmanager.yml'), `route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: 'http://127.0.0.1:${(hook.address() as AddressInfo).port}/'\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let am: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    am = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    am.stderr?.resume();
    await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  };
  const stop = async (): Promise<void> => {
    const exited = new Promise((r) => am!.once('exit', r));
    am!.kill('SIGTERM');
    await exited;
  };
  t.after(() => {
    am?.kill('SIGKILL');
    hook.close();
  });
  const alert = JSON.stringify([{ labels: { alertname: 'InstanceDown', instance: 'host-1:9100' } }]);
  const postAlert = (): Promise<Response> => fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: alert });

  await start();
  assert.equal((await postAlert()).status, 200);
  await waitFor('first notification', async () => (received.length === 1 ? true : undefined));
  const now = Date.now();
  const silence = await fetch(`${base}/api/v2/silences`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ matchers: [{ name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true }], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3600_000).toISOString(), createdBy: 'ops', comment: 'maintenance' }),
  });
  const { silenceID } = (await silence.json()) as { silenceID: string };
  await stop();

  await start();
  const silences = (await (await fetch(`${base}/api/v2/silences`)).json()) as { id: string; status: { state: string } }[];
  assert.deepEqual(silences.map((s) => [s.id, s.status.state]), [[silenceID, 'active']]);
  // Prometheus re-sends the firing alert; the group flushes, but the notification log says it was sent.
  assert.equal((await postAlert()).status, 200);
  await new Promise((r) => setTimeout(r, 3500));
  assert.equal(received.length, 1, 'not sent again before repeat_interval');
});

test('POST /-/reload applies a new configuration, and a broken one keeps the running one', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-reload-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, 'route:\n  receiver: first\nreceivers:\n  - name: first\n');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const am = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${config}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  am.stderr?.resume();
  t.after(() => am.kill('SIGKILL'));
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
  const receivers = async (): Promise<string[]> => ((await (await fetch(`${base}/api/v2/receivers`)).json()) as { name: string }[]).map((r) => r.name);
  assert.deepEqual(await receivers(), ['first']);
  writeFileSync(config, 'route:\n  receiver: second\nreceivers:\n  - name: second\n');
  assert.equal((await fetch(`${base}/-/reload`, { method: 'POST' })).status, 200);
  assert.deepEqual(await receivers(), ['second']);
  writeFileSync(config, 'route:\n  receiver: nobody\nreceivers:\n  - name: second\n');
  const bad = await fetch(`${base}/-/reload`, { method: 'POST' });
  assert.equal(bad.status, 500);
  assert.match(await bad.text(), /failed to reload config: .*nobody/);
  assert.deepEqual(await receivers(), ['second']);
  assert.match(await (await fetch(`${base}/metrics`)).text(), /^alertmanager_config_last_reload_successful 0$/m);
});
