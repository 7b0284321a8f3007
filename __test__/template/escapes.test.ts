// Issue 16 (defect 1): templates must not reach JavaScript. Every escape attempt in ./escapes.ts is
// rendered through the engine, through Prometheus's alert template expansion, through
// `promethium test rules` (the rules code path on the PromQL engine) and through the Alertmanager's
// notification templates; each must give a template error or an empty value, and no payload may run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template, TemplateError, goStruct, stringMap } from '../../src/template/template.js';
import { checkAlertTemplate, expandAlertTemplate, prometheusFuncs } from '../../src/template/prometheus.js';
import { main as testRules } from '../../src/cli/test-rules.js';
import { ALERTMANAGER_ESCAPES, GENERIC_ESCAPES, PROMETHEUS_ESCAPES, pwnedCount } from './escapes.js';

/** What a blocked attempt may print: missing values, as Go prints them (also escaped by html/js/urlquery). */
const EMPTYISH = /^(?:<no value>|&lt;no value&gt;|\\u003Cno value\\u003E|%3Cno\+value%3E|%!\w\(<nil>\)|<nil>|nil)*$/;

function renderOrError(render: () => string): { error?: unknown; out?: string } {
  try {
    return { out: render() };
  } catch (error) {
    return { error };
  }
}

test('escape attempts on the engine (map and struct data) give a TemplateError or an empty value, never run code', () => {
  const funcs = prometheusFuncs({ externalURL: 'http://p', query: () => [{ Labels: { job: 'x' }, Value: 1 }] });
  const roots: [string, unknown][] = [
    ['plain map', { Labels: { instance: 'a' } }],
    ['null-prototype map', stringMap({ instance: 'a' })],
    ['struct', goStruct({ Labels: stringMap({ instance: 'a' }) })],
  ];
  for (const [what, data] of roots) {
    for (const text of GENERIC_ESCAPES) {
      const r = renderOrError(() => new Template('t', text, funcs).execute(data));
      if (r.error !== undefined) assert.ok(r.error instanceof TemplateError, `${what}: ${text}: ${String(r.error)}`);
      else assert.match(r.out!, EMPTYISH, `${what}: ${text}`);
    }
  }
  assert.equal(pwnedCount(), 0);
});

test("escape attempts in rule annotations ($labels, $value, args, query results) show Prometheus's error or nothing", () => {
  const data = { labels: { instance: 'a:9100', job: 'node' }, externalLabels: { env: 'lab' }, externalURL: 'http://p', value: 1 };
  const ctx = { externalURL: 'http://p', query: () => [{ Labels: { __name__: 'up', job: 'node' }, Value: 1 }] };
  for (const text of PROMETHEUS_ESCAPES) {
    const out = expandAlertTemplate('summary', text, data, ctx);
    if (!out.startsWith('<error expanding template: template: summary')) assert.match(out, EMPTYISH, text);
  }
  assert.equal(pwnedCount(), 0);
});

test('labels named __proto__, constructor or toString are ordinary labels', () => {
  const labels = Object.create(null) as Record<string, string>;
  for (const k of ['__proto__', 'constructor', 'toString', 'instance']) labels[k] = `v-${k}`;
  const data = { labels, externalLabels: {}, externalURL: '', value: 0 };
  const ctx = { externalURL: '' };
  const x = (text: string): string => expandAlertTemplate('x', text, data, ctx);
  assert.equal(x('{{ $labels.__proto__ }}|{{ index $labels "__proto__" }}'), 'v-__proto__|v-__proto__');
  assert.equal(x('{{ $labels.constructor }}|{{ $labels.toString }}'), 'v-constructor|v-toString');
  assert.equal(x('{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}'), '__proto__=v-__proto__;constructor=v-constructor;instance=v-instance;toString=v-toString;');
  assert.equal(x('{{ len $labels }}'), '4');
  // Missing keys: Go's <no value> for a field, the zero value "" for index.
  const none = expandAlertTemplate('x', '{{ $labels.__proto__ }}|{{ index $labels "constructor" }}|{{ $labels.hasOwnProperty }}', { ...data, labels: { a: 'b' } }, ctx);
  assert.equal(none, '<no value>||<no value>');
});

test('`call` runs only template functions; Go data never carries JS functions a template may call', () => {
  let ran = 0;
  const f = (): string => String(++ran);
  // A JS function placed in the data is not a template function: Go's data has no such thing.
  assert.throws(() => new Template('t', '{{ call .F }}').execute({ F: f }), (e: unknown) => e instanceof TemplateError && /non-function/.test(e.message));
  assert.throws(() => new Template('t', '{{ .F 1 }}').execute({ F: f }), TemplateError);
  assert.doesNotMatch(new Template('t', '{{ .F }}{{ print .F }}').execute({ F: f }), /1|=>|return/);
  assert.equal(ran, 0);
  // A template function is callable through `call` only as a value the engine registered.
  const double = (x: unknown): number => (x as number) * 2;
  assert.equal(new Template('t', '{{ call .G 2 }}', { double }).execute({ G: double }), '4');
  // Accessors are not data: a getter is never run by a template.
  let got = 0;
  const withGetter = Object.defineProperty({}, 'G', { enumerable: true, get: () => ++got });
  assert.equal(new Template('t', '{{ .G }}{{ range . }}x{{ end }}{{ len . }}').execute(withGetter), '<no value>0');
  assert.equal(got, 0);
});

test('`promethium test rules`: escape attempts in annotations are rendered through the rules path without running', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-escapes-'));
  // Only the attempts that parse: the rule file check refuses the others, as promtool does.
  const parses = PROMETHEUS_ESCAPES.filter((t) => renderOrError(() => (checkAlertTemplate('a', t), '')).error === undefined);
  assert.ok(parses.length > 100, `${parses.length} attempts parse`);
  const annotations = Object.fromEntries(parses.map((t, i) => [`a${i}`, t]));
  // JSON is YAML: no quoting trouble with the payloads.
  writeFileSync(join(dir, 'rules.yml'), JSON.stringify({ groups: [{ name: 'g', rules: [{ alert: 'Evil', expr: 'up == 0', labels: { severity: '{{ call $labels.constructor.constructor "return 1" }}' }, annotations }] }] }));
  writeFileSync(
    join(dir, 'test.yml'),
    JSON.stringify({
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: [{ series: 'up{job="node", constructor="c", __proto__="p"}', values: '0 0 0' }], alert_rule_test: [{ eval_time: '2m', alertname: 'Evil', exp_alerts: [] }] }],
    }),
  );
  let out = '';
  const code = await testRules(['rules', join(dir, 'test.yml')], (s) => (out += s + '\n'));
  // The expectation (no alerts) fails on purpose: the output shows the rendered annotations.
  assert.equal(code, 1, out);
  assert.match(out, /alertname: Evil/);
  assert.doesNotMatch(out, /PWNED|native code|\[object/);
  assert.equal(pwnedCount(), 0);
});
