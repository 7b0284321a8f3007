// The translation emits regexes without the `u` flag (so V8's linear-time fallback can run them),
// yet must answer on code points as RE2 does on runes: an astral character is one `.`, one class
// member, one repetition unit, and a surrogate pair is never split. Counted repetitions are unrolled;
// captures must still hold the last iteration and keep their numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, compileAnchored } from '../../src/regex/re2.js';

const full = (p: string, s: string): boolean => compileAnchored(p).test(s);

test('the emitted regexes have no u flag (the linear-time engine refuses it)', () => {
  for (const p of ['.', '\\pL+', '[^a]', '😀{2}', '(?i)x', '\\x{1F600}']) assert.equal(compileAnchored(p).flags, '', p);
});

test('astral characters are one rune for ., classes and repetitions', () => {
  assert.ok(full('.', '😀'));
  assert.ok(!full('..', '😀'));
  assert.ok(full('😀+', '😀😀😀'));
  assert.ok(full('😀{3}', '😀😀😀'));
  assert.ok(!full('😀{2}', '😀😀😀'));
  assert.ok(!full('[^😀]+', '😀'));
  assert.ok(full('[^😀]+', 'a😁'));
  assert.ok(full('[😀-😂]{2}', '😁😂'));
  assert.ok(full('[\\x{1F600}-\\x{1F64F}]', '😃'));
  assert.ok(full('\\PL', '😀'));
  assert.ok(full('\\pL+', 'héllo𐐀'));
  assert.ok(!full('\\pL', '😀'));
  assert.ok(full('\\W', '😀'));
  assert.ok(!full('\\W\\W', '😀'));
  assert.ok(full('\\S', '😀'));
  assert.ok(full('\\D+', 'x😀'));
  assert.ok(full('(?s).*', 'a\n😀'));
  assert.ok(!full('(?-s).*', 'a\n😀'));
  assert.ok(full('[^[:alpha:]]', '😀'));
});

test('unrolled counted repetitions keep captures, numbering, greediness and laziness', () => {
  const m = compile('(a|b){2,4}(c)').exec('abbac');
  assert.equal(m?.[1], 'a');
  assert.equal(m?.[2], 'c');
  const named = compile('(?P<x>[0-9]){3}-(?P<y>.)').exec('123-z');
  assert.equal(named?.groups?.['x'], '3');
  assert.equal(named?.groups?.['y'], 'z');
  assert.equal(compile('a{2,4}').exec('aaaaa')?.[0], 'aaaa');
  assert.equal(compile('a{2,4}?').exec('aaaaa')?.[0], 'aa');
  assert.equal(compile('a{2,}').exec('aaaaa')?.[0], 'aaaaa');
  assert.equal(compile('(a){0,3}b').exec('b')?.[1], undefined);
  assert.equal(compile('(a){0}b').exec('ab')?.[0], 'b');
  assert.ok(full('x{1000}', 'x'.repeat(1000)));
  assert.ok(!full('x{1000}', 'x'.repeat(999)));
  assert.ok(full('(?:ab){17,20}', 'ab'.repeat(18)));
});

test('nestings that unroll past a megabyte are refused like RE2 refuses huge repeats', () => {
  assert.throws(() => compileAnchored('((a{1000}){1000}){2}'), /error parsing regexp: expression too large/);
});
