// The rule manager is made with the first configuration that names rule files (src/server/rules.ts):
// a server started without rules evaluates the rules a reload brings, refuses a bad rule file at a
// later reload keeping the running rules, and drops them when a reload removes the rule files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;

interface RulesAnswer {
  data: { groups: { name: string; rules: { name: string; health: string }[] }[] };
}

test('rules first named at a reload are loaded and evaluated; a bad rule file is refused; removing them stops them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rules-reload-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = (ruleFiles: string): string => `global:\n  evaluation_interval: 1s\n${ruleFiles}scrape_configs: []\n`;
  writeFileSync(join(dir, 'prometheus.yml'), config(''));
  writeFileSync(join(dir, 'rules.yml'), 'groups:\n  - name: added\n    rules:\n      - record: job:one\n        expr: vector(1)\n');
  const server = spawn(process.execPath, ['--import', 'tsx', cli, 'server', `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-lifecycle'], { stdio: 'ignore' });
  t.after(() => {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor('ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined), 600);
  const groups = async (): Promise<RulesAnswer['data']['groups']> => ((await (await fetch(`${base}/api/v1/rules`)).json()) as RulesAnswer).data.groups;
  assert.deepEqual(await groups(), []);

  writeFileSync(join(dir, 'prometheus.yml'), config('rule_files: [rules.yml]\n'));
  assert.equal((await fetch(`${base}/-/reload`, { method: 'POST' })).status, 200);
  assert.deepEqual((await groups()).map((g) => g.name), ['added']);
  // Evaluated: the recorded series is queryable.
  await waitFor('the recorded series', async () => {
    const r = (await (await fetch(`${base}/api/v1/query?query=job:one`)).json()) as { data: { result: unknown[] } };
    return r.data.result.length === 1 ? true : undefined;
  }, 100, 200);

  writeFileSync(join(dir, 'rules.yml'), 'groups:\n  - name: added\n    rules:\n      - record: job:one\n        expr: vector(1\n');
  assert.equal((await fetch(`${base}/-/reload`, { method: 'POST' })).status, 500);
  assert.deepEqual((await groups()).map((g) => g.name), ['added']);

  writeFileSync(join(dir, 'prometheus.yml'), config(''));
  assert.equal((await fetch(`${base}/-/reload`, { method: 'POST' })).status, 200);
  assert.deepEqual(await groups(), []);
});
