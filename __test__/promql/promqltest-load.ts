// The `load` side of the PromQL test-script runner (FORMAT.md §2): series of floats, stale
// markers and native histograms appended to the storage, and `load_with_nhcb`'s conversion of
// classic histograms to native histograms with custom buckets (§2.3).
import type { Storage } from '../../src/storage/index.js';
import { CounterResetHint, CUSTOM_BUCKETS_SCHEMA } from '../../src/model/histogram.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import type { Labels } from '../../src/model/labels.js';
import { labelsKey } from '../../src/model/labels.js';
import { STALE } from '../../src/promql/series-notation.js';
import type { LoadValue } from '../../src/promql/series-notation.js';

export interface LoadSeries {
  labels: Labels;
  values: LoadValue[];
  /** Start-timestamp offsets from each sample's own time (a `name@st` line before the values). */
  startOffsets?: (number | undefined)[];
}

const STALE_BITS = 0x7ff0000000000002n;

function isHistogram(v: LoadValue): v is FloatHistogram {
  return typeof v === 'object';
}

/** Float samples as typed arrays, written directly: a JS number array would quiet the stale NaN's bits. */
class FloatBatch {
  readonly refs: Uint32Array;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  readonly sts: Float64Array;
  n = 0;

  constructor(size: number) {
    this.refs = new Uint32Array(size);
    this.ts = new Float64Array(size);
    this.vs = new Float64Array(size);
    this.sts = new Float64Array(size);
  }

  push(ref: number, t: number, v: number | typeof STALE, startOffset: number | undefined): void {
    this.refs[this.n] = ref;
    this.ts[this.n] = t;
    if (startOffset !== undefined) this.sts[this.n] = t + startOffset;
    if (v === STALE) new BigUint64Array(this.vs.buffer, this.n * 8, 1)[0] = STALE_BITS;
    else this.vs[this.n] = v;
    this.n++;
  }

  appendTo(storage: Storage): void {
    if (this.n > 0) storage.append(this.refs.subarray(0, this.n), this.ts.subarray(0, this.n), this.vs.subarray(0, this.n), this.sts.subarray(0, this.n));
    this.n = 0;
  }
}

/**
 * Appends a load block. Float-only series go in one call; a series holding histograms goes
 * run by run (floats, then histograms, then floats...), so that its samples reach the head in
 * time order whatever their kind.
 */
export function appendLoad(storage: Storage, series: readonly LoadSeries[], interval: number): void {
  const refs = storage.seriesRefs(series.map((s) => s.labels));
  let floats = 0;
  for (const s of series) if (!s.values.some(isHistogram)) for (const v of s.values) if (v !== undefined) floats++;
  const bulk = new FloatBatch(floats);
  series.forEach((s, k) => {
    if (s.values.some(isHistogram)) return;
    s.values.forEach((v, i) => {
      if (v !== undefined && !isHistogram(v)) bulk.push(refs[k]!, i * interval, v, s.startOffsets?.[i]);
    });
  });
  bulk.appendTo(storage);
  series.forEach((s, k) => {
    if (!s.values.some(isHistogram)) return;
    const ref = refs[k]!;
    const run = new FloatBatch(s.values.length);
    let hRefs: number[] = [];
    let hTs: number[] = [];
    let hSts: number[] = [];
    let hs: FloatHistogram[] = [];
    const flushHistograms = () => {
      if (hs.length > 0) storage.appendHistograms(Uint32Array.from(hRefs), Float64Array.from(hTs), hs, Float64Array.from(hSts));
      [hRefs, hTs, hSts, hs] = [[], [], [], []];
    };
    s.values.forEach((v, i) => {
      if (v === undefined) return;
      if (isHistogram(v)) {
        run.appendTo(storage);
        hRefs.push(ref);
        hTs.push(i * interval);
        const offset = s.startOffsets?.[i];
        hSts.push(offset === undefined ? 0 : i * interval + offset);
        hs.push(v);
      } else {
        flushHistograms();
        run.push(ref, i * interval, v, s.startOffsets?.[i]);
      }
    });
    run.appendTo(storage);
    flushHistograms();
  });
}

/**
 * `load_with_nhcb`: classic histograms (`<base>_bucket` with a numeric `le`, `<base>_count`,
 * `<base>_sum`) grouped by base name and other labels become one custom-bucket histogram per
 * timestamp in the series `<base>{other labels}`; the float series stay as they are.
 */
export function nhcbSeries(series: readonly LoadSeries[]): LoadSeries[] {
  interface Group {
    labels: Labels;
    buckets: Map<number, LoadValue[]>;
    count?: LoadValue[];
    sum?: LoadValue[];
  }
  const groups = new Map<string, Group>();
  const groupOf = (labels: Labels, base: string): Group => {
    const rest: Labels = Object.create(null) as Labels;
    for (const [k, v] of Object.entries(labels)) if (k !== 'le' && k !== '__name__') rest[k] = v;
    rest['__name__'] = base;
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels: rest, buckets: new Map() }));
    return g;
  };
  for (const s of series) {
    const name = s.labels['__name__'] ?? '';
    let m: RegExpExecArray | null;
    if ((m = /^(.*)_bucket$/.exec(name))) {
      const le = Number(s.labels['le'] === '+Inf' ? Infinity : s.labels['le']);
      if (s.labels['le'] === undefined || Number.isNaN(le) || s.labels['le']!.trim() === '') continue;
      groupOf(s.labels, m[1]!).buckets.set(le, s.values);
    } else if ((m = /^(.*)_count$/.exec(name))) groupOf(s.labels, m[1]!).count = s.values;
    else if ((m = /^(.*)_sum$/.exec(name))) groupOf(s.labels, m[1]!).sum = s.values;
  }
  const out: LoadSeries[] = [];
  for (const g of groups.values()) {
    if (g.buckets.size === 0) continue;
    const bounds = [...g.buckets.keys()].sort((a, b) => a - b);
    const finite = bounds.filter((b) => Number.isFinite(b));
    const length = Math.max(...[...g.buckets.values(), g.count ?? [], g.sum ?? []].map((v) => v.length));
    const values: LoadValue[] = [];
    for (let i = 0; i < length; i++) {
      const at = (v: LoadValue[] | undefined): LoadValue => v?.[i];
      const cums = bounds.map((b) => at(g.buckets.get(b)));
      if (cums.some((c) => c === STALE) || at(g.count) === STALE) {
        values.push(STALE);
        continue;
      }
      if (cums.some((c) => typeof c !== 'number')) {
        values.push(undefined);
        continue;
      }
      const cum = cums as number[];
      const perBucket = cum.map((c, k) => (k === 0 ? c : c - cum[k - 1]!));
      // Without a +Inf bucket the last bucket still counts what the count says lies above.
      const last = cum[cum.length - 1] ?? 0;
      const count = typeof at(g.count) === 'number' ? (at(g.count) as number) : last;
      if (Number.isFinite(bounds[bounds.length - 1]!)) perBucket.push(Math.max(0, count - last));
      values.push({
        counterResetHint: CounterResetHint.Unknown,
        schema: CUSTOM_BUCKETS_SCHEMA,
        zeroThreshold: 0,
        zeroCount: 0,
        count,
        sum: typeof at(g.sum) === 'number' ? (at(g.sum) as number) : 0,
        positiveSpans: [{ offset: 0, length: perBucket.length }],
        positiveBuckets: perBucket,
        negativeSpans: [],
        negativeBuckets: [],
        customValues: finite,
      });
    }
    out.push({ labels: g.labels, values });
  }
  return out;
}
