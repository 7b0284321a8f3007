// Inhibition: a target alert is muted while a firing source alert matches a rule's source
// matchers and has the same values for the rule's `equal` labels. An alert never inhibits itself.
import { fingerprint, isResolved, type Alert } from './alert.js';
import type { Labels } from '../model/labels.js';
import { labelValue } from './labelset.js';

export interface InhibitRule {
  sourceMatches: (l: Labels) => boolean;
  targetMatches: (l: Labels) => boolean;
  equal: string[];
}

export class Inhibitor {
  constructor(
    private rules: InhibitRule[],
    private readonly alerts: () => Iterable<Alert>,
  ) {}

  setRules(rules: InhibitRule[]): void {
    this.rules = rules;
  }

  /** Fingerprints of the firing alerts that inhibit an alert with these labels. */
  inhibitedBy(target: Labels, now: number): string[] {
    const out = new Set<string>();
    const targetFp = fingerprint(target);
    for (const rule of this.rules) {
      if (!rule.targetMatches(target)) continue;
      for (const a of this.alerts()) {
        if (isResolved(a, now) || !rule.sourceMatches(a.labels)) continue;
        if (!rule.equal.every((n) => labelValue(a.labels, n) === labelValue(target, n))) continue;
        const fp = fingerprint(a.labels);
        if (fp !== targetFp) out.add(fp);
      }
    }
    return [...out];
  }
}
