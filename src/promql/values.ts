// Values inside the engine. Every expression is evaluated over all steps of the query at once:
// an instant vector is a set of series, each with one value per step (typed arrays) and a flag
// per step telling whether the series has a value there.
import type { Labels } from '../model/labels.js';
import { labelsKey, setLabel } from '../model/labels.js';

export interface Series {
  labels: Labels;
  values: Float64Array;
  present: Uint8Array;
  /** The metric name is to be removed from the result (delayed name removal). */
  dropName: boolean;
  /** Sample timestamps (ms) per step, for timestamp() directly over a selector. */
  timestamps?: Float64Array;
  /** The samples' start timestamps (ms, 0 = none) per step, for start_timestamp() directly over a selector. */
  starts?: Float64Array;
}

export interface MatrixSeries {
  labels: Labels;
  t: number[];
  v: number[];
  dropName: boolean;
}

export type Value =
  | { kind: 'scalar'; values: Float64Array }
  | { kind: 'string'; value: string }
  | { kind: 'vector'; series: Series[] }
  | { kind: 'matrix'; series: MatrixSeries[] };

/** An error with Prometheus's error type (for the HTTP API's errorType). */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly errorType: 'bad_data' | 'execution' | 'timeout' | 'canceled' = 'execution',
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

export function newSeries(labels: Labels, n: number, dropName = false): Series {
  return { labels, values: new Float64Array(n), present: new Uint8Array(n), dropName };
}

/** The labels without the metric name and its metadata (__type__, __unit__), as Prometheus drops them together. */
export function withoutName(l: Labels): Labels {
  if (!('__name__' in l) && !('__type__' in l) && !('__unit__' in l)) return l;
  const out: Labels = {};
  for (const k of Object.keys(l)) if (k !== '__name__' && k !== '__type__' && k !== '__unit__') setLabel(out, k, l[k]!);
  return out;
}

/** Labels as the engine shows them: sorted, metric name first, like Prometheus prints. */
export function formatLabelsForError(l: Labels): string {
  const keys = Object.keys(l).sort();
  return `{${keys.map((k) => `${k}=${JSON.stringify(l[k])}`).join(', ')}}`;
}

export { labelsKey };

/** Go's strconv.FormatFloat(v, 'f', -1, 64)-like text used by count_values and label values. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  if (!/e/.test(s)) return s;
  // Expand exponent notation into plain digits, as Go's 'f' format does.
  const [mant, expText] = s.split('e') as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const point = (mant.replace('-', '').indexOf('.') === -1 ? mant.replace('-', '').length : mant.replace('-', '').indexOf('.')) + exp;
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (neg ? '-' : '') + out;
}

/** A label name Prometheus 3 accepts: non-empty, well-formed UTF-8 (no lone surrogates). */
export function isValidLabelName(n: string): boolean {
  if (n.length === 0) return false;
  try {
    encodeURIComponent(n);
    return true;
  } catch {
    return false;
  }
}
