#!/usr/bin/env node
// Runs the README's library examples against this checkout's build (dist/ and the addon, found the
// way an installed package finds it), as a smoke test where the full test suite cannot run: the
// release workflow's macOS, Windows and Alpine jobs. Plain JavaScript, so it needs no loader.
// `import ... from 'promethium'` resolves to this package itself through its "exports" (a package
// may import itself by name), so the examples run exactly as written.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const examples = [
  ['## Use the native TSDB from your own code', /appended: 2/],
  ['## Query with PromQL from your own code', /^vector \[/m],
];

// Inside the package, so that the self-reference applies; removed at the end.
const scratch = join(root, '.readme-smoke');
mkdirSync(scratch, { recursive: true });
let failed = 0;
try {
  for (const [i, [section, expected]] of examples.entries()) {
    const at = readme.indexOf(section);
    const code = at < 0 ? undefined : /```js\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
    if (code === undefined) {
      console.error(`README.md has no js example under "${section}"`);
      failed++;
      continue;
    }
    const file = join(scratch, `example-${i}.mjs`);
    writeFileSync(file, code);
    const cwd = mkdtempSync(join(tmpdir(), 'promethium-smoke-'));
    const r = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8' });
    const ok = r.status === 0 && expected.test(r.stdout);
    console.log(`${ok ? 'ok' : 'FAILED'}: ${section}`);
    if (!ok) {
      console.log(r.stdout, r.stderr);
      failed++;
    }
    rmSync(cwd, { recursive: true, force: true });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`${examples.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
