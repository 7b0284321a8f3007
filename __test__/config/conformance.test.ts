// Prometheus's own prometheus.yml test files (shared/conformance/prometheus-config, v3.14.0):
// every good file loads, every bad one is refused. Files we cannot load yet are listed in
// config-pending.tsv with the reason; the run fails if a listed file loads or an unlisted one
// is judged wrongly. Whether our message contains upstream's is reported (secondary check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceDir } from '../helpers/conformance.js';
import { loadConfigFile } from '../../src/config/index.js';

const dir = conformanceDir('prometheus-config');

const pending = new Map<string, string>();
for (const line of readFileSync(new URL('./config-pending.tsv', import.meta.url), 'utf8').split('\n')) {
  if (line.trim() === '' || line.startsWith('#')) continue;
  const [file, reason] = line.split('\t');
  pending.set(file!, reason ?? '');
}

/** Upstream's expected error substrings, from FORMAT.md's tables. */
function expectedMessages(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'FORMAT.md'), 'utf8').split('\n')) {
    const m = /^\| `([^`]+\.yml)` \| [^|]* \| (.*) \|$/.exec(line);
    const sub = m ? /^`+ ?(.*?) ?`+$/.exec(m[2]!.trim()) : null;
    if (m && sub) out.set(m[1]!, sub[1]!.replace(/^parsing YAML file testdata\/[^:]+: /, ''));
  }
  return out;
}

function matches(message: string, expected: string): boolean {
  return expected.split(' … ').every((part) => message.includes(part));
}

test('prometheus.yml conformance files', () => {
  const wrong: string[] = [];
  const reasonDiffers: string[] = [];
  const expected = expectedMessages();
  let good = 0;
  let bad = 0;
  let pend = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yml')).sort()) {
    const agent = f.startsWith('agent_mode');
    const shouldFail = f.includes('.bad.') || f.includes('.incompatible.') || f === 'config_with_deprecated_am_api_config.yml' || (agent && /with_(alert|rule|remote_reads)/.test(f));
    let error: string | undefined;
    try {
      loadConfigFile(join(dir, f), { agent });
    } catch (e) {
      error = (e as Error).message;
    }
    if (shouldFail) bad++;
    else good++;
    const right = (error !== undefined) === shouldFail;
    if (pending.has(f)) {
      if (right) wrong.push(`${f} is judged right but listed in config-pending.tsv: remove it`);
      else pend++;
      continue;
    }
    if (!right) wrong.push(`${f}: ${shouldFail ? 'bad file accepted' : `good file refused: ${error}`}`);
    const want = expected.get(f);
    if (shouldFail && error !== undefined && want !== undefined && !matches(error, want)) reasonDiffers.push(f);
  }
  console.log(`config conformance: ${good} good and ${bad} bad files, ${good + bad - pend - wrong.length} judged right, ${pend} pending; refused for another reason than upstream's: ${reasonDiffers.length} (${reasonDiffers.join(' ')})`);
  assert.deepEqual(wrong, []);
});
