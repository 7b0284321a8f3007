// Metric families as the collectors produce them, and the text exposition they are written in.
import type { Labels } from '../model/labels.js';

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

/**
 * Go's strconv.FormatFloat(v, 'g', -1, 64), as the Go client writes sample values: the shortest
 * digits, in exponent form when the decimal exponent is below -4 or at least 6 (Go's rule for the
 * shortest precision), exponents with at least two digits.
 */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const e = v.toExponential();
  const [mantissa, expText] = e.split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
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
