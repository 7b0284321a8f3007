// The import structure of src/ (issue 17): scripts/check-imports.mjs finds no import loop and no
// import from a lower room into a higher one beyond the known ones in scripts/import-allow.json.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/check-imports.mjs', import.meta.url));

function check(...args: string[]) {
  return spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
}

/** A throwaway tree with the given src/ files. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-imports-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('src/ has no import loop and no upward import beyond the allowed known ones', () => {
  const r = check();
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /check-imports: ok/);
});

test('a loop, an upward import and a room missing from the table each fail, by file', () => {
  const root = tree({
    // static import, multi-line specifier list, `export ... from` and `import type` all count
    'src/util/x.ts': "import {\n  y,\n} from './y.js';\nexport const x = y;\n",
    'src/util/y.ts': "export type { X } from './z.js';\nexport const y = 1;\n",
    'src/util/z.ts': "import type { x } from './x.js';\nexport type X = typeof x;\n",
    'src/model/a.ts': "import { b } from '../server/b.js';\nimport './style.css';\nexport const a = b;\n",
    'src/server/b.ts': "export const b = 2;\n// import { nothing } from '../cli/c.js' is a comment, not an import\n",
    'src/nowhere/n.ts': 'export const n = 3;\n',
  });
  try {
    const r = check('--root', root, '--allow', join(root, 'no-allow-list.json'));
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /check-imports: 3 violation\(s\)/);
    assert.match(r.stderr, /layer: src\/model\/a\.ts \(model, layer 0\) imports src\/server\/b\.ts \(server, layer \d+\)/);
    assert.match(r.stderr, /loop of 3 files: src\/util\/x\.ts -> src\/util\/y\.ts -> src\/util\/z\.ts -> src\/util\/x\.ts/);
    assert.match(r.stderr, /src\/nowhere\/n\.ts: room "nowhere" has no row in the layer table/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('allowed violations pass, a shrunken known loop stays allowed, and stale entries are listed', () => {
  const root = tree({
    'src/util/x.ts': "import { y } from './y.js';\nexport const x = y;\n",
    'src/util/y.ts': "import { x } from './x.js';\nexport const y = () => x;\n",
    'src/model/a.ts': "import { b } from '../server/b.js';\nexport const a = b;\n",
    'src/server/b.ts': 'export const b = 2;\n',
    'allow.json': JSON.stringify({
      loops: [{ files: ['src/util/x.ts', 'src/util/y.ts', 'src/util/gone.ts'], why: 'test: a loop partly removed already' }],
      layers: [
        { from: 'src/model/a.ts', to: 'src/server/b.ts', why: 'test' },
        { from: 'src/model/old.ts', to: 'src/server/b.ts', why: 'test: removed already' },
      ],
    }),
  });
  try {
    const r = check('--root', root, '--allow', join(root, 'allow.json'));
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /known violations, allowed by .* \(2\)/);
    assert.match(r.stdout, /match nothing now[^]*layer src\/model\/old\.ts -> src\/server\/b\.ts/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
