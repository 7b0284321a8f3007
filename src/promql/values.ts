// Values inside the engine. Every expression is evaluated over all steps of the query at once:
// an instant vector is a set of series, each with one value per step (typed arrays) and a flag
// per step telling whether the series has a value there.
import type { Labels } from '../model/labels.js';
import { labelsKey, setLabel } from '../model/labels.js';
import type { FloatHistogram } from '../model/histogram.js';

/**
 * One native-histogram point of a query result: the time (ms) and the histogram. Results carry
 * histogram points beside float points (InstantSample.h, RangeSeries.histograms in engine.ts);
 * a series may have both kinds at different times, never both at one time.
 */
export interface HistogramPoint {
  t: number;
  h: FloatHistogram;
}

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
  /**
   * Native-histogram samples per step. A step holds a histogram when `histograms[j]` is set; then
   * `present[j]` is 0, so code that reads only floats never mistakes a histogram for a float.
   */
  histograms?: (FloatHistogram | undefined)[];
}

export interface MatrixSeries {
  labels: Labels;
  t: number[];
  v: number[];
  dropName: boolean;
  /** Native-histogram samples of the range, in time order (beside the float samples in t/v). */
  histograms?: HistogramPoint[];
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

/** Go's strconv.FormatFloat(v, 'f', -1, 64) text used by count_values and label values. */
export { formatValue } from '../model/float.js';

export { isValidLabelName } from '../model/labels.js';
