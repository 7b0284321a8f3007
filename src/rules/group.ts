// A rule group: its rules evaluated in order on the group's interval (so a recording rule's output
// is visible to the rules after it), at timestamps aligned to a per-group offset as Prometheus does,
// results appended to the storage, stale markers for series a rule stopped producing, alerts handed
// to the notifier, and missed iterations counted.
import { labelsKey, type Labels } from '../model/labels.js';
import { AlertingRule, type ActiveAlert } from './alerting.js';
import { RecordingRule } from './recording.js';
import type { ExpandFn, ForStateRestore, QueryFn, SampleSink } from './types.js';
import type { FloatHistogram } from '../model/histogram.js';
import type { RuleMetrics } from './metrics.js';

export type Rule = AlertingRule | RecordingRule;

const STALE_NAN = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;

export interface GroupDeps {
  query: QueryFn;
  expand: ExpandFn;
  sink: SampleSink;
  externalLabels: Labels;
  externalURL: string;
  resendDelayMs: number;
  /** Receives alerts to send (with the rule's expression for the generator URL). */
  notify: (expr: string, alerts: ActiveAlert[]) => void;
  metrics: RuleMetrics;
  now?: () => number;
  /** Present when alerts' `for` state is to be restored after a restart (the server's first load). */
  forState?: ForStateRestore;
}

export interface GroupSpec {
  name: string;
  file: string;
  intervalMs: number;
  limit: number;
  queryOffsetMs: number;
  rules: Rule[];
}

export class RuleGroup {
  lastEvaluation = 0;
  evaluationSeconds = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Series each rule wrote at its last evaluation (key -> labels), for staleness. */
  private readonly lastSeries = new Map<number, Map<string, Labels>>();
  private readonly now: () => number;
  private pendingRestore = false;

  constructor(
    readonly spec: GroupSpec,
    private readonly deps: GroupDeps,
  ) {
    this.now = deps.now ?? Date.now;
  }

  get key(): string {
    return `${this.spec.file};${this.spec.name}`;
  }

  /** The group's evaluation grid: ts with (ts - offset) % interval == 0, offset from its key. */
  evalTimestamp(t: number): number {
    const interval = this.spec.intervalMs;
    const offset = hash(this.key) % interval;
    const adjusted = t - offset;
    return adjusted - (((adjusted % interval) + interval) % interval) + offset;
  }

  /**
   * Restores the `for` state of this group's alerts at its first evaluation (set for the groups of
   * the first load after start-up, as Prometheus does; not for groups that appear on a reload).
   */
  restoreOnFirstEvaluation(): void {
    if (this.deps.forState === undefined) return;
    this.pendingRestore = true;
    // ALERTS and ALERTS_FOR_STATE are written only once restored, or the first evaluation's own
    // ALERTS_FOR_STATE (active since now) would hide the one the previous run left.
    for (const r of this.spec.rules) if (r instanceof AlertingRule) r.restored = false;
  }

  start(): void {
    const interval = this.spec.intervalMs;
    const m = this.deps.metrics;
    m.groupInterval.set({ rule_group: this.key }, interval / 1000);
    m.groupRules.set({ rule_group: this.key }, this.spec.rules.length);
    let next = this.evalTimestamp(this.now()) + interval;
    const tick = (): void => {
      if (this.stopped) return;
      const ts = next;
      this.running = this.evaluate(ts)
        .then(() => (this.pendingRestore ? this.restoreForState(ts) : undefined))
        .finally(() => (this.running = undefined));
      next += interval;
      // Iterations that could not run in time are skipped and counted, as Prometheus does.
      const now = this.now();
      if (next <= now) {
        const missed = Math.floor((now - next) / interval) + 1;
        m.iterationsMissed.inc({ rule_group: this.key }, missed);
        next += missed * interval;
      }
      this.timer = setTimeout(tick, next - now);
    };
    this.timer = setTimeout(tick, Math.max(0, next - this.now()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Prometheus's RestoreForState: each pending alert takes its activeAt from the last
   * ALERTS_FOR_STATE sample within the outage tolerance, moved forward by the time the server was
   * down, and kept at least the grace period away from firing.
   */
  async restoreForState(ts: number): Promise<void> {
    this.pendingRestore = false;
    const fs = this.deps.forState;
    for (const rule of this.spec.rules) {
      if (!(rule instanceof AlertingRule)) continue;
      const hold = rule.spec.forMs;
      try {
        // A `for` shorter than the grace period is not held back by it, so there is nothing to restore.
        if (fs === undefined || hold <= 0 || hold < fs.gracePeriodMs) continue;
        const series = await fs.lastForState(rule.name, ts - fs.outageToleranceMs, ts);
        const byKey = new Map(series.map((s) => [labelsKey(s.labels), s]));
        for (const [key, a] of rule.active) {
          const s = byKey.get(labelsKey(a.labels));
          if (s === undefined) continue;
          let activeAt = s.v * 1000;
          const downAt = s.t;
          const remaining = hold - (downAt - activeAt);
          if (remaining <= 0) {
            // It would have fired already: it fires at the next evaluation.
          } else if (remaining < fs.gracePeriodMs) activeAt = ts + fs.gracePeriodMs - hold;
          else activeAt += ts - downAt;
          rule.restoreActiveAt(key, activeAt);
        }
      } catch (e) {
        rule.lastError = `restoring for state: ${(e as Error).message}`;
      } finally {
        rule.restored = true;
      }
    }
  }

  /** Takes over the alert state of the same rules in the group this one replaces (reload). */
  copyState(old: RuleGroup): void {
    const oldByKey = new Map<string, Rule>();
    old.spec.rules.forEach((r) => oldByKey.set(ruleKey(r), r));
    this.spec.rules.forEach((r, i) => {
      const o = oldByKey.get(ruleKey(r));
      if (o === undefined) return;
      if (r instanceof AlertingRule && o instanceof AlertingRule) {
        for (const [k, a] of o.active) r.active.set(k, a);
      }
      const oi = old.spec.rules.indexOf(o);
      const series = old.lastSeries.get(oi);
      if (series !== undefined) this.lastSeries.set(i, series);
    });
  }

  /** One evaluation of every rule at `ts` (exported for `promethium test rules` and tests). */
  async evaluate(ts: number): Promise<void> {
    const m = this.deps.metrics;
    // Durations on a monotonic sub-millisecond clock: a rule that takes 0.3 ms is not "0s".
    const started = performance.now();
    const evalTs = ts - this.spec.queryOffsetMs;
    const group = { file: this.spec.file, name: this.spec.name };
    const query: QueryFn = (expr, t) => this.deps.query(expr, t, group);
    for (let i = 0; i < this.spec.rules.length; i++) {
      const rule = this.spec.rules[i]!;
      const ruleStart = performance.now();
      m.evaluations.inc({ rule_group: this.key });
      let samples: { labels: Labels; v: number; h?: FloatHistogram }[] = [];
      try {
        if (rule instanceof AlertingRule) {
          samples = (await rule.eval(evalTs, query, this.deps.expand, this.deps.externalLabels, this.deps.externalURL, this.spec.limit)).samples;
          const toSend = rule.alertsToSend(ts, this.deps.resendDelayMs, this.spec.intervalMs);
          if (toSend.length > 0) this.deps.notify(rule.spec.expr, toSend);
        } else {
          samples = (await rule.eval(evalTs, query, this.spec.limit)).samples;
        }
        rule.health = 'ok';
        rule.lastError = '';
      } catch (e) {
        rule.health = 'err';
        rule.lastError = (e as Error).message;
        m.evaluationFailures.inc({ rule_group: this.key });
      }
      rule.lastEvaluation = ts;
      rule.evaluationSeconds = (performance.now() - ruleStart) / 1000;
      // Appended per rule so the next rule's query sees this one's output.
      const current = new Map<string, Labels>();
      const batch: { labels: Labels; t: number; v: number; h?: FloatHistogram }[] = [];
      for (const s of samples) {
        current.set(labelsKey(s.labels), s.labels);
        batch.push(s.h !== undefined ? { labels: s.labels, t: evalTs, v: s.v, h: s.h } : { labels: s.labels, t: evalTs, v: s.v });
      }
      const previous = this.lastSeries.get(i);
      if (previous !== undefined) {
        for (const [k, l] of previous) if (!current.has(k)) batch.push({ labels: l, t: evalTs, v: STALE_NAN });
      }
      this.lastSeries.set(i, current);
      if (batch.length > 0) this.deps.sink.append(batch);
    }
    this.lastEvaluation = ts;
    this.evaluationSeconds = (performance.now() - started) / 1000;
    m.lastDuration.set({ rule_group: this.key }, this.evaluationSeconds);
    m.lastEvaluation.set({ rule_group: this.key }, ts / 1000);
  }
}

function ruleKey(r: Rule): string {
  return r instanceof AlertingRule ? `alert:${r.spec.name}:${r.spec.expr}:${JSON.stringify(r.spec.labels)}` : `record:${r.spec.record}:${r.spec.expr}:${JSON.stringify(r.spec.labels)}`;
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
