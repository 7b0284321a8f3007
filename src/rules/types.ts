// Shared types of the rule engine. The rule manager does not import the PromQL engine or the
// template engine directly: the server passes them in as these functions, which keeps rules
// testable on their own and the data flow one way (rules -> engine -> storage).
import type { Labels } from '../model/labels.js';
import type { FloatHistogram } from '../model/histogram.js';

/** One element of an instant vector (or a scalar as a vector of one, without labels). */
export interface InstantSample {
  labels: Labels;
  value: number;
  /** Set when the element is a native histogram (then `value` means nothing). */
  h?: FloatHistogram;
}

/**
 * Evaluates a PromQL expression at a time (ms); throws with the engine's error. `group` names the
 * rule group asking (for the query log).
 */
export type QueryFn = (expr: string, timeMs: number, group?: { file: string; name: string }) => Promise<InstantSample[]>;

/** Data that label and annotation templates see: `$labels`, `$value`, `$externalLabels`, `$externalURL`. */
export interface RuleTemplateData {
  labels: Labels;
  value: number;
  externalLabels: Labels;
  externalURL: string;
}

/**
 * Expands one template (a label value or annotation). Errors do not throw: like Prometheus, the
 * result is the error text, so a broken template is visible in the alert instead of failing it.
 */
export type ExpandFn = (name: string, text: string, data: RuleTemplateData, timeMs: number) => Promise<string>;

/** Where rule results go: the storage's appender. */
export interface SampleSink {
  /** Appends samples (in one batch) at their timestamps. */
  append(samples: { labels: Labels; t: number; v: number; h?: FloatHistogram }[]): void;
}

export type RuleHealth = 'ok' | 'err' | 'unknown';

/**
 * Restoring `for` state after a restart (Prometheus's --rules.alert.for-outage-tolerance and
 * --rules.alert.for-grace-period): the ALERTS_FOR_STATE series the previous run wrote say since
 * when each alert was active.
 */
export interface ForStateRestore {
  outageToleranceMs: number;
  gracePeriodMs: number;
  /** ALERTS_FOR_STATE series of an alert in [startMs, endMs]: labels without __name__, and the last sample. */
  lastForState(alertname: string, startMs: number, endMs: number): Promise<{ labels: Labels; t: number; v: number }[]>;
}
