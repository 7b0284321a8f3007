// Issue 16, defect 10 (server part), for the other two servers: the Alertmanager and the node
// exporter answer GET requests with 100 KB query strings as their Go originals do (1 MiB of
// request headers), where Node's 16 KiB default answered 431.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const LONG = 'a'.repeat(100_000);

test('the Alertmanager and the node exporter answer a GET with a 100 KB query string', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-long-urls-'));
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: r\nreceivers:\n  - name: r\n');
  const amPort = await freePort();
  const nePort = await freePort();
  const am = spawn(process.execPath, ['--import', 'tsx', cli, 'alertmanager', `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`, `--web.listen-address=127.0.0.1:${amPort}`], { stdio: 'ignore' });
  const ne = spawn(process.execPath, ['--import', 'tsx', cli, 'node-exporter', `--web.listen-address=127.0.0.1:${nePort}`], { stdio: 'ignore' });
  t.after(() => {
    am.kill('SIGKILL');
    ne.kill('SIGKILL');
  });
  await waitFor('alertmanager', async () => ((await fetch(`http://127.0.0.1:${amPort}/-/ready`)).status === 200 ? true : undefined));
  await waitFor('node exporter', async () => ((await fetch(`http://127.0.0.1:${nePort}/`)).status === 200 ? true : undefined));

  const silences = await fetch(`http://127.0.0.1:${amPort}/api/v2/silences?filter=${encodeURIComponent(`x="${LONG}"`)}`);
  assert.equal(silences.status, 200);
  assert.deepEqual(await silences.json(), []);
  const alerts = await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts?filter=${encodeURIComponent(`x="${LONG}"`)}`);
  assert.equal(alerts.status, 200);
  const metrics = await fetch(`http://127.0.0.1:${nePort}/metrics?x=${LONG}`);
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^node_exporter_build_info/m);
});
