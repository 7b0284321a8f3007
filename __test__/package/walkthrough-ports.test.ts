// `promethium start` on other ports and one host: the stack's config files are rewritten so the
// server still scrapes its own node exporter and alerts its own Alertmanager, which mails the sink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { defaultStackListen, listenAddress, stackConfigFiles } from '../../src/walkthrough/ports.js';
import { walkthroughComponents } from '../../src/walkthrough/cli.js';

const walkthrough = new URL('../../examples/walkthrough', import.meta.url).pathname;

test('the default ports use the walkthrough files as they are', () => {
  const data = mkdtempSync(join(tmpdir(), 'promethium-ports-'));
  assert.deepEqual(stackConfigFiles(walkthrough, data, defaultStackListen), { prometheus: join(walkthrough, 'prometheus.yml'), alertmanager: join(walkthrough, 'alertmanager.yml') });
});

test('other ports: targets, the Alertmanager, the smarthost and rule_files follow', () => {
  const data = mkdtempSync(join(tmpdir(), 'promethium-ports-'));
  const listen = { host: '127.0.0.1', server: 19090, nodeExporter: 19100, alertmanager: 19093, smtp: 12525 };
  const files = stackConfigFiles(walkthrough, data, listen);
  assert.equal(files.prometheus, join(data, 'walkthrough', 'prometheus.yml'));
  const prom = parse(readFileSync(files.prometheus, 'utf8')) as {
    rule_files: string[];
    alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const targets = new Map(prom.scrape_configs.map((s) => [s.job_name, s.static_configs[0]!.targets]));
  assert.deepEqual(targets.get('prometheus'), ['127.0.0.1:19090']);
  assert.deepEqual(targets.get('node'), ['127.0.0.1:19100']);
  assert.deepEqual(prom.alerting.alertmanagers[0]!.static_configs[0]!.targets, ['127.0.0.1:19093']);
  assert.deepEqual(prom.rule_files, [join(walkthrough, 'rules.yml')]);
  const am = parse(readFileSync(files.alertmanager, 'utf8')) as { global: { smtp_smarthost: string }; route: { receiver: string } };
  assert.equal(am.global.smtp_smarthost, '127.0.0.1:12525');
  assert.equal(am.route.receiver, 'team-mails', 'the rest of the file is kept');

  const args = new Map(walkthroughComponents(walkthrough, data, listen, files).map((c) => [c.name, c.args]));
  assert.ok(args.get('server')!.includes('--web.listen-address=127.0.0.1:19090'));
  assert.ok(args.get('server')!.includes(`--config.file=${files.prometheus}`));
  assert.ok(args.get('node-exporter')!.includes('--web.listen-address=127.0.0.1:19100'));
  assert.ok(args.get('alertmanager')!.includes(`--config.file=${files.alertmanager}`));
});

test('every interface keeps localhost as the targets; IPv6 hosts are bracketed', () => {
  const data = mkdtempSync(join(tmpdir(), 'promethium-ports-'));
  const files = stackConfigFiles(walkthrough, data, { ...defaultStackListen, server: 19999 });
  assert.match(readFileSync(files.prometheus, 'utf8'), /localhost:19999/);
  assert.match(readFileSync(files.prometheus, 'utf8'), /localhost:9100/);
  assert.equal(listenAddress('', 9100, ''), ':9100');
  assert.equal(listenAddress('', 9090, '0.0.0.0'), '0.0.0.0:9090');
  assert.equal(listenAddress('::1', 9090, '0.0.0.0'), '[::1]:9090');
});

test('a bad port is refused before anything starts, naming the flag', () => {
  const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
  for (const bad of ['--server.port=70000', '--node-exporter.port=abc', '--smtp.port=0']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'start', bad], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(r.status, 0, bad);
    assert.match(r.stderr, new RegExp(`invalid value .* for flag '${bad.split('=')[0]!.replace(/\./g, '\\.')}': expected a port number`), bad);
  }
});
