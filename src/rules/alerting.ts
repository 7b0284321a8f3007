// An alerting rule, with Prometheus's state machine: every element of the expression's result is an
// alert, pending until it has been active for `for`, then firing; when it disappears it becomes
// inactive (resolved) and is kept 15 minutes so the Alertmanager hears it resolved;
// `keep_firing_for` keeps a firing alert firing for a while after its condition went away. Each
// evaluation also yields the `ALERTS` and `ALERTS_FOR_STATE` samples.
import { labelsKey, type Labels } from '../model/labels.js';
import type { ExpandFn, InstantSample, QueryFn, RuleHealth } from './types.js';

export type AlertState = 'inactive' | 'pending' | 'firing';

export interface ActiveAlert {
  state: AlertState;
  labels: Labels;
  annotations: Labels;
  value: number;
  /** ms; when the condition started being true. */
  activeAt: number;
  firedAt: number;
  resolvedAt: number;
  lastSentAt: number;
  validUntil: number;
  keepFiringSince: number;
}

export interface AlertingRuleSpec {
  name: string;
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Labels;
  annotations: Labels;
}

/** How long resolved alerts stay (and are re-sent as resolved), as in Prometheus. */
export const RESOLVED_RETENTION_MS = 15 * 60 * 1000;

export interface RuleOutput {
  samples: { labels: Labels; v: number }[];
}

export class AlertingRule {
  readonly active = new Map<string, ActiveAlert>();
  health: RuleHealth = 'unknown';
  lastError = '';
  lastEvaluation = 0;
  evaluationSeconds = 0;
  /** False until the `for` state was restored after a restart (ALERTS written only after). */
  restored = true;

  constructor(readonly spec: AlertingRuleSpec) {}

  get name(): string {
    return this.spec.name;
  }

  /** The rule's highest alert state (for the Alerts page). */
  state(): AlertState {
    let s: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') s = 'pending';
    }
    return s;
  }

  async eval(ts: number, query: QueryFn, expand: ExpandFn, externalLabels: Labels, externalURL: string, limit: number): Promise<RuleOutput> {
    const res: InstantSample[] = await query(this.spec.expr, ts);
    const current = new Map<string, ActiveAlert>();
    for (const smpl of res) {
      const data = { labels: smpl.labels, value: smpl.value, externalLabels, externalURL };
      const lbs: Labels = { ...smpl.labels };
      delete lbs.__name__;
      for (const [k, tmpl] of Object.entries(this.spec.labels)) {
        const v = await expand(`__alert_${this.spec.name}`, tmpl, data, ts);
        if (v === '') delete lbs[k];
        else lbs[k] = v;
      }
      lbs.alertname = this.spec.name;
      const annotations: Labels = {};
      for (const [k, tmpl] of Object.entries(this.spec.annotations)) annotations[k] = await expand(`__alert_${this.spec.name}`, tmpl, data, ts);
      const key = labelsKey(lbs);
      if (current.has(key)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      current.set(key, { state: 'pending', labels: lbs, annotations, value: smpl.value, activeAt: ts, firedAt: 0, resolvedAt: 0, lastSentAt: 0, validUntil: 0, keepFiringSince: 0 });
    }
    for (const [key, a] of current) {
      const existing = this.active.get(key);
      if (existing !== undefined && existing.state !== 'inactive') {
        existing.value = a.value;
        existing.annotations = a.annotations;
        existing.labels = a.labels;
        continue;
      }
      this.active.set(key, a);
    }

    const samples: RuleOutput['samples'] = [];
    let activeCount = 0;
    for (const [key, a] of this.active) {
      if (!current.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.spec.keepFiringForMs > 0) {
          if (a.keepFiringSince === 0) a.keepFiringSince = ts;
          if (ts - a.keepFiringSince < this.spec.keepFiringForMs) keepFiring = true;
        }
        if (a.state === 'pending' || (a.resolvedAt !== 0 && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) this.active.delete(key);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ts;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSince = 0;
      }
      activeCount++;
      if (a.state === 'pending' && ts - a.activeAt >= this.spec.forMs) {
        a.state = 'firing';
        a.firedAt = ts;
      }
      if (this.restored) {
        samples.push({ labels: { ...a.labels, __name__: 'ALERTS', alertstate: a.state }, v: 1 });
        samples.push({ labels: { ...a.labels, __name__: 'ALERTS_FOR_STATE' }, v: a.activeAt / 1000 });
      }
    }
    if (limit > 0 && activeCount > limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${limit} with ${activeCount} alerts`);
    }
    return { samples };
  }

  /**
   * The alerts to send now (Prometheus's needsSending): firing ones every resendDelay, resolved ones
   * once after they resolve; each gets validUntil = ts + 4 x max(resendDelay, interval) so a missed
   * evaluation does not resolve it in the Alertmanager.
   */
  alertsToSend(ts: number, resendDelayMs: number, intervalMs: number): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const a of this.active.values()) {
      if (a.state === 'pending') continue;
      const needs = a.resolvedAt > a.lastSentAt || a.lastSentAt + resendDelayMs < ts;
      if (!needs) continue;
      a.lastSentAt = ts;
      a.validUntil = ts + 4 * Math.max(resendDelayMs, intervalMs);
      out.push({ ...a, labels: { ...a.labels } });
    }
    return out;
  }

  /** Restores `for` state from ALERTS_FOR_STATE values found after a restart. */
  restoreActiveAt(key: string, activeAt: number): void {
    const a = this.active.get(key);
    if (a !== undefined) a.activeAt = activeAt;
  }
}
