// Writing one `load` / `load_with_nhcb` block of a PromQL test script into the native storage
// (shared/conformance/promql/FORMAT.md, sections 2-2.3): floats (stale markers bit-exact),
// native histograms, start timestamps, and for load_with_nhcb the custom-bucket histograms that
// Prometheus's converter makes of classic `_bucket`/`_count`/`_sum` series.
import type { Storage } from '../../src/storage/index.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { CUSTOM_BUCKETS_SCHEMA, CounterResetHint } from '../../src/model/histogram.js';
import type { Labels } from '../../src/model/labels.js';
import { labelsKey, setLabel } from '../../src/model/labels.js';
import { STALE } from '../../src/promql/series-notation.js';
import type { SequenceHistogram } from '../../src/promql/series-notation.js';

export interface LoadSeries {
  labels: Labels;
  values: (number | typeof STALE | undefined)[];
  /** Native histograms at their positions (undefined elsewhere). */
  histograms: (SequenceHistogram | undefined)[];
  /** Start-timestamp offsets from each sample's own time (a `name@st` line before the values). */
  startOffsets?: (number | undefined)[];
}

const STALE_BITS = 0x7ff0000000000002n;

/** Appends the block's samples: each series' runs of floats and of histograms in time order. */
export function appendBlock(storage: Storage, interval: number, series: readonly LoadSeries[]): void {
  const refs = storage.seriesRefs(series.map((s) => s.labels));
  // All floats of series without histograms in one call, as the common case.
  const plain = series.map((s, k) => [s, k] as const).filter(([s]) => !s.histograms.some((h) => h));
  appendFloats(storage, interval, plain.map(([s, k]) => ({ s, ref: refs[k]!, from: 0, to: s.values.length })));
  series.forEach((s, k) => {
    if (!s.histograms.some((h) => h)) return;
    const n = Math.max(s.values.length, s.histograms.length);
    let i = 0;
    while (i < n) {
      const isHistogram = s.histograms[i] !== undefined;
      let j = i;
      while (j < n && (s.histograms[j] !== undefined) === isHistogram) j++;
      if (isHistogram) {
        const ts: number[] = [];
        const hs: FloatHistogram[] = [];
        const sts: number[] = [];
        for (let x = i; x < j; x++) {
          ts.push(x * interval);
          hs.push(s.histograms[x]!.h);
          const offset = s.startOffsets?.[x];
          sts.push(offset === undefined ? 0 : x * interval + offset);
        }
        storage.appendHistograms(new Uint32Array(hs.length).fill(refs[k]!), Float64Array.from(ts), hs, Float64Array.from(sts));
      } else appendFloats(storage, interval, [{ s, ref: refs[k]!, from: i, to: j }]);
      i = j;
    }
  });
}

function appendFloats(storage: Storage, interval: number, parts: { s: LoadSeries; ref: number; from: number; to: number }[]): void {
  let total = 0;
  for (const p of parts) for (let i = p.from; i < p.to; i++) if (p.s.values[i] !== undefined) total++;
  if (total === 0) return;
  // Typed arrays written directly: a JS number array would quiet the stale NaN's bits.
  const r = new Uint32Array(total);
  const ts = new Float64Array(total);
  const vs = new Float64Array(total);
  const sts = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    for (let i = p.from; i < p.to; i++) {
      const v = p.s.values[i];
      if (v === undefined) continue;
      r[at] = p.ref;
      ts[at] = i * interval;
      const offset = p.s.startOffsets?.[i];
      if (offset !== undefined) sts[at] = ts[at]! + offset;
      if (v === STALE) new BigUint64Array(vs.buffer, at * 8, 1)[0] = STALE_BITS;
      else vs[at] = v;
      at++;
    }
  }
  storage.append(r, ts, vs, sts);
}

interface ClassicParts {
  labels: Labels;
  buckets: Map<number, number>[];
  count: (number | undefined)[];
  sum: (number | undefined)[];
}

function parseLe(text: string): number | undefined {
  if (/^\+?inf$/i.test(text.trim())) return Infinity;
  const v = Number(text.trim());
  return text.trim() === '' || Number.isNaN(v) ? undefined : v;
}

/**
 * The custom-bucket histogram series load_with_nhcb adds: classic `_bucket` (numeric `le`),
 * `_count` and `_sum` series grouped by base name and other labels, one histogram per position
 * that has buckets (without a +Inf bucket the last bound closes the histogram). Bucket counts
 * are the differences of the cumulative values.
 */
export function nhcbSeries(series: readonly LoadSeries[]): LoadSeries[] {
  const groups = new Map<string, ClassicParts>();
  const group = (l: Labels, base: string): ClassicParts => {
    const labels: Labels = {};
    for (const k of Object.keys(l)) if (k !== 'le' && k !== '__name__') setLabel(labels, k, l[k]!);
    setLabel(labels, '__name__', base);
    const key = labelsKey(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, buckets: [], count: [], sum: [] }));
    return g;
  };
  for (const s of series) {
    const name = s.labels['__name__'] ?? '';
    const m = /^(.*)_(bucket|count|sum)$/.exec(name);
    if (!m) continue;
    if (m[2] === 'bucket') {
      const le = parseLe(s.labels['le'] ?? '');
      if (le === undefined || Number.isNaN(le)) continue;
      const g = group(s.labels, m[1]!);
      s.values.forEach((v, i) => {
        if (typeof v !== 'number') return;
        // Spellings of one bound (`0.2`, `2e-1`) are one bucket; the later line wins.
        (g.buckets[i] ??= new Map()).set(le, v);
      });
    } else {
      const g = group(s.labels, m[1]!);
      s.values.forEach((v, i) => {
        if (typeof v === 'number') (m[2] === 'count' ? g.count : g.sum)[i] = v;
      });
    }
  }
  const out: LoadSeries[] = [];
  for (const g of groups.values()) {
    const histograms: (SequenceHistogram | undefined)[] = [];
    g.buckets.forEach((b, i) => {
      if (!b) return;
      const bounds = [...b.keys()].sort((x, y) => x - y);
      const counts: number[] = [];
      let prev = 0;
      for (const le of bounds) {
        const c = b.get(le)!;
        counts.push(c - prev);
        prev = c;
      }
      const h: FloatHistogram = {
        counterResetHint: CounterResetHint.Unknown,
        schema: CUSTOM_BUCKETS_SCHEMA,
        zeroThreshold: 0,
        zeroCount: 0,
        count: g.count[i] ?? prev,
        sum: g.sum[i] ?? 0,
        positiveSpans: [{ offset: 0, length: counts.length }],
        positiveBuckets: counts,
        negativeSpans: [],
        negativeBuckets: [],
        customValues: bounds.filter((x) => x !== Infinity),
      };
      histograms[i] = { h, hintSpelled: false };
    });
    if (histograms.some((h) => h)) out.push({ labels: g.labels, values: [], histograms });
  }
  return out;
}
