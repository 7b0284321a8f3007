// The README's "use the native TSDB from your own code" example runs as written (against a
// temporary directory and the source tree instead of the installed package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('the README embedding example runs', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Use the native TSDB from your own code'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'the README has the example');
  const dir = mkdtempSync(join(tmpdir(), 'promethium-readme-'));
  const src = new URL('../../src/index.ts', import.meta.url).pathname;
  const runnable = code.replace("from 'promethium'", `from ${JSON.stringify(src)}`).replace("'./data'", JSON.stringify(join(dir, 'data')));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', runnable], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /appended: 2/);
  assert.match(r.stdout, /code: '200'/);
  assert.match(r.stdout, /name: 'http_requests_total', value: 2/);
});
