// Prometheus's rule-file parser cases (../shared/conformance/rules/rulefmt, FORMAT.md §1): good
// files load, bad files are refused with the error upstream gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { conformanceDir } from '../helpers/conformance.js';
import { join } from 'node:path';
import { parseRuleFile, RuleFileError, type RuleValidators } from '../../src/rules/rulefmt.js';
import { ruleValidators } from './validators.js';

const dir = conformanceDir('rules/rulefmt');

interface Case {
  file: string;
  accept: boolean;
  error?: string;
  legacy?: boolean;
  /** Known not to pass yet, with the reason; the test fails if it passes, so the list stays honest. */
  pending?: string;
}

const cases: Case[] = [
  { file: 'test.yaml', accept: true },
  { file: 'test_aliases.yaml', accept: true },
  { file: 'utf-8_lname.good.yaml', accept: true },
  { file: 'utf-8_annotation.good.yaml', accept: true },
  { file: 'legacy_validation_annotation.good.yaml', accept: true, legacy: true },
  { file: 'legacy_validation_annotation.bad.yaml', accept: false, legacy: true, error: 'invalid annotation name: ins-tance' },
  { file: 'duplicate_grp.bad.yaml', accept: false, error: 'groupname: "yolo" is repeated in the same file' },
  { file: 'bad_expr.bad.yaml', accept: false, error: 'parse error', pending: ruleValidators.parseExpr === undefined ? 'the PromQL parser is not wired into rule validation yet' : undefined },
  { file: 'record_and_alert.bad.yaml', accept: false, error: "only one of 'record' and 'alert' must be set" },
  { file: 'no_rec_alert.bad.yaml', accept: false, error: "one of 'record' or 'alert' must be set" },
  { file: 'noexpr.bad.yaml', accept: false, error: "field 'expr' must be set in rule" },
  { file: 'invalid_record_name.bad.yaml', accept: false, error: 'braces present in the recording rule name; should it be in expr?: strawberry{flavor="sweet"}' },
  { file: 'bad_field.bad.yaml', accept: false, error: 'field annotation not found' },
  { file: 'invalid_label_name.bad.yaml', accept: false, error: 'invalid label name' },
  { file: 'record_and_for.bad.yaml', accept: false, error: "invalid field 'for' in recording rule" },
  { file: 'record_and_keep_firing_for.bad.yaml', accept: false, error: "invalid field 'keep_firing_for' in recording rule" },
];

test('rulefmt conformance cases', () => {
  let passed = 0;
  for (const c of cases) {
    const v: RuleValidators = { ...ruleValidators, utf8Names: c.legacy !== true };
    const content = readFileSync(join(dir, c.file), 'utf8');
    if (c.pending !== undefined) {
      let refused = false;
      try {
        parseRuleFile(c.file, content, v);
      } catch (e) {
        refused = e instanceof RuleFileError && e.message.includes(c.error ?? '');
      }
      assert.equal(refused, false, `${c.file} is listed as pending (${c.pending}) but passes: take it off the list`);
      console.log(`rulefmt conformance: ${c.file} pending: ${c.pending}`);
      continue;
    }
    if (c.accept) {
      assert.doesNotThrow(() => parseRuleFile(c.file, content, v), c.file);
    } else {
      assert.throws(
        () => parseRuleFile(c.file, content, v),
        (e: unknown) => e instanceof RuleFileError && e.message.includes(c.error!),
        `${c.file} should be refused with "${c.error}"`,
      );
    }
    passed++;
  }
  console.log(`rulefmt conformance: ${passed}/${cases.length} passed, ${cases.length - passed} pending`);
});

test('aliases come out identical in every rule, errors carry file:line:col', () => {
  const f = parseRuleFile(join(dir, 'test_aliases.yaml'), readFileSync(join(dir, 'test_aliases.yaml'), 'utf8'), ruleValidators);
  const rules = f.groups.flatMap((g) => g.rules);
  assert.equal(rules.length, 8);
  assert.ok(rules.every((r) => r.expr === rules[0]!.expr && r.expr.includes('rate(requests_total[5m])')));
  const alerts = rules.filter((r) => r.alert !== undefined);
  assert.deepEqual([...new Set(alerts.map((r) => r.alert))].sort(), ['HighAlert', 'HighAlert2']);
  assert.ok(alerts.every((r) => r.labels.severity === 'critical' && r.annotations.description === "stuff's happening with {{ $.labels.service }}"));
  assert.throws(() => parseRuleFile('x.yml', 'groups:\n  - name: a\n    rules:\n      - record: r\n'), /x\.yml:4:\d+: group "a", rule 1, "r": field 'expr' must be set in rule/);
});
