// A range query's result as dense rows (one Float64Array of values and one presence mask per
// series, steps in order), sorted by labels. The HTTP API encodes it without ever building a
// JavaScript number or string per point; `toRangeSeries` gives the library's `t`/`v` arrays.
import type { Labels } from '../model/labels.js';
import { labelsKey } from '../model/labels.js';
import { QueryError } from './values.js';
import { compareLabels } from './context.js';

/** One series of a range query's result as the library gives it. */
export interface RangeSeries {
  metric: Labels;
  /** ms timestamps and values */
  t: number[];
  v: number[];
}

export interface DenseRangeResult {
  /** The series' labels, sorted. */
  metrics: Labels[];
  /** Row i's value at step j is values[i * n + j], valid where present[i * n + j] is 1. */
  values: Float64Array;
  present: Uint8Array;
  /** Steps: startMs, startMs + stepMs, ... (n of them). */
  n: number;
  startMs: number;
  stepMs: number;
  warnings: string[];
  infos: string[];
}

/** One evaluated series: its final labels and its values at every step. */
export interface StepSeries {
  metric: Labels;
  values: Float64Array;
  present: Uint8Array;
}

interface Row extends StepSeries {
  /** Whether values/present are this row's own copies (safe to merge into). */
  owned: boolean;
}

/**
 * Series that end up with the same labels (once names are dropped) are merged into one row, unless
 * both have a value at the same step (Prometheus's "same labelset" error). Rows without any value
 * are left out.
 */
export function denseRows(series: Iterable<StepSeries>, n: number, startMs: number, stepMs: number, warnings: string[], infos: string[]): DenseRangeResult {
  const rows = new Map<string, Row>();
  for (const s of series) {
    const key = labelsKey(s.metric);
    const row = rows.get(key);
    if (!row) {
      rows.set(key, { ...s, owned: false });
      continue;
    }
    if (!row.owned) {
      row.values = Float64Array.from(row.values);
      row.present = Uint8Array.from(row.present);
      row.owned = true;
    }
    for (let j = 0; j < n; j++) {
      if (!s.present[j]) continue;
      if (row.present[j]) throw new QueryError('vector cannot contain metrics with the same labelset');
      row.present[j] = 1;
      row.values[j] = s.values[j]!;
    }
  }
  const kept = [...rows.values()].filter((r) => r.present.includes(1));
  kept.sort((a, b) => compareLabels(a.metric, b.metric));
  const values = new Float64Array(kept.length * n);
  const present = new Uint8Array(kept.length * n);
  kept.forEach((r, i) => {
    values.set(r.values.subarray(0, n), i * n);
    present.set(r.present.subarray(0, n), i * n);
  });
  return { metrics: kept.map((r) => r.metric), values, present, n, startMs, stepMs, warnings, infos };
}

/** The library's shape: per series, the timestamps and values of its present steps. */
export function toRangeSeries(d: DenseRangeResult): RangeSeries[] {
  return d.metrics.map((metric, i) => {
    const t: number[] = [];
    const v: number[] = [];
    for (let j = 0, c = i * d.n; j < d.n; j++, c++) {
      if (!d.present[c]) continue;
      t.push(d.startMs + j * d.stepMs);
      v.push(d.values[c]!);
    }
    return { metric, t, v };
  });
}
