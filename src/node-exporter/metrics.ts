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

/**
 * The exposition is written into one byte buffer kept across scrapes, and copied out once at its
 * exact size: building it as a string (`out +=` per line, a template per label, three replaces per
 * value) made ~0.5 MiB of garbage a scrape for a 50 KiB body, and garbage that survives a young
 * collection is old-space growth. Writing is synchronous, so one buffer serves every scrape.
 */
let scratch = Buffer.allocUnsafe(256 * 1024);
let used = 0;

function put(s: string): void {
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (used + s.length * 3 > scratch.length) {
    const bigger = Buffer.allocUnsafe(Math.max(scratch.length * 2, used + s.length * 3));
    scratch.copy(bigger, 0, 0, used);
    scratch = bigger;
  }
  used += scratch.write(s, used, 'utf8');
}

const NEEDS_VALUE_ESCAPE = /[\\\n"]/;
const NEEDS_HELP_ESCAPE = /[\\\n]/;

function putEscaped(v: string, quotes: boolean): void {
  if (!(quotes ? NEEDS_VALUE_ESCAPE : NEEDS_HELP_ESCAPE).test(v)) return put(v);
  let from = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const escaped = c === 0x5c ? '\\\\' : c === 0x0a ? '\\n' : quotes && c === 0x22 ? '\\"' : undefined;
    if (escaped === undefined) continue;
    put(v.slice(from, i));
    put(escaped);
    from = i + 1;
  }
  put(v.slice(from));
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

interface Row {
  keys: string[];
  labels: Labels;
  value: number;
  suffix: string;
  /** The label names that order the row: a histogram's `le` and a summary's `quantile` stay in input order. */
  sortKeys: string[];
}

/**
 * Sorts a sample's few label names in place. Array.prototype.sort copies its array into a scratch
 * one on every call, and this runs for thousands of samples a scrape.
 */
function sortNamesInPlace(keys: string[]): void {
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > k; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = k;
  }
}

/** Go's order of two samples: label values compared one by one, label names sorted. */
function compareRows(a: Row, b: Row): number {
  const n = Math.min(a.sortKeys.length, b.sortKeys.length);
  for (let i = 0; i < n; i++) {
    const x = a.labels[a.sortKeys[i]!]!;
    const y = b.labels[b.sortKeys[i]!]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.sortKeys.length - b.sortKeys.length;
}

/** A family's samples in Go's order. */
function sortedRows(f: Family): Row[] {
  const grouped = f.type === 'histogram' || f.type === 'summary';
  const rows = f.samples.map((s) => {
    const keys = Object.keys(s.labels);
    sortNamesInPlace(keys);
    const sortKeys = grouped ? keys.filter((k) => k !== 'le' && k !== 'quantile') : keys;
    return { keys, labels: s.labels, value: s.value, suffix: s.suffix ?? '', sortKeys };
  });
  // Many families come in order already: checking is cheaper than sort's copy.
  for (let i = 1; i < rows.length; i++) {
    // Array.prototype.sort is stable: a histogram's buckets, sum and count keep their order.
    if (compareRows(rows[i - 1]!, rows[i]!) > 0) return rows.sort(compareRows);
  }
  return rows;
}

function putSample(name: string, r: Row): void {
  put(name);
  if (r.suffix !== '') put(r.suffix);
  for (let i = 0; i < r.keys.length; i++) {
    put(i === 0 ? '{' : ',');
    put(r.keys[i]!);
    put('="');
    putEscaped(r.labels[r.keys[i]!]!, true);
    put('"');
  }
  if (r.keys.length > 0) put('}');
  put(' ');
  put(formatSampleValue(r.value));
  put('\n');
}

function takeWritten(): Buffer {
  const body = Buffer.allocUnsafeSlow(used);
  scratch.copy(body, 0, 0, used);
  used = 0;
  return body;
}

/** The Prometheus text format 0.0.4, as bytes. */
export function writeTextBytes(families: Iterable<Family>): Buffer {
  used = 0;
  for (const f of [...families].sort(byName)) {
    put('# HELP ');
    put(f.name);
    put(' ');
    putEscaped(f.help, false);
    put('\n# TYPE ');
    put(f.name);
    put(' ');
    put(f.type);
    put('\n');
    for (const r of sortedRows(f)) putSample(f.name, r);
  }
  return takeWritten();
}

/** OpenMetrics 1.0, as bytes: counters are named without `_total` and their samples with it, untyped is `unknown`, `# EOF` ends it. */
export function writeOpenMetricsBytes(families: Iterable<Family>): Buffer {
  used = 0;
  for (const f of [...families].sort(byName)) {
    const name = f.type === 'counter' && f.name.endsWith('_total') ? f.name.slice(0, -'_total'.length) : f.name;
    const sampleName = f.type === 'counter' ? `${name}_total` : name;
    put('# HELP ');
    put(name);
    put(' ');
    putEscaped(f.help, true);
    put('\n# TYPE ');
    put(name);
    put(' ');
    put(f.type === 'untyped' ? 'unknown' : f.type);
    put('\n');
    for (const r of sortedRows(f)) putSample(sampleName, r);
  }
  put('# EOF\n');
  return takeWritten();
}

/** The Prometheus text format 0.0.4. */
export function writeText(families: Iterable<Family>): string {
  return writeTextBytes(families).toString('utf8');
}

/** OpenMetrics 1.0 (see writeOpenMetricsBytes). */
export function writeOpenMetrics(families: Iterable<Family>): string {
  return writeOpenMetricsBytes(families).toString('utf8');
}
