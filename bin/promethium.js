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
// The exporter's heap settings work best before its modules load (loading them already grows the
// young generation): src/node-exporter/lean-heap.ts says which and why.
if (process.argv[2] === 'node-exporter') (await import(new URL('../dist/node-exporter/lean-heap.js', import.meta.url).href)).applyLeanHeapFlags();
// The server starts with its young generation held small: src/server/startup-heap.ts says why.
if (process.argv[2] === 'server') (await import(new URL('../dist/server/startup-heap.js', import.meta.url).href)).holdYoungGenerationDuringStartup();
const { run } = await import(entry.href);
process.exitCode = await run(process.argv.slice(2));
