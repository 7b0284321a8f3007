import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, compileAnchored, literalAlternatives, Re2SyntaxError } from '../../src/regex/re2.js';

const full = (p: string, s: string, dotAll = true): boolean => compileAnchored(p, { dotAll }).test(s);

test('anchored matching as Prometheus does it', () => {
  assert.ok(full('foo|bar', 'foo'));
  assert.ok(!full('foo|bar', 'foobar'));
  assert.ok(full('fo+', 'fooo'));
  assert.ok(!full('a', 'ba'));
  assert.ok(compile('a').test('ba'));
});

test('dot matches newline in Prometheus 3 mode only', () => {
  assert.ok(full('a.b', 'a\nb'));
  assert.ok(!full('a.b', 'a\nb', false));
  assert.ok(full('(?s)a.b', 'a\nb', false));
  assert.ok(!full('(?-s)a.b', 'a\nb'));
});

test('inline flags: case-insensitive scopes, ungreedy', () => {
  assert.ok(full('(?i)FOO', 'foo'));
  assert.ok(full('(?i:ab)c', 'ABc'));
  assert.ok(!full('(?i:ab)c', 'ABC'));
  assert.ok(full('(?i)[a-c]x', 'Bx'));
  assert.ok(full('x(?i)y', 'xY'));
  assert.ok(!full('x(?i)y', 'XY'));
  assert.equal(compile('(?U)a+').exec('aaa')?.[0], 'a');
  assert.equal(compile('(?U)a+?').exec('aaa')?.[0], 'aaa');
});

test('RE2 escapes and classes', () => {
  assert.ok(full('\\d+\\.\\d+', '12.5'));
  assert.ok(full('[[:alpha:]]+', 'abcXYZ'));
  assert.ok(!full('[[:digit:]]', 'a'));
  assert.ok(full('\\pL+', 'héllo'));
  assert.ok(full('\\p{Greek}+', 'αβγ'));
  assert.ok(full('\\Qa.b\\E', 'a.b'));
  assert.ok(!full('\\Qa.b\\E', 'axb'));
  assert.ok(full('\\x41\\x{42}', 'AB'));
  assert.ok(full('\\101', 'A'));
  assert.ok(full('a\\-b', 'a-b'));
  assert.ok(full('[\\-a]+', '-a-'));
  assert.ok(full('[]a]+', ']a'));
  assert.ok(full('\\Aab\\z', 'ab'));
});

test('literal braces that are not repetitions', () => {
  assert.ok(full('a{', 'a{'));
  assert.ok(full('a{,2}', 'a{,2}'));
  assert.ok(full('a{2}', 'aa'));
  assert.ok(full('a{1,2}b', 'aab'));
});

test('named groups in both spellings', () => {
  assert.equal(compile('(?P<x>a+)').exec('aa')?.groups?.x, 'aa');
  assert.equal(compile('(?<y>b)').exec('b')?.groups?.y, 'b');
});

test('what RE2 refuses is refused with a Go-style message', () => {
  for (const bad of ['(a)\\1', '(?=a)', '(?!a)', '(?<=a)b', 'a**', '*a', '(a', 'a)', '[a', '\\', 'a{1001}', '[z-a]', '\\8', '\\C']) {
    assert.throws(() => compileAnchored(bad), (e: unknown) => e instanceof Re2SyntaxError && e.message.startsWith('error parsing regexp: '), bad);
  }
});

test('literal alternations are recognised', () => {
  assert.deepEqual(literalAlternatives('a|b|c'), ['a', 'b', 'c']);
  assert.deepEqual(literalAlternatives(''), ['']);
  assert.equal(literalAlternatives('a.*'), undefined);
});
