// Rule group settings: query_offset (and global.rule_query_offset for groups without one), labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import client from 'prom-client';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import { RuleManager } from '../../src/rules/manager.js';
import { createRuleMetrics } from '../../src/rules/metrics.js';
import { ruleValidators } from '../../src/rules/validators.js';
import { engineRuleDeps } from '../../src/rules/engine-deps.js';
import { Logger } from '../../src/util/logger.js';

/** A rule manager on a fresh storage in `dir`. */
function managerIn(dir: string): { storage: Storage; manager: RuleManager } {
  const storage = Storage.open(join(dir, 'data'));
  const manager = new RuleManager({
    deps: { ...engineRuleDeps(storage, new Engine(storage), 'http://x'), externalLabels: {}, externalURL: 'http://x', resendDelayMs: 60_000, metrics: createRuleMetrics(new client.Registry()) },
    validators: ruleValidators,
    notify: () => undefined,
    logger: new Logger({ level: 'error' }),
  });
  return { storage, manager };
}

test('query_offset: the group own, else global.rule_query_offset, else none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-query-offset-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, 'groups:\n  - name: own\n    query_offset: 5s\n    rules: [{record: a, expr: vector(1)}]\n  - name: inherits\n    rules: [{record: b, expr: vector(1)}]\n');
  const { storage, manager } = managerIn(dir);
  const offsets = (queryOffsetMs?: number): Record<string, number> =>
    Object.fromEntries(manager.load({ patterns: [file], baseDir: '/', evaluationIntervalMs: 60_000, ...(queryOffsetMs !== undefined ? { queryOffsetMs } : {}) }).map((g) => [g.spec.name, g.spec.queryOffsetMs]));
  assert.deepEqual(offsets(30_000), { own: 5_000, inherits: 30_000 });
  assert.deepEqual(offsets(), { own: 5_000, inherits: 0 });
  storage.close();
});

test('group labels go to every rule of the group; a rule label of the same name wins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-group-labels-'));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, 'groups:\n  - name: g\n    labels: {team: a, tier: x}\n    rules:\n      - record: r\n        expr: vector(1)\n        labels: {tier: y}\n      - alert: A\n        expr: vector(1)\n');
  const { storage, manager } = managerIn(dir);
  const [g] = manager.load({ patterns: [file], baseDir: '/', evaluationIntervalMs: 60_000 });
  assert.deepEqual(g!.spec.rules.map((r) => r.spec.labels), [{ team: 'a', tier: 'y' }, { team: 'a', tier: 'x' }]);
  storage.close();
});
