// The rule manager on the engine and storage, with what it needs to parse rule files (PromQL,
// alert templates). Loaded by rules.ts with the first configuration that names rule files: a
// server without rules does not keep the evaluator, the template language or the rule file
// parser resident (issue 23).
import { Engine } from '../promql/index.js';
import { RuleManager } from '../rules/manager.js';
import type { RuleMetrics } from '../rules/metrics.js';
import { ruleValidators } from '../rules/validators.js';
import type { ActiveAlert } from '../rules/alerting.js';
import { engineRuleDeps, storageForState } from '../rules/engine-deps.js';
import type { RulingOptions } from './rules.js';

export interface RuleManagerParts {
  options: RulingOptions;
  metrics: RuleMetrics;
  /** Shared with the rule groups; the caller refreshes it in place. */
  externalLabels: Record<string, string>;
  notify: (expr: string, alerts: ActiveAlert[]) => void;
}

export function createRuleManager({ options: o, metrics, externalLabels, notify }: RuleManagerParts): RuleManager {
  const engine = new Engine(o.storage, o.engine);
  const remoteRead = o.remoteReaders !== undefined ? { readers: o.remoteReaders, timeoutMs: o.engine.timeoutMs ?? 120_000, ...(o.engine.maxSamples !== undefined ? { maxSamples: o.engine.maxSamples } : {}) } : undefined;
  const { query, expand, sink } = engineRuleDeps(o.storage, engine, o.externalURL, o.queryLog, remoteRead);
  return new RuleManager({
    deps: {
      query,
      expand,
      sink,
      externalLabels,
      externalURL: o.externalURL,
      resendDelayMs: o.resendDelayMs,
      metrics,
      forState: storageForState(o.storage, o.forOutageToleranceMs, o.forGracePeriodMs),
    },
    validators: ruleValidators,
    notify,
    logger: o.logger.with({ component: 'rule manager' }),
  });
}
