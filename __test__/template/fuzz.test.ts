// Seeded fuzzing of the template engine (issue 16): a few thousand template texts built from the
// grammar's pieces and the escape fragments, parsed and run on Prometheus's alert data and on a
// plain map. Each must either render or fail with a TemplateError: never another exception, never
// a payload run, never a hang (the engine's step and output limits end runaway templates).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template, TemplateError, goStruct, stringMap } from '../../src/template/template.js';
import { prometheusFuncs } from '../../src/template/prometheus.js';
import { ALERTMANAGER_FUNCS, kv } from '../../src/alertmanager/templates.js';
import { ALERTMANAGER_ESCAPES, PAYLOAD, PROMETHEUS_ESCAPES, pwnedCount } from './escapes.js';
import { prng } from '../../bench/fuzz.js';


const OPERANDS = ['.', '$', '.Labels', '.Value', '$labels', '$value', '$externalLabels', '$labels.instance', '.Labels.__proto__', '$labels.constructor', '$.constructor', '.__proto__', '$x', '$k', '$v', '"x"', '"constructor"', '"__proto__"', '"prototype"', '`raw`', '1', '-1.5', '0x1F', "'a'", 'true', 'false', 'nil', '"\\q"', '"\\x41"', JSON.stringify(PAYLOAD), '1e308', '"%s%d%x%99999999s"', '.A.B.C', '$.Labels.job'];
const FUNCS = ['print', 'printf', 'println', 'index', 'len', 'slice', 'call', 'and', 'or', 'not', 'eq', 'ne', 'lt', 'ge', 'html', 'js', 'urlquery', 'humanize', 'humanizeDuration', 'args', 'query', 'first', 'label', 'value', 'toUpper', 'title', 'reReplaceAll', 'match', 'sortByLabel', 'toTime', 'join', 'stringSlice', 'constructor', 'toString', 'nosuch'];
const RAW = ['{{', '}}', '{{-', '-}}', '{{/*', '*/}}', '(', ')', '|', ':=', '=', '"', '`', "'", '{{ end }}', '{{ else }}', '{{ define "a" }}', '{{ template "a" . }}', '{{ block "b" . }}', '{{ break }}', '{{ continue }}', '\n', ' x '];

function generator(rand: () => number): () => string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const pipeline = (depth: number): string => {
    const cmd = (): string => {
      if (depth < 3 && rand() < 0.15) return `(${pipeline(depth + 1)})`;
      if (rand() < 0.5) return [pick(FUNCS), ...Array.from({ length: Math.floor(rand() * 3) }, () => (depth < 3 && rand() < 0.2 ? `(${pipeline(depth + 1)})` : pick(OPERANDS)))].join(' ');
      return pick(OPERANDS);
    };
    const decl = rand() < 0.15 ? pick(['$x := ', '$x = ', '$k, $v := ']) : '';
    return decl + Array.from({ length: 1 + Math.floor(rand() * 2) }, cmd).join(' | ');
  };
  const body = (depth: number): string => {
    const parts: string[] = [];
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.35) parts.push(`{{ ${pipeline(0)} }}`);
      else if (r < 0.55 && depth < 4) {
        const kw = pick(['if', 'with', 'range', 'range $k, $v :=', 'range $x :=']);
        parts.push(`{{ ${kw} ${pipeline(0)} }}${body(depth + 1)}${rand() < 0.3 ? `{{ else }}${body(depth + 1)}` : ''}{{ end }}`);
      } else if (r < 0.62) parts.push(pick(PROMETHEUS_ESCAPES.concat(ALERTMANAGER_ESCAPES)));
      else if (r < 0.7) parts.push(pick(RAW));
      else if (r < 0.75 && depth === 0) parts.push(`{{ define "a" }}${body(depth + 1)}{{ end }}`);
      else if (r < 0.8) parts.push(`{{ template "a" ${pipeline(0)} }}`);
      else parts.push(pick(['text ', '\n', ' ', 'a{{- " b " -}}c', '{{/* c */}}']));
    }
    return parts.join('');
  };
  return () => body(0);
}

test('seeded fuzz: every text renders or fails with a TemplateError, and nothing runs', () => {
  const next = generator(prng(0x5eed));
  const query = (): { Labels: Record<string, string>; Value: number }[] => [{ Labels: { __name__: 'up', job: 'node' }, Value: 1 }];
  const promFuncs = prometheusFuncs({ externalURL: 'http://p', query });
  const amFuncs = new Map([...ALERTMANAGER_FUNCS, ...promFuncs]);
  const counts = { rendered: 0, templateErrors: 0 };
  for (let i = 0; i < 3000; i++) {
    const text = next();
    const labels = stringMap({ instance: 'h:9100', job: 'node', constructor: 'c', __proto__: 'p' } as Record<string, string>);
    const data = goStruct({ Labels: labels, ExternalLabels: stringMap({ env: 'lab' }), ExternalURL: 'http://p', Value: 1.5 });
    const vars = { labels, value: 1.5, externalLabels: stringMap({}), x: 0, k: 0, v: 0 };
    for (const [funcs, root] of [
      [promFuncs, data],
      [amFuncs, goStruct({ CommonLabels: kv({ a: 'b' }), Alerts: [], A: { B: { C: 1 } } })],
    ] as const) {
      let out: string | undefined;
      try {
        out = new Template(`fuzz${i}`, text, funcs, new Map(), ['$labels', '$value', '$externalLabels', '$x', '$k', '$v']).execute(root, vars);
      } catch (e) {
        if (!(e instanceof TemplateError)) assert.fail(`${text}\n=> ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        counts.templateErrors++;
      }
      if (out !== undefined) {
        // No JS function's source and no JS object's default string: nothing JS leaked into the output.
        assert.doesNotMatch(out, /native code|\[object |=> ?\{/, text);
        counts.rendered++;
      }
    }
  }
  assert.equal(pwnedCount(), 0);
  // The generator must reach both outcomes, or it tests nothing.
  assert.ok(counts.rendered > 300 && counts.templateErrors > 300, JSON.stringify(counts));
});

test('runaway templates stop with a TemplateError: exponential recursion, huge output', () => {
  const recursive = '{{ define "a" }}{{ template "a" }}{{ template "a" }}{{ end }}{{ template "a" }}';
  assert.throws(() => new Template('t', recursive).execute({}), (e: unknown) => e instanceof TemplateError && /maximum template depth/.test(e.message));
  // 100^4 iterations: stopped by the step limit long before.
  const nested = '{{ range .L }}{{ range $.L }}{{ range $.L }}{{ range $.L }}x{{ end }}{{ end }}{{ end }}{{ end }}';
  const L = Array.from({ length: 100 }, (_, i) => i);
  assert.throws(() => new Template('t', nested).execute({ L }), (e: unknown) => e instanceof TemplateError && /execution stopped after 1000000 steps/.test(e.message));
  const big = '{{ define "a" }}{{ printf "%999999s" "x" }}{{ printf "%999999s" "x" }}{{ template "a" }}{{ end }}{{ template "a" }}';
  assert.throws(() => new Template('t', big, {}, new Map(), [], { maxSteps: 1e6, maxOutput: 4e6 }).execute({}), (e: unknown) => e instanceof TemplateError && /output exceeds 4000000/.test(e.message));
  assert.throws(() => new Template('t', '{{ range 100000000 }}x{{ end }}').execute({}), TemplateError);
  assert.equal(new Template('t', '{{ printf "%9999999s" "x" }}').execute({}), '%!(BADWIDTH)');
});
