// The loader's choice of binary: glibc or musl decided as napi-rs's loaders decide, from the
// cheapest source that says something, and the platform name it makes of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMuslFrom, nativeInfo, platformTriple, type LibcEvidence } from '../../src/storage/native.js';

const silent: LibcEvidence = { lddScript: () => undefined, report: () => undefined, lddVersion: () => undefined };

test('the ldd script decides first, and then nothing else is asked', () => {
  const asked: string[] = [];
  const spy: LibcEvidence = { lddScript: () => '#!/bin/sh\nexec /lib/ld-musl-x86_64.so.1 --list "$@"\n', report: () => (asked.push('report'), undefined), lddVersion: () => (asked.push('ldd'), undefined) };
  assert.equal(isMuslFrom(spy), true);
  assert.deepEqual(asked, []);
  assert.equal(isMuslFrom({ ...silent, lddScript: () => '#! /bin/bash\n# This file is part of the GNU C Library.\nTEXTDOMAIN=libc\n' }), false);
});

test('without an ldd script: the process report (glibc version, or a musl loader among the shared objects)', () => {
  assert.equal(isMuslFrom({ ...silent, report: () => ({ header: { glibcVersionRuntime: '2.36' }, sharedObjects: ['/lib/ld-musl-x86_64.so.1'] }) }), false);
  assert.equal(isMuslFrom({ ...silent, report: () => ({ header: {}, sharedObjects: ['/usr/local/bin/node', '/lib/ld-musl-aarch64.so.1'] }) }), true);
  assert.equal(isMuslFrom({ ...silent, report: () => ({ header: {}, sharedObjects: ['/usr/lib/libc.musl-x86_64.so.1'] }) }), true);
  assert.equal(isMuslFrom({ ...silent, report: () => ({ header: {}, sharedObjects: ['/lib/x86_64-linux-gnu/libc.so.6'] }) }), false);
});

test('last: what `ldd --version` prints (musl prints to stderr), else glibc', () => {
  assert.equal(isMuslFrom({ ...silent, report: () => ({ header: {} }), lddVersion: () => 'musl libc (x86_64)\nVersion 1.2.5\n' }), true);
  assert.equal(isMuslFrom({ ...silent, lddVersion: () => 'ldd (Debian GLIBC 2.36-9) 2.36\n' }), false);
  assert.equal(isMuslFrom(silent), false);
});

test('on this machine: the name matches what the process report says, and the addon says where it came from', () => {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  const libc = report.header?.glibcVersionRuntime ? 'gnu' : 'musl';
  if (process.platform === 'linux') assert.equal(platformTriple(), `linux-${process.arch}-${libc}`);
  const info = nativeInfo();
  assert.match(info.version, /^\d+\.\d+\.\d+$/);
  // A checkout without the platform package installed loads its own build in native/.
  assert.ok(info.from === `@promethium/native-${platformTriple()}` || info.from.endsWith(`promethium.${platformTriple()}.node`), info.from);
});
