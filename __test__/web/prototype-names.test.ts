// Names that clients, targets and config files choose (query parameters, metric names, external
// labels) that are also names of Object.prototype's members are names like any other: the API
// never reads them from the prototype nor loses them by assigning `__proto__`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

test('metadata of a metric named __proto__, external labels named __proto__/constructor in /federate, parameters named like prototype members', async (t) => {
  const exposition = '# HELP __proto__ A metric whose name is a prototype accessor.\n# TYPE __proto__ gauge\n__proto__ 1\n# HELP constructor Another one.\n# TYPE constructor counter\nconstructor 2\n';
  const target = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(exposition);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  t.after(() => target.close());
  const targetAddress = `127.0.0.1:${(target.address() as { port: number }).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'promethium-proto-names-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  external_labels:\n    __proto__: ext\n    constructor: ctor\nscrape_configs:\n  - job_name: proto\n    static_configs: [{targets: ['${targetAddress}']}]\n`,
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  t.after(() => server.kill('SIGKILL'));
  await waitFor('a scrape', async () => {
    const r = (await (await fetch(`${base}/api/v1/query?query=up`).catch(() => undefined))?.json()) as { data?: { result: unknown[] } } | undefined;
    return r?.data && r.data.result.length > 0 ? true : undefined;
  }, 300);

  // The metadata response is an object keyed by metric names: __proto__ must be an own key.
  const metaText = await (await fetch(`${base}/api/v1/metadata`)).text();
  const meta = JSON.parse(metaText) as { data: Record<string, { type: string; help: string }[]> };
  assert.ok(Object.prototype.hasOwnProperty.call(meta.data, '__proto__'), metaText);
  assert.deepEqual(meta.data['__proto__']?.[0]?.type, 'gauge');
  assert.deepEqual(meta.data['constructor']?.[0]?.type, 'counter');
  const one = JSON.parse(await (await fetch(`${base}/api/v1/metadata?metric=__proto__`)).text()) as { data: Record<string, unknown[]> };
  assert.deepEqual(Object.keys(one.data), ['__proto__']);

  // External labels fill in on /federate: both prototype-member names are kept.
  const fed = await (await fetch(`${base}/federate?match[]=${encodeURIComponent('{job="proto"}')}`)).text();
  const line = fed.split('\n').find((l) => l.startsWith('up{'));
  assert.ok(line !== undefined, fed);
  assert.match(line, /__proto__="ext"/);
  assert.match(line, /constructor="ctor"/);

  // A parameter named like a prototype member is a parameter the API ignores, not a crash or a
  // value read from Object.prototype.
  for (const extra of ['constructor=1', '__proto__=x', 'toString=y', 'hasOwnProperty=z']) {
    const r = await fetch(`${base}/api/v1/query?query=up&${extra}`);
    assert.equal(r.status, 200, extra);
  }
});
