// The native-histogram notation of Prometheus's test scripts and `promtool test rules`:
// `{{schema:1 sum:10 count:4 z_bucket:1 z_bucket_w:0.001 buckets:[1 2] offset:-1 n_buckets:[1]
// n_offset:0 custom_values:[1 5] counter_reset_hint:gauge}}`, every key optional. Each bucket list
// becomes one contiguous span starting at its offset.
import type { FloatHistogram } from '../../model/histogram.js';
import { CounterResetHint } from '../../model/histogram.js';
import { parseNumber } from '../parser/parser.js';
import { emptyHistogram } from './buckets.js';

export interface NotatedHistogram {
  h: FloatHistogram;
  /** The text spelled out `counter_reset_hint:`, so comparisons check the hint. */
  hintSpelled: boolean;
}

const HINTS: ReadonlyMap<string, CounterResetHint> = new Map([
  ['unknown', CounterResetHint.Unknown],
  ['reset', CounterResetHint.CounterReset],
  ['not_reset', CounterResetHint.NotCounterReset],
  ['gauge', CounterResetHint.Gauge],
]);

function number(text: string, key: string): number {
  const v = parseNumber(text);
  if (Number.isNaN(v) && !/^[+-]?nan$/i.test(text)) throw new Error(`bad number ${JSON.stringify(text)} for ${key} in histogram`);
  return v;
}

function integer(text: string, key: string): number {
  const v = number(text, key);
  if (!Number.isInteger(v)) throw new Error(`${key} must be an integer, got ${JSON.stringify(text)}`);
  return v;
}

function list(text: string, key: string): number[] {
  const m = /^\[(.*)\]$/.exec(text);
  if (!m) throw new Error(`${key} must be a list like [1 2 3], got ${JSON.stringify(text)}`);
  const body = m[1]!.trim();
  return body === '' ? [] : body.split(/[\s,]+/).map((x) => number(x, key));
}

/** Parses the inside of `{{ ... }}` (without the braces). */
export function parseHistogramNotation(body: string): NotatedHistogram {
  const h = emptyHistogram();
  let hintSpelled = false;
  let positive: number[] = [];
  let negative: number[] = [];
  let offset = 0;
  let negativeOffset = 0;
  const seen = new Set<string>();
  const pair = /([a-z_]+):\s*(\[[^\]]*\]|\S+)/gy;
  let rest = body.trim();
  while (rest.length > 0) {
    pair.lastIndex = 0;
    const m = pair.exec(rest);
    if (!m) throw new Error(`bad histogram item ${JSON.stringify(rest)}`);
    rest = rest.slice(m[0].length).trim();
    const [, key, value] = m as unknown as [string, string, string];
    if (seen.has(key)) throw new Error(`duplicate key ${key} in histogram`);
    seen.add(key);
    switch (key) {
      case 'schema':
        h.schema = integer(value, key);
        break;
      case 'sum':
        h.sum = number(value, key);
        break;
      case 'count':
        h.count = number(value, key);
        break;
      case 'z_bucket':
        h.zeroCount = number(value, key);
        break;
      case 'z_bucket_w':
        h.zeroThreshold = number(value, key);
        break;
      case 'buckets':
        positive = list(value, key);
        break;
      case 'n_buckets':
        negative = list(value, key);
        break;
      case 'offset':
        offset = integer(value, key);
        break;
      case 'n_offset':
        negativeOffset = integer(value, key);
        break;
      case 'custom_values':
        h.customValues = list(value, key);
        break;
      case 'counter_reset_hint': {
        const hint = HINTS.get(value);
        if (hint === undefined) throw new Error(`bad counter_reset_hint ${JSON.stringify(value)}`);
        h.counterResetHint = hint;
        hintSpelled = true;
        break;
      }
      default:
        throw new Error(`unknown histogram key ${JSON.stringify(key)}`);
    }
  }
  if (positive.length > 0) {
    h.positiveSpans = [{ offset, length: positive.length }];
    h.positiveBuckets = positive;
  }
  if (negative.length > 0) {
    h.negativeSpans = [{ offset: negativeOffset, length: negative.length }];
    h.negativeBuckets = negative;
  }
  return { h, hintSpelled };
}
