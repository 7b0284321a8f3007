#!/usr/bin/env node
// Generates the server's route validators with ajv at build time (src/web/generated-validators.ts
// says why): runs the built server once in each mode that registers routes of its own (with every
// optional API enabled, and as an agent), with PROMETHIUM_BUILD_VALIDATORS set, so that its app
// compiles every route's schemas as it starts and hands over their standalone source; then writes
// them into dist/web/generated-validators/, one module each. Needs the native addon and dist/ (build:native, tsc).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { writeValidators, SHIPPED_VALIDATORS_DIR } = await import(join(root, 'dist/web/generated-validators.js'));

const modes = [
  ['--web.enable-lifecycle', '--web.enable-admin-api', '--web.enable-remote-write-receiver'],
  ['--agent', '--web.enable-lifecycle'],
];

/** Runs the server with `flags` until it is ready, then stops it; rejects with its log if it fails. */
function runOnce(flags, dir, out) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/promethium.js'), 'server', '--web.listen-address=127.0.0.1:0', `--storage.tsdb.path=${join(dir, 'data')}`, `--storage.agent.path=${join(dir, 'agent')}`, ...flags], {
      cwd: dir,
      env: { ...process.env, PROMETHIUM_BUILD_VALIDATORS: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const onData = (d) => {
      log += d.toString();
      if (log.includes('Server is ready to receive web requests')) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', () => {
      clearTimeout(timer);
      if (log.includes('Server is ready to receive web requests')) resolve();
      else reject(new Error(`the server (${flags.join(' ')}) did not start:\n${log.slice(-3000)}`));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'promethium-validators-'));
try {
  const out = join(dir, 'validators.jsonl');
  writeFileSync(out, '');
  for (const flags of modes) await runOnce(flags, dir, out);
  const entries = new Map();
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    if (line === '') continue;
    const [key, source] = JSON.parse(line);
    entries.set(key, source);
  }
  if (entries.size === 0) throw new Error('the server compiled no validators: is PROMETHIUM_BUILD_VALIDATORS read by src/web/app.ts?');
  // Builds before one module per validator wrote them all into one file: not read any more.
  rmSync(join(root, 'dist/web/generated-validators.cjs'), { force: true });
  const n = writeValidators(SHIPPED_VALIDATORS_DIR, entries);
  console.log(`build-validators: ${n} route validators in ${SHIPPED_VALIDATORS_DIR}/`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
