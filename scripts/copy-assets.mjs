#!/usr/bin/env node
// Copies the non-TypeScript files the compiled code loads at run time (Alertmanager's default
// templates and their license files) from src/ to dist/, beside the modules that read them.
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const assets = ['alertmanager/templates'];
for (const a of assets) {
  const to = join(root, 'dist', a);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(join(root, 'src', a), to, { recursive: true });
}
