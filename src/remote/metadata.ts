// Metric metadata for remote write: the TYPE, HELP and UNIT the scrape targets exposed, looked up
// by a series' metric name (2.0 carries it per series), and the 1.0 metadata request that
// metadata_config sends every send_interval (WriteRequest.metadata, field 3).
import type { SeriesMetadata } from '../storage/index.js';

/** Both protocols number metric types the same way. */
const TYPE_CODES: Record<string, number> = { counter: 1, gauge: 2, histogram: 3, gaugehistogram: 4, summary: 5, info: 6, stateset: 7 };

export interface FamilyMetadataLike {
  type: string;
  help: string;
  unit: string;
}

/** Family name → metadata (the first target's wins, as Prometheus's metadata watcher keeps one). */
export function metadataIndex(families: Iterable<readonly [string, FamilyMetadataLike]>): Map<string, SeriesMetadata> {
  const out = new Map<string, SeriesMetadata>();
  for (const [name, m] of families) if (!out.has(name)) out.set(name, { type: TYPE_CODES[m.type] ?? 0, help: m.help, unit: m.unit });
  return out;
}

const SUFFIXES = ['_total', '_bucket', '_sum', '_count', '_created', '_info', '_gsum', '_gcount'];

/** A series' metadata by its metric name, trying the family name without the sample suffixes. */
export function lookupMetadata(index: ReadonlyMap<string, SeriesMetadata>, metricName: string): SeriesMetadata | undefined {
  const direct = index.get(metricName);
  if (direct !== undefined) return direct;
  for (const s of SUFFIXES) if (metricName.endsWith(s)) return index.get(metricName.slice(0, -s.length));
  return undefined;
}

function varint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function field(out: number[], n: number, bytes: Uint8Array | number[]): void {
  varint(out, (n << 3) | 2);
  varint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

/** `WriteRequest { repeated MetricMetadata metadata = 3; }`, `MetricMetadata { type = 1; metric_family_name = 2; help = 4; unit = 5; }`. */
export function encodeMetadataRequest(families: readonly (readonly [string, SeriesMetadata])[]): Uint8Array {
  const enc = new TextEncoder();
  const out: number[] = [];
  for (const [name, m] of families) {
    const md: number[] = [];
    if (m.type !== 0) {
      md.push(1 << 3);
      varint(md, m.type);
    }
    field(md, 2, enc.encode(name));
    if (m.help !== '') field(md, 4, enc.encode(m.help));
    if (m.unit !== '') field(md, 5, enc.encode(m.unit));
    field(out, 3, md);
  }
  return Uint8Array.from(out);
}
