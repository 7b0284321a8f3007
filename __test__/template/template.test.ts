import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template, expandAlertTemplate, humanize, humanizeDuration, humanize1024, goG, sprintf } from '../../src/template/index.js';

const run = (text: string, data: unknown = {}, funcs = {}): string => new Template('t', text, funcs).execute(data);

test('text/template basics: fields, variables, pipelines, trim markers, comments', () => {
  assert.equal(run('Hello {{ .Name }}!', { Name: 'World' }), 'Hello World!');
  assert.equal(run('{{ $x := .A }}{{ $x }}-{{ .B.C }}', { A: 1, B: { C: 'c' } }), '1-c');
  assert.equal(run('a  {{- " b " -}}  c'), 'a b c');
  assert.equal(run('x{{/* a comment */}}y'), 'xy');
  assert.equal(run('{{ "abc" | printf "%s-%s" "z" }}'), 'z-abc');
  assert.equal(run('{{ len .L }} {{ index .M "k" }} {{ index .L 1 }}', { L: [1, 2, 3], M: { k: 'v' } }), '3 v 2');
  assert.equal(run('{{ .Missing }}', {}), '<no value>');
});

test('control flow: if / else if / else, range with else and variables, with', () => {
  const t = '{{ if eq .N 1 }}one{{ else if eq .N 2 }}two{{ else }}many{{ end }}';
  assert.deepEqual([1, 2, 3].map((N) => run(t, { N })), ['one', 'two', 'many']);
  assert.equal(run('{{ range $k, $v := .M }}{{ $k }}={{ $v }};{{ end }}', { M: { b: 2, a: 1 } }), 'a=1;b=2;');
  assert.equal(run('{{ range .L }}[{{ . }}]{{ else }}empty{{ end }}', { L: [] }), 'empty');
  assert.equal(run('{{ with .A }}{{ .B }}{{ else }}none{{ end }}', { A: { B: 'b' } }), 'b');
  assert.equal(run('{{ and 1 0 "x" }} {{ or 0 "" "y" }} {{ not 0 }}'), '0 y true');
  assert.equal(run('{{ define "x" }}<{{ . }}>{{ end }}{{ template "x" "hi" }}'), '<hi>');
});

test('errors: undefined functions at parse time, undefined variables at run time', () => {
  assert.throws(() => new Template('t', '{{ nosuch 1 }}'), /function "nosuch" not defined/);
  assert.throws(() => new Template('t', '{{ $undefined }}'), /undefined variable: \$undefined/);
  assert.throws(() => new Template('t', '{{ if 1 }}{{ $x := 1 }}{{ end }}{{ $x }}'), /undefined variable: \$x/);
  assert.throws(() => new Template('t', '{{ if 1 }}open'), /unexpected EOF/);
});

test('printf and Go number formatting', () => {
  assert.equal(sprintf('%d items, %.2f%%, %s, %5s|%-5s|, %q', 3, 12.345, 'x', 'ab', 'cd', 'q"'), '3 items, 12.35%, x,    ab|cd   |, "q\\""');
  assert.equal(goG(1234.5678), '1235');
  assert.equal(goG(0.000012345), '1.234e-05');
  assert.equal(goG(123456789), '1.235e+08');
});

test("Prometheus's humanize functions", () => {
  assert.equal(humanize(1234567), '1.235M');
  assert.equal(humanize(0.0012), '1.2m');
  assert.equal(humanize(0), '0');
  assert.equal(humanize1024(1048576), '1Mi');
  assert.equal(humanizeDuration(93784), '1d 2h 3m 4s');
  assert.equal(humanizeDuration(0.25), '250ms');
  assert.equal(humanizeDuration(30), '30s');
});

test('alert templates see $labels, $value and $externalLabels; errors show in the result', () => {
  const data = { labels: { instance: 'host:9100', job: 'node' }, externalLabels: { env: 'lab' }, externalURL: 'http://prom', value: 0 };
  const ctx = { externalURL: 'http://prom' };
  assert.equal(expandAlertTemplate('summary', 'Instance {{ $labels.instance }} of {{ $labels.job }} down ({{ $value }}) in {{ $externalLabels.env }}', data, ctx), 'Instance host:9100 of node down (0) in lab');
  assert.equal(expandAlertTemplate('d', '{{ $value | humanize }}', { ...data, value: 2048000 }, ctx), '2.048M');
  assert.match(expandAlertTemplate('bad', '{{ $nope }}', data, ctx), /^<error expanding template: .*undefined variable: \$nope/);
});
