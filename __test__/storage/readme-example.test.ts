// The README's code examples run as written (against temporary directories and the source tree
// instead of the installed package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const src = new URL('../../src/index.ts', import.meta.url).pathname;

function runExample(section: string): string {
  const at = readme.indexOf(section);
  assert.ok(at >= 0, `the README has the section ${section}`);
  const code = /```js\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  assert.ok(code, `the README has the example under ${section}`);
  const dir = mkdtempSync(join(tmpdir(), 'promethium-readme-'));
  const runnable = code.replace("from 'promethium'", `from ${JSON.stringify(src)}`).replace("'./data'", JSON.stringify(join(dir, 'data')));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', runnable], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('the README embedding example runs', () => {
  const out = runExample('## Use the native TSDB from your own code');
  assert.match(out, /appended: 2/);
  assert.match(out, /code: '200'/);
  assert.match(out, /name: 'http_requests_total', value: 2/);
});

test('the README PromQL example runs', () => {
  const out = runExample('## Query with PromQL from your own code');
  assert.match(out, /^vector \[/m);
  assert.match(out, /instance: 'host-1'/);
  assert.match(out, /\{ code: '200' \} \[\s+6\.666/);
});
