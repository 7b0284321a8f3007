// The rule manager's metrics, with Prometheus's names.
import client from 'prom-client';

export interface RuleMetrics {
  evaluations: client.Counter<'rule_group'>;
  evaluationFailures: client.Counter<'rule_group'>;
  iterationsMissed: client.Counter<'rule_group'>;
  lastDuration: client.Gauge<'rule_group'>;
  lastEvaluation: client.Gauge<'rule_group'>;
  groupRules: client.Gauge<'rule_group'>;
  groupInterval: client.Gauge<'rule_group'>;
}

export function createRuleMetrics(registry: client.Registry): RuleMetrics {
  const labelNames = ['rule_group'] as const;
  return {
    evaluations: new client.Counter({ name: 'prometheus_rule_evaluations_total', help: 'The total number of rule evaluations.', labelNames, registers: [registry] }),
    evaluationFailures: new client.Counter({ name: 'prometheus_rule_evaluation_failures_total', help: 'The total number of rule evaluation failures.', labelNames, registers: [registry] }),
    iterationsMissed: new client.Counter({ name: 'prometheus_rule_group_iterations_missed_total', help: 'The total number of rule group evaluations missed due to slow rule group evaluation.', labelNames, registers: [registry] }),
    lastDuration: new client.Gauge({ name: 'prometheus_rule_group_last_duration_seconds', help: 'The duration of the last rule group evaluation.', labelNames, registers: [registry] }),
    lastEvaluation: new client.Gauge({ name: 'prometheus_rule_group_last_evaluation_timestamp_seconds', help: 'The timestamp of the last rule group evaluation in seconds.', labelNames, registers: [registry] }),
    groupRules: new client.Gauge({ name: 'prometheus_rule_group_rules', help: 'The number of rules.', labelNames, registers: [registry] }),
    groupInterval: new client.Gauge({ name: 'prometheus_rule_group_interval_seconds', help: 'The interval of a rule group.', labelNames, registers: [registry] }),
  };
}
