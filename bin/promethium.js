#!/usr/bin/env node
// The `promethium` command: runs the compiled CLI from dist/ (built by `npm run build`, which
// `npm ci` runs through the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('promethium: dist/cli.js is missing; run `npm run build` first');
  process.exit(1);
}
const { run } = await import(entry.href);
process.exitCode = await run(process.argv.slice(2));
