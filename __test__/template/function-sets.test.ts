// The template function sets are exactly Prometheus 2.42's (rule labels and annotations) and
// Alertmanager 0.25's (notification templates): each name is accepted by ours exactly when Debian's
// promtool / amtool accept it (extra functions widen what a template can do and what we accept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAlertTemplate } from '../../src/template/prometheus.js';
import { ALERTMANAGER_FUNCS } from '../../src/alertmanager/templates.js';
import { Template } from '../../src/template/template.js';

const CANDIDATES = [
  // Go's builtins
  ...['and', 'or', 'not', 'len', 'index', 'slice', 'print', 'printf', 'println', 'html', 'js', 'urlquery', 'call', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'],
  // Prometheus's
  ...['query', 'first', 'label', 'value', 'strvalue', 'args', 'reReplaceAll', 'safeHtml', 'match', 'title', 'toUpper', 'toLower', 'graphLink', 'tableLink', 'sortByLabel', 'humanize', 'humanize1024', 'humanizeDuration', 'humanizePercentage', 'humanizeTimestamp', 'toTime', 'pathPrefix', 'externalURL', 'parseDuration', 'stripPort', 'stripDomain'],
  // Alertmanager's, and later releases' of both
  ...['join', 'stringSlice', 'trimSpace', 'safeUrl', 'urlUnescape', 'date', 'tz', 'since', 'toDuration', 'now', 'toJson', 'list', 'append'],
  // Names a JS engine might resolve by accident
  ...['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'Function', 'eval', 'require'],
];

const usesAll = (name: string): string => `{{ if false }}{{ ${name} }}{{ end }}`;

function accepts(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch {
    return false;
  }
}

test("rule templates accept exactly promtool 2.42's functions", () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-funcs-'));
  const mismatches: string[] = [];
  for (const name of CANDIDATES) {
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up == 0', annotations: { a: usesAll(name) } }] }] }));
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'promtool (Debian package prometheus) must be installed');
    const theirs = r.status === 0;
    if (accepts(() => checkAlertTemplate('a', usesAll(name))) !== theirs) mismatches.push(`${name}: promtool ${theirs ? 'accepts' : 'refuses'}`);
  }
  assert.deepEqual(mismatches, []);
});

test("notification templates accept exactly amtool 0.25's functions", () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-amfuncs-'));
  const mismatches: string[] = [];
  for (const name of CANDIDATES) {
    const sub = mkdtempSync(join(dir, 'c-'));
    writeFileSync(join(sub, 'f.tmpl'), `{{ define "x" }}${usesAll(name)}{{ end }}`);
    writeFileSync(join(sub, 'am.yml'), 'route:\n  receiver: r\nreceivers:\n  - name: r\ntemplates: ["f.tmpl"]\n');
    const r = spawnSync('amtool', ['check-config', join(sub, 'am.yml')], { encoding: 'utf8' });
    assert.equal(r.error, undefined, 'amtool (Debian package prometheus-alertmanager) must be installed');
    const theirs = r.status === 0;
    if (accepts(() => new Template('f.tmpl', usesAll(name), ALERTMANAGER_FUNCS)) !== theirs) mismatches.push(`${name}: amtool ${theirs ? 'accepts' : 'refuses'}`);
  }
  assert.deepEqual(mismatches, []);
});

test('an unknown function in a rule template is reported with the line, in promtool’s words', async () => {
  const { main } = await import('../../src/cli/check.js');
  const dir = mkdtempSync(join(tmpdir(), 'promethium-funcs-msg-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, 'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n      a: "x {{ nosuch }}"\n');
  let err = '';
  const code = await main(['rules', file], { out: () => undefined, err: (s) => (err += s + '\n') });
  assert.equal(code, 1);
  const promtool = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  const theirs = /template: __alert_A:1: function "nosuch" not defined/;
  assert.match(promtool.stdout + promtool.stderr, theirs);
  // Once, not as `template: __alert_A:template: __alert_A:1: ...`.
  assert.match(err.replace(/\\"/g, '"'), /(?<!:)template: __alert_A:1: function "nosuch" not defined/);
  assert.doesNotMatch(err, /__alert_A:template:/);
});
