// The shape of an exposition, for comparing two exporters: each family's type and label names.
import { parseText } from '../../exposition/index.js';
import type { MetricMetadata } from '../../exposition/index.js';
import { parseSeriesText } from '../../exposition/index.js';

export interface FamilyShape {
  name: string;
  type: string;
  help: string;
  labelNames: string[];
  series: number;
}

/** Families of a text-format body by name (samples without a TYPE count as untyped). */
export function familyShapes(body: string): Map<string, FamilyShape> {
  const metadata = new Map<string, MetricMetadata>();
  const labels = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  for (const s of parseText(body, metadata)) {
    const l = parseSeriesText(s.series);
    const name = l['__name__']!;
    const set = labels.get(name) ?? new Set<string>();
    for (const k of Object.keys(l)) if (k !== '__name__') set.add(k);
    labels.set(name, set);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const out = new Map<string, FamilyShape>();
  for (const [name, set] of labels) {
    const type = metadata.get(name)?.type ?? 'untyped';
    out.set(name, { name, type: type === 'unknown' ? 'untyped' : type, help: metadata.get(name)?.help ?? '', labelNames: [...set].sort(), series: counts.get(name) ?? 0 });
  }
  return out;
}

export type Verdict = 'same' | 'missing' | 'type differs' | 'labels differ' | 'series count differs' | 'help differs';

export interface Comparison {
  name: string;
  reference: FamilyShape;
  ours?: FamilyShape;
  verdict: Verdict;
}

export function compareFamilies(reference: Map<string, FamilyShape>, ours: Map<string, FamilyShape>): Comparison[] {
  return [...reference.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((r) => {
    const o = ours.get(r.name);
    let verdict: Verdict = 'same';
    if (o === undefined) verdict = 'missing';
    else if (o.type !== r.type) verdict = 'type differs';
    else if (o.labelNames.join(',') !== r.labelNames.join(',')) verdict = 'labels differ';
    // Same machine, same moment: the same devices, CPUs and mounts must show up.
    else if (o.series !== r.series) verdict = 'series count differs';
    else if (o.help !== r.help) verdict = 'help differs';
    return { name: r.name, reference: r, ours: o, verdict };
  });
}
