// Prometheus's hidden block-duration flags: accepted with its duration syntax, kept out of --help,
// and refused below one minute with the flag named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../../src/util/flags.js';
import { serverFlags } from '../../src/server/flags.js';

const info = { name: 'promethium server', description: 'test', version: 'v0' };

test('--storage.tsdb.min-block-duration and max-block-duration parse as durations, default 2h and unset', () => {
  const d = parseFlags(info, serverFlags, []);
  assert.ok(d.kind === 'ok');
  assert.equal(d.values['storage.tsdb.min-block-duration'], 2 * 3600 * 1000);
  assert.equal(d.values['storage.tsdb.max-block-duration'], 0);
  const r = parseFlags(info, serverFlags, ['--storage.tsdb.min-block-duration=4m', '--storage.tsdb.max-block-duration', '4m']);
  assert.ok(r.kind === 'ok');
  assert.equal(r.values['storage.tsdb.min-block-duration'], 240_000);
  assert.equal(r.values['storage.tsdb.max-block-duration'], 240_000);
});

test('block durations under a minute are refused, and the flags stay out of --help as in Prometheus', () => {
  const r = parseFlags(info, serverFlags, ['--storage.tsdb.min-block-duration=30s']);
  assert.equal(r.kind, 'exit');
  assert.match(r.kind === 'exit' ? r.output : '', /min-block-duration.*shorter than one minute|shorter than one minute/);
  const help = parseFlags(info, serverFlags, ['--help']);
  assert.ok(help.kind === 'exit' && help.code === 0);
  assert.doesNotMatch(help.output, /block-duration/);
  assert.match(help.output, /storage\.tsdb\.retention\.time/);
});
