// The README's examples, taken from README.md itself so that the README cannot drift from what is tested.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The first ```js block after the heading `section`, as written. */
export function readmeExample(section: string): string {
  const at = readme.indexOf(section);
  assert.ok(at >= 0, `the README has the section ${section}`);
  const code = /```js\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  assert.ok(code, `the README has the example under ${section}`);
  return code;
}
