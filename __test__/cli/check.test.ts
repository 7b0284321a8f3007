// `promethium check config|rules` answers as `promtool check config|rules` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/cli/check.js';

async function check(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n') });
  return { code, out, err };
}

test('check config and rules: the same verdicts and exit codes as promtool', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-check-'));
  const good = join(dir, 'prometheus.yml');
  const rules = join(dir, 'rules.yml');
  const badRules = join(dir, 'bad-rules.yml');
  const badConfig = join(dir, 'bad.yml');
  const missingRules = join(dir, 'missing-rules.yml');
  writeFileSync(rules, 'groups:\n- name: g\n  rules:\n  - alert: InstanceDown\n    expr: up == 0\n    for: 1m\n  - record: job:up:sum\n    expr: sum by (job) (up)\n');
  writeFileSync(good, 'global:\n  scrape_interval: 15s\nrule_files:\n  - rules.yml\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: [localhost:9090]\n');
  writeFileSync(badRules, 'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up ==\n');
  writeFileSync(badConfig, 'global:\n  scrape_interval: 1x\n');
  writeFileSync(missingRules, 'rule_files:\n  - nowhere.yml\n');

  const ok = await check('config', good);
  assert.equal(ok.code, 0);
  assert.match(ok.out, /SUCCESS: 1 rule files found/);
  assert.match(ok.out, /is valid prometheus config file syntax/);
  assert.match(ok.out, /SUCCESS: 2 rules found/);

  const badR = await check('rules', badRules);
  assert.equal(badR.code, 1);
  assert.match(badR.err, /bad-rules\.yml:5:11: group "g", rule 1, "A": could not parse expression: 1:6: parse error/);
  const badC = await check('config', badConfig);
  assert.equal(badC.code, 1);
  assert.match(badC.err, /bad\.yml:2:\d+: not a valid duration string: "1x"/);
  assert.equal((await check('config', missingRules)).code, 1);
  assert.equal((await check('nonsense')).code, 2);

  // alertmanager.yml, as amtool check-config.
  const am = join(dir, 'alertmanager.yml');
  const badAm = join(dir, 'bad-alertmanager.yml');
  writeFileSync(am, 'route:\n  receiver: team\nreceivers:\n  - name: team\n');
  writeFileSync(badAm, 'route:\n  receiver: nobody\nreceivers:\n  - name: team\n');
  const okAm = await check('alertmanager-config', am);
  assert.equal(okAm.code, 0, okAm.err);
  assert.match(okAm.out, /SUCCESS\nFound:\n - global config\n - route\n - 0 inhibit rules\n - 1 receivers\n - 0 templates/);
  const failAm = await check('alertmanager-config', badAm);
  assert.equal(failAm.code, 1);
  assert.match(failAm.err, /FAILED: .*nobody/);
  for (const [file, code] of [[am, 0], [badAm, 1]] as const) assert.equal(spawnSync('amtool', ['check-config', file], { encoding: 'utf8' }).status, code, file);

  // promtool agrees on each file.
  for (const [args, code] of [[['config', good], 0], [['rules', badRules], 1], [['config', badConfig], 1], [['config', missingRules], 1]] as const) {
    const r = spawnSync('promtool', ['check', ...args], { encoding: 'utf8' });
    assert.equal(r.status, code, `promtool check ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
});
