// The native-histogram notation of Prometheus's test scripts (`{{schema:0 sum:5 count:4
// buckets:[1 2 1]}}`, repeated with `xN`, generated with `{{A}}+{{B}}xN` / `{{A}}-{{B}}xN`),
// as /work/shared/conformance/promql/FORMAT.md §2.2 describes it. Every histogram of the
// notation is a float histogram; each bucket list is one contiguous span.
import { CounterResetHint, CUSTOM_BUCKETS_SCHEMA } from '../model/histogram.js';
import type { BucketSpan, FloatHistogram } from '../model/histogram.js';
import { parseNumber } from './parser/parser.js';

/** A parsed `{{…}}` and whether it spelled out its counter-reset hint. */
export interface NotationHistogram {
  h: FloatHistogram;
  hintSpelled: boolean;
}

const HINTS = new Map<string, CounterResetHint>([
  ['unknown', CounterResetHint.Unknown],
  ['reset', CounterResetHint.CounterReset],
  ['not_reset', CounterResetHint.NotCounterReset],
  ['gauge', CounterResetHint.Gauge],
]);

const KEYS = new Set(['schema', 'sum', 'count', 'z_bucket', 'z_bucket_w', 'buckets', 'offset', 'n_buckets', 'n_offset', 'custom_values', 'counter_reset_hint']);

function numberList(text: string, key: string): number[] {
  const inner = /^\[(.*)\]$/.exec(text);
  if (!inner) throw new Error(`histogram ${key} must be a [list], got ${JSON.stringify(text)}`);
  return inner[1]!
    .trim()
    .split(/\s+/)
    .filter((x) => x !== '')
    .map((x) => parseNumber(x));
}

function integer(text: string, key: string): number {
  const v = Number(text);
  if (!Number.isInteger(v)) throw new Error(`histogram ${key} must be an integer, got ${JSON.stringify(text)}`);
  return v;
}

/** Parses one `{{…}}` (the braces included). */
export function parseHistogramNotation(text: string): NotationHistogram {
  const m = /^\{\{(.*)\}\}$/s.exec(text.trim());
  if (!m) throw new Error(`not a histogram: ${JSON.stringify(text)}`);
  const fields = new Map<string, string>();
  const re = /\s*([a-z_]+):(\[[^\]]*\]|\S+)\s*/gy;
  let consumed = 0;
  for (let f = re.exec(m[1]!); f; f = re.exec(m[1]!)) {
    const key = f[1]!;
    if (!KEYS.has(key)) throw new Error(`unknown histogram field ${JSON.stringify(key)} in ${text}`);
    if (fields.has(key)) throw new Error(`histogram field ${key} given twice in ${text}`);
    fields.set(key, f[2]!);
    consumed = re.lastIndex;
  }
  if (m[1]!.slice(consumed).trim() !== '') throw new Error(`cannot read ${JSON.stringify(m[1]!.slice(consumed).trim())} in histogram ${text}`);
  const get = (k: string) => fields.get(k);
  const hintText = get('counter_reset_hint');
  const hint = hintText === undefined ? CounterResetHint.Unknown : HINTS.get(hintText);
  if (hint === undefined) throw new Error(`counter_reset_hint ${JSON.stringify(hintText)} is not unknown, reset, not_reset or gauge`);
  const span = (buckets: number[], offset: number): BucketSpan[] => (buckets.length > 0 ? [{ offset, length: buckets.length }] : []);
  const positiveBuckets = get('buckets') === undefined ? [] : numberList(get('buckets')!, 'buckets');
  const negativeBuckets = get('n_buckets') === undefined ? [] : numberList(get('n_buckets')!, 'n_buckets');
  const schema = get('schema') === undefined ? 0 : integer(get('schema')!, 'schema');
  const h: FloatHistogram = {
    counterResetHint: hint,
    schema,
    zeroThreshold: get('z_bucket_w') === undefined ? 0 : parseNumber(get('z_bucket_w')!),
    zeroCount: get('z_bucket') === undefined ? 0 : parseNumber(get('z_bucket')!),
    count: get('count') === undefined ? 0 : parseNumber(get('count')!),
    sum: get('sum') === undefined ? 0 : parseNumber(get('sum')!),
    positiveSpans: span(positiveBuckets, get('offset') === undefined ? 0 : integer(get('offset')!, 'offset')),
    positiveBuckets,
    negativeSpans: span(negativeBuckets, get('n_offset') === undefined ? 0 : integer(get('n_offset')!, 'n_offset')),
    negativeBuckets,
    customValues: get('custom_values') === undefined ? [] : numberList(get('custom_values')!, 'custom_values'),
  };
  return { h, hintSpelled: hintText !== undefined };
}

/** Bucket index i at `from` in the coarser schema `to` (Prometheus's reduction of resolution). */
function reducedIndex(i: number, from: number, to: number): number {
  return ((i - 1) >> (from - to)) + 1;
}

/** index -> count of one side of a histogram, at schema `to`. */
function bucketMap(spans: readonly BucketSpan[], buckets: readonly number[], from: number, to: number, sign: number, into: Map<number, number>): void {
  let idx = 0;
  let k = 0;
  spans.forEach((s, n) => {
    idx = n === 0 ? s.offset : idx + s.offset;
    for (let j = 0; j < s.length; j++, idx++, k++) {
      const at = from === to ? idx : reducedIndex(idx, from, to);
      into.set(at, (into.get(at) ?? 0) + sign * buckets[k]!);
    }
  });
}

function fromMap(m: Map<number, number>): { spans: BucketSpan[]; buckets: number[] } {
  const idx = [...m.keys()].sort((a, b) => a - b);
  const spans: BucketSpan[] = [];
  let end = 0;
  idx.forEach((i, k) => {
    if (k > 0 && i === end) spans[spans.length - 1]!.length++;
    else spans.push({ offset: k === 0 ? i : i - end, length: 1 });
    end = i + 1;
  });
  return { spans, buckets: idx.map((i) => m.get(i)!) };
}

/** a + sign·b, at the coarser of the two schemas (custom buckets must have the same bounds). */
export function combineHistograms(a: FloatHistogram, b: FloatHistogram, sign: 1 | -1): FloatHistogram {
  const custom = a.schema === CUSTOM_BUCKETS_SCHEMA || b.schema === CUSTOM_BUCKETS_SCHEMA;
  if (custom && (a.schema !== b.schema || a.customValues.join() !== b.customValues.join())) throw new Error('histograms with different custom buckets cannot be added');
  const schema = custom ? CUSTOM_BUCKETS_SCHEMA : Math.min(a.schema, b.schema);
  const pos = new Map<number, number>();
  const neg = new Map<number, number>();
  for (const [h, s] of [[a, 1], [b, sign]] as const) {
    const from = custom ? schema : h.schema;
    bucketMap(h.positiveSpans, h.positiveBuckets, from, schema, s, pos);
    bucketMap(h.negativeSpans, h.negativeBuckets, from, schema, s, neg);
  }
  const p = fromMap(pos);
  const n = fromMap(neg);
  return {
    counterResetHint: a.counterResetHint,
    schema,
    zeroThreshold: Math.max(a.zeroThreshold, b.zeroThreshold),
    zeroCount: a.zeroCount + sign * b.zeroCount,
    count: a.count + sign * b.count,
    sum: a.sum + sign * b.sum,
    positiveSpans: p.spans,
    positiveBuckets: p.buckets,
    negativeSpans: n.spans,
    negativeBuckets: n.buckets,
    customValues: [...a.customValues],
  };
}

/**
 * One histogram item of a value sequence: `{{A}}`, `{{A}}xN` (N+1 copies) or `{{A}}+{{B}}xN` /
 * `{{A}}-{{B}}xN` (A, A±B, …, N+1 values). Generated values take B's hint when B spells one
 * out (else A's when A is a gauge, else unknown), so the storage detects resets itself.
 */
export function expandHistogramItem(item: string): FloatHistogram[] {
  const m = /^(\{\{[^}]*\}\})(?:([+-])(\{\{[^}]*\}\}))?(?:x(\d+))?$/.exec(item.trim());
  if (!m) throw new Error(`bad histogram item ${JSON.stringify(item)}`);
  const a = parseHistogramNotation(m[1]!);
  const times = m[4] === undefined ? 0 : Number(m[4]);
  if (!m[2]) return Array.from({ length: times + 1 }, () => ({ ...a.h }));
  const b = parseHistogramNotation(m[3]!);
  const hint = b.hintSpelled ? b.h.counterResetHint : a.h.counterResetHint === CounterResetHint.Gauge ? CounterResetHint.Gauge : CounterResetHint.Unknown;
  const out: FloatHistogram[] = [a.h];
  let cur = a.h;
  for (let i = 0; i < times; i++) {
    cur = { ...combineHistograms(cur, b.h, m[2] === '-' ? -1 : 1), counterResetHint: hint };
    out.push(cur);
  }
  return out;
}
