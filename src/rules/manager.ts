// The rule manager: loads rule files (globs) into groups, runs them concurrently, and on reload
// replaces groups while carrying over the alert state of rules that did not change — so a reload
// does not reset a pending `for` or re-fire a firing alert.
import { readFileSync } from 'node:fs';
import { expandGlob } from '../util/glob.js';
import { AlertingRule, type ActiveAlert } from './alerting.js';
import { RecordingRule } from './recording.js';
import { RuleGroup, type GroupDeps, type Rule } from './group.js';
import { parseRuleFile, type RuleValidators } from './rulefmt.js';
import type { Logger } from '../util/logger.js';

export interface RuleManagerOptions {
  /** Everything a group needs except the notify hook, which the manager provides. */
  deps: Omit<GroupDeps, 'notify'>;
  validators: RuleValidators;
  /** Sends alerts (rule expression for the generator URL). */
  notify: (expr: string, alerts: ActiveAlert[]) => void;
  logger: Logger;
}

export interface RuleFilesConfig {
  /** Globs, relative ones against baseDir. */
  patterns: string[];
  baseDir: string;
  evaluationIntervalMs: number;
  /** global.rule_query_offset: for groups without their own query_offset. */
  queryOffsetMs?: number;
}

export class RuleManager {
  private groups = new Map<string, RuleGroup>();
  /** `for` state is restored for the groups of the first load only (after start-up). */
  private loadedOnce = false;

  constructor(private readonly o: RuleManagerOptions) {}

  /**
   * Parses every rule file; throws (changing nothing) when one is invalid, so a bad reload keeps
   * the running rules.
   */
  load(cfg: RuleFilesConfig): RuleGroup[] {
    const files = [...new Set(cfg.patterns.flatMap((p) => expandGlob(p, cfg.baseDir)))];
    const groups: RuleGroup[] = [];
    for (const file of files) {
      const parsed = parseRuleFile(file, readFileSync(file, 'utf8'), this.o.validators);
      for (const g of parsed.groups) {
        const rules: Rule[] = g.rules.map((r) => {
          // The group's labels, then the rule's own (which win on a collision).
          const labels = { ...g.labels, ...r.labels };
          return r.alert !== undefined
            ? new AlertingRule({ name: r.alert, expr: r.expr, forMs: r.forMs, keepFiringForMs: r.keepFiringForMs, labels, annotations: r.annotations })
            : new RecordingRule({ record: r.record!, expr: r.expr, labels });
        });
        groups.push(
          new RuleGroup(
            { name: g.name, file, intervalMs: g.intervalMs > 0 ? g.intervalMs : cfg.evaluationIntervalMs, limit: g.limit, queryOffsetMs: g.queryOffsetMs ?? cfg.queryOffsetMs ?? 0, rules },
            { ...this.o.deps, notify: this.o.notify },
          ),
        );
      }
    }
    return groups;
  }

  /** Loads and applies rule files (start and reload). */
  async update(cfg: RuleFilesConfig): Promise<void> {
    const next = this.load(cfg);
    const old = this.groups;
    const firstLoad = !this.loadedOnce;
    this.loadedOnce = true;
    this.groups = new Map();
    for (const g of next) {
      const prev = old.get(g.key);
      if (prev !== undefined) {
        await prev.stop();
        g.copyState(prev);
        old.delete(g.key);
      } else if (firstLoad) {
        g.restoreOnFirstEvaluation();
      }
      this.groups.set(g.key, g);
      g.start();
    }
    await Promise.all([...old.values()].map((g) => g.stop()));
    this.o.logger.info('Rule manager updated', { component: 'rule manager', groups: this.groups.size });
  }

  ruleGroups(): RuleGroup[] {
    return [...this.groups.values()].sort((a, b) => (a.spec.file + a.spec.name < b.spec.file + b.spec.name ? -1 : 1));
  }

  alertingRules(): AlertingRule[] {
    return this.ruleGroups().flatMap((g) => g.spec.rules.filter((r): r is AlertingRule => r instanceof AlertingRule));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.groups.values()].map((g) => g.stop()));
  }
}
