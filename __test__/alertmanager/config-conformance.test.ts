// Alertmanager's own alertmanager.yml test files (shared/conformance/alertmanager-config,
// v0.34.0): accept/reject for every file. Good files that use integrations we do not implement
// are listed in config-pending.tsv with the reason (we refuse those integrations clearly).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceDir } from '../helpers/conformance.js';
import { loadAlertmanagerConfig } from '../../src/alertmanager/config.js';

const dir = conformanceDir('alertmanager-config');
const pending = new Map<string, string>();
for (const line of readFileSync(new URL('./config-pending.tsv', import.meta.url), 'utf8').split('\n')) {
  if (line.trim() === '' || line.startsWith('#')) continue;
  const [f, why] = line.split('\t');
  pending.set(f!, why ?? '');
}

/** The 26 files upstream rejects (FORMAT.md). */
function badFiles(): Set<string> {
  const text = readFileSync(join(dir, 'FORMAT.md'), 'utf8');
  const section = text.slice(text.indexOf('### Files that must be rejected'), text.indexOf('### Files that must load'));
  return new Set([...section.matchAll(/^\| `([^`]+\.yml)` \|/gm)].map((m) => m[1]!));
}

test('alertmanager.yml conformance files', () => {
  const bad = badFiles();
  assert.equal(bad.size, 26);
  const wrong: string[] = [];
  let right = 0;
  let pend = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yml')).sort()) {
    let error: string | undefined;
    try {
      loadAlertmanagerConfig(join(dir, f));
    } catch (e) {
      error = (e as Error).message;
    }
    const ok = (error !== undefined) === bad.has(f);
    if (pending.has(f)) {
      if (ok) wrong.push(`${f} is judged right but listed as pending: remove it`);
      else pend++;
    } else if (!ok) wrong.push(`${f}: ${bad.has(f) ? 'bad file accepted' : `good file refused: ${error}`}`);
    else right++;
  }
  console.log(`alertmanager config conformance: ${right} judged right, ${pend} pending`);
  assert.deepEqual(wrong, []);
});

test('amtool routing cases: alerts go to the expected receivers', async () => {
  const { matchRoutes } = await import('../../src/alertmanager/route.js');
  const route = (file: string, labels: Record<string, string>): string[] => matchRoutes(loadAlertmanagerConfig(join(dir, 'amtool', file)).core.route, labels).map((n) => n.receiver);
  assert.deepEqual(route('conf.routing.yml', { test: '1' }), ['test1']);
  assert.deepEqual(route('conf.routing.yml', { test: '2' }), ['test1', 'test2']);
  assert.deepEqual(route('conf.routing.yml', { test: 'volovina' }), ['default']);
  assert.deepEqual(route('conf.routing-reverted.yml', { test: '2' }), ['test2', 'test1']);
  assert.throws(() => loadAlertmanagerConfig(join(dir, 'amtool', 'conf.bad.yml')));
});
