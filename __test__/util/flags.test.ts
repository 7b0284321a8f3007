import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flag, parseFlags } from '../../src/util/flags.js';

const info = { name: 'prometheus', description: 'The Prometheus monitoring server', version: 'v1' };
const specs = {
  'config.file': flag.string('Configuration file path.', 'prometheus.yml'),
  'web.enable-lifecycle': flag.bool('Enable shutdown and reload via HTTP request.'),
  'enable-feature': flag.strings('Features.'),
  'query.timeout': flag.custom('Timeout.', 120000, '2m', (s) => {
    const m = /^(\d+)s$/.exec(s);
    if (m === null) throw new Error('not a duration');
    return Number(m[1]) * 1000;
  }),
};

test('kingpin spellings: =value, separate value, booleans and --no-', () => {
  const r = parseFlags(info, specs, ['--config.file=a.yml', '--web.enable-lifecycle', '--enable-feature', 'x', '--enable-feature=y', '--query.timeout', '5s']);
  assert.equal(r.kind, 'ok');
  if (r.kind !== 'ok') return;
  assert.equal(r.values['config.file'], 'a.yml');
  assert.equal(r.values['web.enable-lifecycle'], true);
  assert.deepEqual(r.values['enable-feature'], ['x', 'y']);
  assert.equal(r.values['query.timeout'], 5000);
  assert.ok(r.given.has('config.file'));
  const n = parseFlags(info, specs, ['--no-web.enable-lifecycle']);
  assert.ok(n.kind === 'ok' && n.values['web.enable-lifecycle'] === false);
});

test('defaults apply when flags are absent', () => {
  const r = parseFlags(info, specs, []);
  assert.ok(r.kind === 'ok' && r.values['config.file'] === 'prometheus.yml' && r.values['query.timeout'] === 120000);
});

test('errors in kingpin wording', () => {
  const unknown = parseFlags(info, specs, ['--nope']);
  assert.deepEqual(unknown.kind === 'exit' && [unknown.code, unknown.output], [1, "prometheus: error: unknown long flag '--nope', try --help"]);
  const missing = parseFlags(info, specs, ['--config.file']);
  assert.ok(missing.kind === 'exit' && missing.output.includes("expected argument for flag '--config.file'"));
  const bad = parseFlags(info, specs, ['--query.timeout=abc']);
  assert.ok(bad.kind === 'exit' && bad.code === 1 && bad.output.includes('not a duration'));
  const twice = parseFlags(info, specs, ['--config.file=a', '--config.file=b']);
  assert.ok(twice.kind === 'exit' && twice.output.includes('cannot be repeated'));
});

test('--help lists every flag with its default; --version prints the version', () => {
  const h = parseFlags(info, specs, ['--help']);
  assert.ok(h.kind === 'exit' && h.code === 0);
  if (h.kind !== 'exit') return;
  assert.match(h.output, /--config\.file="prometheus\.yml"/);
  assert.match(h.output, /--\[no-\]web\.enable-lifecycle/);
  const v = parseFlags(info, specs, ['--version']);
  assert.ok(v.kind === 'exit' && v.output === 'v1');
});
