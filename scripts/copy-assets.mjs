#!/usr/bin/env node
// Copies the non-TypeScript files the compiled code loads at run time (Alertmanager's default
// templates and their license files) from src/ to dist/, beside the modules that read them, and
// records the build's git revision in dist/build-info.json (src/version.ts reads it, so a command
// does not run git each time it starts).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const assets = ['alertmanager/templates'];
for (const a of assets) {
  const to = join(root, 'dist', a);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(join(root, 'src', a), to, { recursive: true });
}

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return 'unknown';
  }
}
writeFileSync(join(root, 'dist', 'build-info.json'), `${JSON.stringify({ revision: git('rev-parse', 'HEAD'), branch: git('rev-parse', '--abbrev-ref', 'HEAD') })}\n`);
