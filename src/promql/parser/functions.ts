// The signatures of PromQL's functions and aggregations (argument types, variadic arity, result).
import type { ValueType } from './ast.js';

export interface FunctionSignature {
  name: string;
  args: ValueType[];
  /** 0: exactly `args`; n > 0: the last n args are optional; -1: the last arg repeats. */
  variadic: number;
  returns: ValueType;
  /** Needs --enable-feature=promql-experimental-functions in Prometheus. */
  experimental?: boolean;
}

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

const list: FunctionSignature[] = [];
function fn(name: string, args: ValueType[], returns: ValueType, variadic = 0, experimental = false): void {
  list.push({ name, args, variadic, returns, experimental });
}

for (const n of ['abs', 'ceil', 'floor', 'exp', 'sqrt', 'ln', 'log2', 'log10', 'sgn', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'deg', 'rad', 'timestamp', 'sort', 'sort_desc', 'absent']) fn(n, [V], V);
for (const n of ['histogram_count', 'histogram_sum', 'histogram_avg', 'histogram_stddev', 'histogram_stdvar']) fn(n, [V], V);
fn('histogram_fraction', [S, S, V], V);
fn('histogram_quantile', [S, V], V);
fn('start_timestamp', [V], V, 0, true);
fn('histogram_quantiles', [V, STR, S], V, -1, true);
for (const n of ['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year']) fn(n, [V], V, 1);
fn('round', [V, S], V, 1);
fn('clamp', [V, S, S], V);
fn('clamp_max', [V, S], V);
fn('clamp_min', [V, S], V);
fn('scalar', [V], S);
fn('vector', [S], V);
fn('time', [], S);
fn('pi', [], S);
fn('min_of', [S, S], S, 0, true);
fn('max_of', [S, S], S, 0, true);
fn('label_replace', [V, STR, STR, STR, STR], V);
fn('label_join', [V, STR, STR, STR], V, -1);
fn('sort_by_label', [V, STR], V, -1, true);
fn('sort_by_label_desc', [V, STR], V, -1, true);
for (const n of ['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'present_over_time', 'stddev_over_time', 'stdvar_over_time', 'absent_over_time']) fn(n, [M], V);
for (const n of ['mad_over_time', 'first_over_time', 'ts_of_min_over_time', 'ts_of_max_over_time', 'ts_of_first_over_time', 'ts_of_last_over_time']) fn(n, [M], V, 0, true);
fn('quantile_over_time', [S, M], V);
fn('predict_linear', [M, S], V);
fn('holt_winters', [M, S, S], V);
fn('double_exponential_smoothing', [M, S, S], V, 0, true);
fn('info', [V, V], V, 1, true);
fn('start_timestamp', [V], V, 0, true);
for (const n of ['start', 'end', 'range', 'step']) fn(n, [], S, 0, true);

export const FUNCTIONS: ReadonlyMap<string, FunctionSignature> = new Map(list.map((f) => [f.name, f]));

/** Aggregation operators; those with a parameter name its type. */
export const AGGREGATIONS: ReadonlyMap<string, { param: ValueType | undefined; experimental?: boolean }> = new Map([
  ['sum', { param: undefined }],
  ['avg', { param: undefined }],
  ['count', { param: undefined }],
  ['min', { param: undefined }],
  ['max', { param: undefined }],
  ['group', { param: undefined }],
  ['stddev', { param: undefined }],
  ['stdvar', { param: undefined }],
  ['topk', { param: 'scalar' }],
  ['bottomk', { param: 'scalar' }],
  ['quantile', { param: 'scalar' }],
  ['count_values', { param: 'string' }],
  ['limitk', { param: 'scalar', experimental: true }],
  ['limit_ratio', { param: 'scalar', experimental: true }],
]);
