// Template errors say where, as Go's text/template does: `template: <name>:<line>: ...` when parsing
// and `template: <name>:<line>: executing "<template>" at <action>: ...` when running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template, TemplateError } from '../../src/template/template.js';
import { expandAlertTemplate } from '../../src/template/prometheus.js';

const parseError = (text: string): string => {
  try {
    new Template('f.tmpl', text);
  } catch (e) {
    assert.ok(e instanceof TemplateError, String(e));
    return e.message;
  }
  return 'parsed';
};

test('parse errors name the template and the line, as Go prints them', () => {
  assert.equal(parseError('{{ define "x" }}{{ .Foo'), 'template: f.tmpl:1: unclosed action');
  assert.equal(parseError('a\n{{ define "x" }}hello'), 'template: f.tmpl:2: unexpected EOF');
  assert.equal(parseError('\n\n{{ nosuch 1 }}'), 'template: f.tmpl:3: function "nosuch" not defined');
  assert.equal(parseError('{{ if 1 }}\n{{ define "x" }}{{ end }}{{ end }}'), 'template: f.tmpl:2: unexpected <define> in command');
  assert.match(parseError('\n{{ "\\q" }}'), /^template: f\.tmpl:2: bad string syntax/);
  assert.match(parseError('{{ ' + '('.repeat(600) + '1' + ')'.repeat(600) + ' }}'), /^template: f\.tmpl:1: parentheses nested too deeply/);
});

test('execution errors say where: file, line, the template being run and the action', () => {
  const run = (text: string, data: unknown): string => {
    try {
      return new Template('f.tmpl', text).execute(data);
    } catch (e) {
      assert.ok(e instanceof TemplateError, String(e));
      return e.message;
    }
  };
  assert.equal(run('{{ define "x" }}\n\n{{ index . 2 }}{{ end }}{{ template "x" 1 }}', {}), 'template: f.tmpl:3: executing "x" at <index . 2>: error calling index: can\'t index item of type float64');
  assert.equal(run('{{ if 1 }}\n{{ range 5 }}{{ end }}{{ end }}', {}), 'template: f.tmpl:2: executing "f.tmpl" at <range 5>: range can\'t iterate over 5');
  const data = { labels: { a: 'x' }, externalLabels: {}, externalURL: '', value: 1 };
  assert.equal(expandAlertTemplate('summary', '{{ $labels.a.b }}', data, { externalURL: '' }), '<error expanding template: template: summary:1: executing "summary" at <$labels.a.b>: can\'t evaluate field b in type string>');
});
