// Metric families as the collectors produce them, and the text exposition they are written in.
import type { Labels } from '../model/labels.js';
import { formatSampleValue } from '../exposition/format.js';

export { formatSampleValue };

export type FamilyType = 'counter' | 'gauge' | 'untyped';

export interface Sample {
  labels: Labels;
  value: number;
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

  add(name: string, help: string, type: FamilyType, value: number, labels: Labels = {}): void {
    let f = this.families.get(name);
    if (!f) this.families.set(name, (f = { name, help, type, samples: [] }));
    f.samples.push({ labels, value });
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

/** The Prometheus text format 0.0.4, families sorted by name, samples by labels. */
export function writeText(families: Iterable<Family>): string {
  const out: string[] = [];
  for (const f of [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    const rows = f.samples.map((s) => {
      const keys = Object.keys(s.labels).sort();
      const ls = keys.length > 0 ? `{${keys.map((k) => `${k}="${escapeValue(s.labels[k]!)}"`).join(',')}}` : '';
      return `${f.name}${ls} ${formatSampleValue(s.value)}`;
    });
    out.push(...rows.sort());
  }
  return out.join('\n') + '\n';
}
