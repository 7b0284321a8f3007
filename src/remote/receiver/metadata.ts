// Metric metadata received by remote write (1.0's metadata requests, 2.0's per-series metadata),
// kept per metric family: the latest type, help and unit win. Bounded, so a sender inventing
// family names cannot grow it without limit.
export type MetricType = 'unknown' | 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset';

/** The protobuf enum's numbers (the same in 1.0 and 2.0). */
const TYPES: readonly MetricType[] = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

export interface FamilyMetadata {
  type: MetricType;
  help: string;
  unit: string;
}

export const MAX_FAMILIES = 100_000;

export class ReceivedMetadata {
  private readonly families = new Map<string, FamilyMetadata>();

  constructor(private readonly maxFamilies = MAX_FAMILIES) {}

  record(list: readonly { family: string; type: number; help: string; unit: string }[]): void {
    for (const m of list) {
      if (m.family === '') continue;
      if (!this.families.has(m.family) && this.families.size >= this.maxFamilies) continue;
      this.families.set(m.family, { type: TYPES[m.type] ?? 'unknown', help: m.help, unit: m.unit });
    }
  }

  get(family: string): FamilyMetadata | undefined {
    return this.families.get(family);
  }

  get size(): number {
    return this.families.size;
  }

  entries(): IterableIterator<[string, FamilyMetadata]> {
    return this.families.entries();
  }
}
