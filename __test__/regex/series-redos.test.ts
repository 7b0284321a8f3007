// End to end: a catastrophic `=~` matcher sent to /api/v1/series (matched on the server's main
// thread) against a stored adversarial label value answers, and the server stays responsive
// (/-/healthy answers) while it runs. The server is a child process so a stall cannot hang the
// test runner; requests give up after a generous 60 s, which counts as a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const GIVE_UP_MS = 60_000;
const adversarial = `${'a'.repeat(40)}b`;

test('/api/v1/series with a ReDoS matcher answers, and /-/healthy answers meanwhile', async (t) => {
  const target = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(`redos_probe{v="${adversarial}"} 1\nredos_probe{v="${'a'.repeat(40)}"} 1\n`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  t.after(() => target.close());
  const targetAddress = `127.0.0.1:${(target.address() as { port: number }).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-redos-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: redos\n    static_configs: [{targets: ['${targetAddress}']}]\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  t.after(() => server.kill('SIGKILL'));
  const get = (path: string): Promise<Response> => fetch(`${base}${path}`, { signal: AbortSignal.timeout(GIVE_UP_MS) });
  await waitFor('the scraped series', async () => {
    const r = await get('/api/v1/series?match[]=redos_probe').catch(() => undefined);
    const body = r === undefined ? undefined : ((await r.json()) as { data: unknown[] });
    return body !== undefined && body.data.length === 2 ? true : undefined;
  }, 300);

  const matcher = encodeURIComponent('redos_probe{v=~"(a+)+$"}');
  let answered = false;
  const series = get(`/api/v1/series?match[]=${matcher}`).then(async (r) => {
    answered = true;
    return { status: r.status, body: (await r.json()) as { data: Record<string, string>[] } };
  });
  let healthChecks = 0;
  do {
    const health = await get('/-/healthy');
    assert.equal(health.status, 200);
    healthChecks++;
  } while (!answered && healthChecks < 20);
  const { status, body } = await series;
  assert.equal(status, 200);
  // RE2's answer: only the all-`a` value matches `^(?:(a+)+$)$`.
  assert.deepEqual(body.data.map((s) => s['v']), ['a'.repeat(40)]);
});
