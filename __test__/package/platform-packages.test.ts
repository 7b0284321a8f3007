// The per-platform packages agree with package.json's napi.targets, and the release step lists
// them, at the package's exact version, as optionalDependencies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPlatformPackages, platformOf, stampPackage } from '../../scripts/release/platform-packages.js';

const root = new URL('../..', import.meta.url).pathname;

/** A copy of package.json and npm/ to break on purpose. */
function copyOfRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-platforms-'));
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  cpSync(join(root, 'npm'), join(dir, 'npm'), { recursive: true, filter: (src) => !src.endsWith('.node') });
  return dir;
}

test('Rust targets map to napi-rs platform names', () => {
  assert.deepEqual(platformOf('x86_64-unknown-linux-gnu'), { rustTarget: 'x86_64-unknown-linux-gnu', platform: 'linux-x64-gnu', os: 'linux', cpu: 'x64', libc: 'glibc' });
  assert.equal(platformOf('aarch64-unknown-linux-musl').platform, 'linux-arm64-musl');
  assert.equal(platformOf('aarch64-unknown-linux-musl').libc, 'musl');
  assert.equal(platformOf('aarch64-apple-darwin').platform, 'darwin-arm64');
  assert.equal(platformOf('x86_64-pc-windows-msvc').platform, 'win32-x64-msvc');
  assert.throws(() => platformOf('riscv64gc-unknown-linux-gnu'), /unsupported architecture/);
  assert.throws(() => platformOf('x86_64-pc-windows-gnu'), /unsupported target/);
});

test('every claimed target has its package in npm/, with the same version, os, cpu, libc and binary name', () => {
  assert.deepEqual(checkPlatformPackages(root), []);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { napi: { targets: string[] } };
  // What the issue asks the package to claim: Linux (glibc and musl) on x64 and arm64, macOS, Windows x64.
  for (const p of ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']) {
    assert.ok(pkg.napi.targets.some((t) => platformOf(t).platform === p), p);
  }
});

test('the check names what disagrees', () => {
  const dir = copyOfRepo();
  const muslPath = join(dir, 'npm', 'linux-x64-musl', 'package.json');
  const musl = JSON.parse(readFileSync(muslPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(muslPath, JSON.stringify({ ...musl, version: '9.9.9', libc: ['glibc'] }));
  const darwinPath = join(dir, 'npm', 'darwin-arm64', 'package.json');
  writeFileSync(darwinPath, '{"name":"@promethium/native-darwin-arm64"}');
  const problems = checkPlatformPackages(dir).join('\n');
  assert.match(problems, /linux-x64-musl\/package\.json: version 9\.9\.9, expected /);
  assert.match(problems, /linux-x64-musl\/package\.json: libc \["glibc"\], expected \["musl"\]/);
  assert.match(problems, /darwin-arm64\/package\.json: main and files must name promethium\.darwin-arm64\.node/);
  assert.throws(() => stampPackage(dir, dir), /do not match package\.json/);
});

test('stamping lists every platform package at the exact version and sets the repository for provenance', () => {
  const dir = copyOfRepo();
  const written = stampPackage(dir, dir, 'git+https://github.com/example/promethium.git');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string; optionalDependencies: Record<string, string>; repository: { url: string }; napi: { targets: string[] } };
  assert.deepEqual(pkg.optionalDependencies, written);
  assert.equal(Object.keys(written).length, pkg.napi.targets.length);
  for (const [name, version] of Object.entries(written)) {
    assert.match(name, /^@promethium\/native-(linux|darwin|win32)-/);
    assert.equal(version, pkg.version, `${name} is pinned exactly`);
  }
  assert.equal(pkg.repository.url, 'git+https://github.com/example/promethium.git');
  const win = JSON.parse(readFileSync(join(dir, 'npm', 'win32-x64-msvc', 'package.json'), 'utf8')) as { repository: { url: string } };
  assert.equal(win.repository.url, pkg.repository.url);
  // The committed package.json has none: they are written at release time only.
  assert.equal((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { optionalDependencies?: unknown }).optionalDependencies, undefined);
});
