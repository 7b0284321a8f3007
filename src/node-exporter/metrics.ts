// Metric families as the collectors produce them, and the two expositions they are written in
// (the text format 0.0.4 and OpenMetrics 1.0), ordered as Go's client orders them: families by
// name, samples by their label values, so a diff against node_exporter lines up.
import type { Labels } from '../model/labels.js';
import { formatSampleValue } from '../exposition/format.js';

export { formatSampleValue };

export type FamilyType = 'counter' | 'gauge' | 'untyped' | 'histogram' | 'summary';

export interface Sample {
  labels: Labels;
  value: number;
  /** `_bucket`, `_sum` or `_count` for a histogram's or summary's series (textfile input). */
  suffix?: string;
}

export interface Family {
  name: string;
  help: string;
  type: FamilyType;
  samples: Sample[];
}

/** Collects families by name while a collector runs. */
export class FamilySet {
  readonly families = new Map<string, Family>();

  add(name: string, help: string, type: FamilyType, value: number, labels: Labels = {}, suffix?: string): void {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { name, help, type, samples: [] }));
    f.samples.push(suffix === undefined ? { labels, value } : { labels, value, suffix });
  }

  /** Takes over another set's families (collectors each fill their own set, then the scrape merges them). */
  merge(other: FamilySet): void {
    for (const f of other.families.values()) {
      const mine = this.families.get(f.name);
      if (mine) mine.samples.push(...f.samples);
      else this.families.set(f.name, f);
    }
  }
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

interface Row {
  keys: string[];
  values: string[];
  value: number;
  suffix: string;
  /** The values that order the row: a histogram's `le` and a summary's `quantile` stay in input order. */
  sortValues: string[];
}

/** Go's order of a family's samples: label values compared one by one, label names sorted. */
function sortedRows(f: Family): Row[] {
  const grouped = f.type === 'histogram' || f.type === 'summary';
  const rows = f.samples.map((s) => {
    const keys = Object.keys(s.labels).sort();
    const values = keys.map((k) => s.labels[k]!);
    const sortValues = grouped ? keys.filter((k) => k !== 'le' && k !== 'quantile').map((k) => s.labels[k]!) : values;
    return { keys, values, value: s.value, suffix: s.suffix ?? '', sortValues };
  });
  // Array.prototype.sort is stable: a histogram's buckets, sum and count keep their order.
  return rows.sort((a, b) => {
    const n = Math.min(a.sortValues.length, b.sortValues.length);
    for (let i = 0; i < n; i++) {
      if (a.sortValues[i] !== b.sortValues[i]) return a.sortValues[i]! < b.sortValues[i]! ? -1 : 1;
    }
    return a.sortValues.length - b.sortValues.length;
  });
}

function labelText(r: Row): string {
  if (r.keys.length === 0) return '';
  let s = '{';
  for (let i = 0; i < r.keys.length; i++) s += `${i > 0 ? ',' : ''}${r.keys[i]}="${escapeValue(r.values[i]!)}"`;
  return `${s}}`;
}

/** The Prometheus text format 0.0.4. */
export function writeText(families: Iterable<Family>): string {
  let out = '';
  for (const f of [...families].sort(byName)) {
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const r of sortedRows(f)) out += `${f.name}${r.suffix}${labelText(r)} ${formatSampleValue(r.value)}\n`;
  }
  return out;
}

/** OpenMetrics 1.0: counters are named without `_total` and their samples with it, untyped is `unknown`, `# EOF` ends it. */
export function writeOpenMetrics(families: Iterable<Family>): string {
  let out = '';
  for (const f of [...families].sort(byName)) {
    const name = f.type === 'counter' && f.name.endsWith('_total') ? f.name.slice(0, -'_total'.length) : f.name;
    const sampleName = f.type === 'counter' ? `${name}_total` : name;
    out += `# HELP ${name} ${escapeHelp(f.help).replace(/"/g, '\\"')}\n# TYPE ${name} ${f.type === 'untyped' ? 'unknown' : f.type}\n`;
    for (const r of sortedRows(f)) out += `${sampleName}${r.suffix}${labelText(r)} ${formatSampleValue(r.value)}\n`;
  }
  return `${out}# EOF\n`;
}
