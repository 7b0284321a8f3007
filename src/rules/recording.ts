// A recording rule: the expression's result, renamed to `record` with the rule's labels set, is
// written back to the storage at the evaluation time.
import { labelsKey, type Labels } from '../model/labels.js';
import type { QueryFn, RuleHealth } from './types.js';
import type { FloatHistogram } from '../model/histogram.js';

export interface RecordingRuleSpec {
  record: string;
  expr: string;
  labels: Labels;
}

export class RecordingRule {
  health: RuleHealth = 'unknown';
  lastError = '';
  lastEvaluation = 0;
  evaluationSeconds = 0;

  constructor(readonly spec: RecordingRuleSpec) {}

  get name(): string {
    return this.spec.record;
  }

  async eval(ts: number, query: QueryFn, limit: number): Promise<{ samples: { labels: Labels; v: number; h?: FloatHistogram }[] }> {
    const res = await query(this.spec.expr, ts);
    const seen = new Set<string>();
    const samples = res.map((s) => {
      const labels: Labels = { ...s.labels, __name__: this.spec.record };
      for (const [k, v] of Object.entries(this.spec.labels)) {
        if (v === '') delete labels[k];
        else labels[k] = v;
      }
      const key = labelsKey(labels);
      if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
      // A native histogram is recorded as a histogram sample.
      return s.h !== undefined ? { labels, v: s.value, h: s.h } : { labels, v: s.value };
    });
    if (limit > 0 && samples.length > limit) throw new Error(`exceeded limit of ${limit} with ${samples.length} series`);
    return { samples };
  }
}
