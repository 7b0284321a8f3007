// What a running `promethium server` loads (issue 23): the discovery providers, the remote-write
// queues, the receiver, the rule manager and the web config's (bcrypt's native addon) load only when the config or a flag asks for them, the
// PromQL evaluator and the routes' validators (built with the package) with the first query, and protobufjs with
// the first protobuf body scraped or asked for on /federate; ajv never, for any route the build saw.
// Each module loaded costs resident memory an idle server never uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
// Resolved here: the server runs in a directory of its own (no prometheus.yml: the built-in default).
const tsx = import.meta.resolve('tsx');
const recorder = new URL('./fixtures/record-module-loads.mjs', import.meta.url).pathname;

/** Modules an idle server does not need, by a part of their URL. */
const ON_DEMAND = ['/src/discovery/providers/', '/node_modules/fast-xml-parser/', '/node_modules/aws4/', '/src/remote/queue-manager.ts', '/src/remote/receiver/', '/node_modules/protobufjs/', '/node_modules/long/', '/src/exposition/protobuf.ts', '/src/rules/manager.ts', '/src/template/template.ts', '/src/web-config/gate.ts', '/node_modules/@node-rs/bcrypt'];
/** Modules the first query loads: the evaluator, and the validators built with the package to check its parameters. */
const FIRST_QUERY = ['/src/promql/engine.ts', '/dist/web/generated-validators/'];
/** What the server never loads for a route of its own: the build compiled their validators. */
const NEVER = ['/node_modules/ajv/', '/node_modules/@fastify/ajv-compiler/'];

/** Starts the server on `config` (or the built-in default), runs `whileUp` against it, returns the module URLs it loaded. */
async function loadedBy(config: string | undefined, flags: string[], whileUp: (base: string, loaded: () => string[]) => Promise<void>, files: Record<string, string> = {}): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-idle-modules-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const record = join(dir, 'loaded.txt');
  writeFileSync(record, '');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const configFlags = config === undefined ? [] : [`--config.file=${join(dir, 'prometheus.yml')}`];
  if (config !== undefined) writeFileSync(join(dir, 'prometheus.yml'), config);
  const server = spawn(process.execPath, ['--import', tsx, '--import', recorder, cli, 'server', ...configFlags, ...flags, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], {
    cwd: dir,
    env: { ...process.env, RECORD_MODULE_LOADS: record },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  try {
    // Under tsx, with the recorder on every module, start-up is slow on a loaded machine.
    await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined), 600).catch((e: Error) => {
      throw new Error(`${e.message}:\n${log.slice(-3000)}`);
    });
    const loaded = (): string[] => readFileSync(record, 'utf8').split('\n').filter((l) => l !== '');
    await whileUp(base, loaded);
    return loaded();
  } finally {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadedOf = (parts: string[], urls: string[]): string[] => parts.filter((part) => urls.some((u) => u.includes(part)));
const loadedOnDemand = (urls: string[]): string[] => loadedOf(ON_DEMAND, urls);

test('an idle server on the default config loads no discovery provider, remote-write queue, receiver, protobuf parser, rule manager, evaluator or validators', async () => {
  let idle: string[] = [];
  const urls = await loadedBy(undefined, [], async (base, loaded) => {
    // What an idle server does: scrape itself, answer readiness checks.
    await fetch(`${base}/metrics`);
    await fetch(`${base}/-/ready?probe=1`);
    idle = loaded();
    // The first query loads the evaluator and the validators (and shows that the recorder sees them).
    const r = await fetch(`${base}/api/v1/query?query=up`);
    assert.equal(r.status, 200);
  });
  // The recorder saw the server's own modules, so an empty answer below means something.
  assert.ok(idle.some((u) => u.endsWith('/src/server/main.ts')), idle.join('\n'));
  assert.ok(idle.some((u) => u.endsWith('/src/discovery/index.ts')));
  assert.ok(idle.some((u) => u.includes('/node_modules/fastify/')), 'the recorder sees CommonJS modules');
  assert.deepEqual(loadedOnDemand(idle), []);
  assert.deepEqual(loadedOf(FIRST_QUERY, idle), []);
  assert.deepEqual(loadedOf(FIRST_QUERY, urls), FIRST_QUERY);
  assert.deepEqual(loadedOnDemand(urls), []);
  assert.deepEqual(loadedOf(NEVER, urls), []);
});

test('every API route checks its parameters with the validators built with the package: ajv never loads, and bad parameters are still refused', async () => {
  const urls = await loadedBy(undefined, ['--web.enable-admin-api', '--web.enable-lifecycle'], async (base) => {
    const get = ['/api/v1/query?query=up', '/api/v1/query_range?query=up&start=1&end=100&step=10', '/api/v1/labels?match[]=up', '/api/v1/label/job/values', '/api/v1/series?match[]=up', '/api/v1/targets?state=active', '/api/v1/targets/metadata?match_target={job="prometheus"}', '/api/v1/rules?type=alert', '/api/v1/alerts', '/api/v1/metadata?metric=up', '/api/v1/status/config', '/api/v1/status/flags', '/api/v1/status/runtimeinfo', '/api/v1/status/buildinfo', '/api/v1/status/tsdb?limit=5', '/api/v1/query_exemplars?query=up&start=1&end=2', '/api/v1/format_query?query=up', '/api/v1/alertmanagers', '/federate?match[]=up'];
    for (const path of get) assert.equal((await fetch(base + path)).status, 200, path);
    const form = { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
    for (const [path, body] of [['/api/v1/query', 'query=up'], ['/api/v1/query_range', 'query=up&start=1&end=100&step=10'], ['/api/v1/series', 'match[]=up'], ['/api/v1/labels', 'match[]=up']]) {
      assert.equal((await fetch(base + path!, { ...form, body: body! })).status, 200, `POST ${path}`);
    }
    assert.equal((await fetch(`${base}/api/v1/admin/tsdb/delete_series?match[]=nothing_here`, { method: 'POST' })).status, 204);
    // The validators still refuse what their schemas do not allow: a parameter that is not a string.
    const refused = await fetch(`${base}/api/v1/query`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query": {"nested": 1}}' });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { errorType: string }).errorType, 'bad_data');
  });
  assert.deepEqual(loadedOf(NEVER, urls), []);
  assert.deepEqual(loadedOf(['/dist/web/generated-validators/'], urls), ['/dist/web/generated-validators/']);
});

test('a config naming a provider, remote_write and rule files, and the receiver flag, load what they need', async () => {
  const config = 'rule_files: [rules.yml]\nscrape_configs:\n  - job_name: c\n    consul_sd_configs: [{server: "127.0.0.1:1"}]\n  - job_name: a\n    ec2_sd_configs: [{region: eu-west-1, access_key: k, secret_key: s}]\nremote_write:\n  - url: http://127.0.0.1:1/write\n';
  const urls = await loadedBy(config, ['--web.enable-remote-write-receiver'], async (base, loaded) => {
    // The receiver's module loads with its first request; discovery loads its providers as it starts.
    const r = await fetch(`${base}/api/v1/write`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' }, body: new Uint8Array(0) });
    assert.ok(r.status >= 200 && r.status < 500, `receiver answered ${r.status}`);
    await waitFor('providers', async () => (loaded().some((u) => u.includes('/node_modules/aws4/')) ? true : undefined));
  }, { 'rules.yml': 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        annotations: {summary: "{{ $labels.instance }} down"}\n' });
  assert.deepEqual(loadedOnDemand(urls).sort(), ['/node_modules/aws4/', '/node_modules/fast-xml-parser/', '/src/discovery/providers/', '/src/remote/queue-manager.ts', '/src/remote/receiver/', '/src/rules/manager.ts', '/src/template/template.ts'].sort());
});
