#!/usr/bin/env node
// The `promethium` command: runs the compiled CLI from dist/ (built by `npm run build`, which
// `npm ci` runs through the prepare script).
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// Before any regex exists: V8 re-runs a regex that backtracks too much on its linear-time engine
// (src/regex/linear-engine.ts, which also sets it, explains why); worker threads share the flag.
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('promethium: dist/cli.js is missing; run `npm run build` first');
  process.exit(1);
}
const { run } = await import(entry.href);
process.exitCode = await run(process.argv.slice(2));
