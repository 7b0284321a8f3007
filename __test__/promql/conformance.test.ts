// Prometheus's PromQL test scripts (shared/conformance/promql, v3.14.0) against our engine.
// Every eval (native-histogram ones included) must pass unless it is listed, with its reason, in
// conformance-pending.tsv; a listed case that passes fails the run too, so the list stays honest.
// The native-histogram evals (EVALS.tsv's classification) are also reported on their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceDir } from '../helpers/conformance.js';
import { TestFileRunner } from './promqltest.js';

const dir = conformanceDir('promql');
const histogramClass = new Map<string, string>();
for (const line of readFileSync(join(dir, 'EVALS.tsv'), 'utf8').split('\n').slice(1)) {
  const f = line.split('\t');
  if (f.length > 5) histogramClass.set(`${f[0]}:${f[1]}`, f[5]!);
}
const pending = new Map<string, string>();
for (const line of readFileSync(new URL('./conformance-pending.tsv', import.meta.url), 'utf8').split('\n')) {
  if (line.trim() === '' || line.startsWith('#')) continue;
  const [key, reason] = line.split('\t');
  pending.set(key!, reason ?? '');
}

test('PromQL conformance scripts (v3.14.0)', () => {
  const unexpected: string[] = [];
  let pass = 0;
  let total = 0;
  let nhPass = 0;
  let nhTotal = 0;
  const seen = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.test')).sort()) {
    const outcomes = new TestFileRunner().run(file, readFileSync(join(dir, file), 'utf8'));
    let p = 0;
    let n = 0;
    let pend = 0;
    for (const o of outcomes) {
      const key = `${file}:${o.c.line}`;
      if (histogramClass.get(key) !== 'no') {
        nhTotal++;
        if (!o.problem) nhPass++;
      }
      n++;
      seen.add(key);
      if (!o.problem) {
        p++;
        if (pending.has(key)) unexpected.push(`${key} passes but is listed as pending (${pending.get(key)}): remove it from conformance-pending.tsv`);
      } else if (pending.has(key)) pend++;
      else unexpected.push(`${key} ${o.c.expr}\n    ${o.problem}`);
    }
    pass += p;
    total += n;
    console.log(`promql conformance ${file}: ${p}/${n} passed${pend ? `, ${pend} pending` : ''}`);
  }
  for (const key of pending.keys()) if (!seen.has(key)) unexpected.push(`${key} is listed as pending but is not an eval of the scripts`);
  console.log(`promql conformance total: ${pass}/${total} evals passed, ${total - pass} pending; of them native-histogram evals: ${nhPass}/${nhTotal}`);
  assert.deepEqual(unexpected, []);
});
