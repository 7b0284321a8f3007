// The PromQL engine: evaluates a parsed expression over all steps of a query at once. Selectors
// and range functions are one native call per selection (src/storage); functions, aggregations
// and binary operators work on per-series typed arrays.
import type { Labels } from '../model/labels.js';
import { labelsKey } from '../model/labels.js';
import type { LabelMatcher } from '../storage/matchers.js';
import type { Selection, Steps } from '../storage/storage.js';
import { evalRangeSamples } from '../storage/storage.js';
import type { NativeMatrix, NativeSamples } from '../storage/native.js';
import type { AtModifier, Call, DurationExpr, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from './parser/ast.js';
import { parseExpr } from './parser/parser.js';
import { typeOf } from './parser/check.js';
import type { ParseOptions } from './parser/parser.js';
import { KERNEL_FUNCTIONS } from './kernel-functions.js';
import { evalAggregation } from './aggregate.js';
import { evalBinary } from './binary.js';
import { evalInstantFunction } from './instant-functions.js';
import { QueryError, newSeries, withoutName } from './values.js';
import { CELL_BYTES, TIMED_OUT, TOO_MANY_SAMPLES, reserveCells, runLimited } from './limits.js';
import { reserveQueryMemory } from '../storage/query-limits.js';
import type { MatrixSeries, Series, Value } from './values.js';

export { QueryError } from './values.js';

/** What the engine reads: the native storage, or anything shaped like it. */
export interface Queryable {
  select(matchers: readonly LabelMatcher[], mint: number, maxt: number): Selection;
}

export type RangeKernel = (fn: string, params: number[], samples: NativeSamples, steps: Steps, rangeMs: number) => NativeMatrix;

export interface EngineOptions {
  /** --query.lookback-delta (default 5m). */
  lookbackDeltaMs?: number;
  /** --query.max-samples (default 50,000,000). */
  maxSamples?: number;
  /** --query.timeout (default 2m): JavaScript steps and native loops stop once it passed. */
  timeoutMs?: number;
  /**
   * --query.max-memory: bytes one query may allocate for its matrices and results (default 0: no
   * budget). Checked before the allocations it covers; past it the query fails (422 `execution`).
   */
  maxMemoryBytes?: number;
  /** A token from `newCancelToken` (src/storage) another thread may cancel the query with. */
  cancelToken?: number;
  /** Resolution of subqueries without a step (Prometheus: the global evaluation interval). */
  defaultSubqueryStepMs?: number;
  /** Keep __name__ until the end of evaluation (promql-delayed-name-removal). */
  delayedNameRemoval?: boolean;
  /** Range functions over in-memory samples (subqueries); the native addon's by default. */
  rangeKernel?: RangeKernel;
  /** Gated language features (Prometheus's --enable-feature); all on by default. */
  features?: ParseOptions;
  /**
   * use-start-timestamps: rate, increase, irate and resets read the samples' start timestamps
   * (resets they mark; a start inside the window replaces extrapolation). Off by default, as in Prometheus.
   */
  useStartTimestamps?: boolean;
}

export interface InstantSample {
  metric: Labels;
  /** ms */
  t: number;
  value: number;
}

export interface RangeSeries {
  metric: Labels;
  /** ms timestamps and values */
  t: number[];
  v: number[];
}

export type QueryResult =
  | { resultType: 'vector'; result: InstantSample[]; warnings: string[]; infos: string[] }
  | { resultType: 'matrix'; result: RangeSeries[]; warnings: string[]; infos: string[] }
  | { resultType: 'scalar'; result: { t: number; value: number }; warnings: string[]; infos: string[] }
  | { resultType: 'string'; result: { t: number; value: string }; warnings: string[]; infos: string[] };

/** Evaluation state of one query (or of a subquery's inner range). */
export interface Ctx {
  start: number;
  end: number;
  /** 0 for instant queries. */
  step: number;
  n: number;
  /** The outermost query's range and step, for @ start()/end(), step() and range(). */
  queryStart: number;
  queryEnd: number;
  queryStep: number;
  engine: EvalEnv;
}

export interface EvalEnv {
  storage: Queryable;
  lookback: number;
  maxSamples: number;
  defaultSubqueryStep: number;
  delayedNameRemoval: boolean;
  deadline: number;
  maxBytes: number;
  samples: number;
  warnings: Set<string>;
  infos: Set<string>;
  rangeKernel: RangeKernel;
  useStartTimestamps: boolean;
}

export function stepTime(ctx: Ctx, i: number): number {
  return ctx.start + i * ctx.step;
}

function checkDeadline(env: EvalEnv): void {
  if (Date.now() > env.deadline) throw new QueryError(TIMED_OUT, 'timeout');
}

function countSamples(env: EvalEnv, n: number): void {
  env.samples += n;
  if (env.samples > env.maxSamples) throw new QueryError(TOO_MANY_SAMPLES, 'execution');
}

/** Evaluates a duration expression to milliseconds. */
export function durationMs(d: DurationExpr, ctx: Ctx): number {
  const seconds = (e: DurationExpr): number => {
    switch (e.kind) {
      case 'number':
        return e.seconds;
      case 'neg':
        return -seconds(e.expr);
      case 'fn':
        return e.name === 'step' ? ctx.queryStep / 1000 : (ctx.queryEnd - ctx.queryStart) / 1000;
      case 'minmax': {
        const vals = e.args.map(seconds);
        return e.name === 'min' ? Math.min(...vals) : Math.max(...vals);
      }
      case 'binary': {
        const a = seconds(e.lhs);
        const b = seconds(e.rhs);
        switch (e.op) {
          case '+':
            return a + b;
          case '-':
            return a - b;
          case '*':
            return a * b;
          case '/':
            if (b === 0) throw new QueryError('division by zero in duration expression', 'bad_data');
            return a / b;
          case '%':
            if (b === 0) throw new QueryError('modulo by zero in duration expression', 'bad_data');
            return a % b;
          case '^':
            return a ** b;
        }
      }
    }
  };
  const s = seconds(d);
  if (!Number.isFinite(s)) throw new QueryError(`duration expression evaluates to ${s}`, 'bad_data');
  return Math.round(s * 1000);
}

function atTime(at: AtModifier | undefined, ctx: Ctx): number | undefined {
  if (!at) return undefined;
  if (at.kind === 'start') return ctx.queryStart;
  if (at.kind === 'end') return ctx.queryEnd;
  return durationMs(at.seconds, ctx);
}

/** The storage steps a selector reads, with offset and @ applied. */
function selectorSteps(ctx: Ctx, offset: number, at: number | undefined): { steps: Steps; fixed: boolean } {
  if (at !== undefined) return { steps: { start: at - offset, end: at - offset, step: 1 }, fixed: true };
  return { steps: { start: ctx.start - offset, end: ctx.end - offset, step: ctx.step || 1 }, fixed: false };
}

function replicate<T extends Float64Array | Uint8Array>(src: T, at: number, n: number, make: (n: number) => T): T {
  const out = make(n);
  out.fill(src[at] as never);
  return out;
}

/** A vector selector's series; `withStarts` also reads the samples' start timestamps (not for `smoothed`). */
export function evalVectorSelector(vs: VectorSelector, ctx: Ctx, withStarts = false): Series[] {
  const env = ctx.engine;
  const offset = vs.offset ? durationMs(vs.offset, ctx) : 0;
  const { steps, fixed } = selectorSteps(ctx, offset, atTime(vs.at, ctx));
  const sel = env.storage.select(vs.matchers, steps.start - env.lookback + (vs.smoothed ? 0 : 1), steps.end + (vs.smoothed ? env.lookback : 0));
  const m: Required<NativeMatrix> & { starts?: Float64Array } = vs.smoothed ? sel.instant(steps, env.lookback, 'smoothed') : withStarts ? sel.instantWithStartTimestamps(steps, env.lookback) : sel.instant(steps, env.lookback);
  const labels = sel.labels;
  const k = fixed ? 1 : ctx.n;
  if (fixed) reserveCells(labels.length, ctx.n, env.maxSamples, CELL_BYTES + 8);
  const out: Series[] = [];
  let loaded = 0;
  for (let i = 0; i < labels.length; i++) {
    let values = m.values.subarray(i * k, (i + 1) * k);
    let present = m.present.subarray(i * k, (i + 1) * k);
    let timestamps = m.timestamps.subarray(i * k, (i + 1) * k);
    let starts = m.starts?.subarray(i * k, (i + 1) * k);
    if (fixed) {
      values = replicate(values, 0, ctx.n, (n) => new Float64Array(n));
      present = replicate(present, 0, ctx.n, (n) => new Uint8Array(n));
      timestamps = replicate(timestamps, 0, ctx.n, (n) => new Float64Array(n));
      if (starts) starts = replicate(starts, 0, ctx.n, (n) => new Float64Array(n));
    }
    for (let j = 0; j < present.length; j++) loaded += present[j]!;
    out.push({ labels: labels[i]!, values, present, dropName: false, timestamps, ...(starts ? { starts } : {}) });
  }
  countSamples(env, loaded);
  return out;
}

function labelsForAbsent(e: Expr): Labels {
  // Equality matchers of a plain selector become the labels of absent()'s result.
  let inner: Expr = e;
  while (inner.type === 'ParenExpr') inner = inner.expr;
  const vs = inner.type === 'MatrixSelector' ? inner.vector : inner.type === 'VectorSelector' ? inner : undefined;
  const out: Labels = {};
  if (!vs) return out;
  const seen = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === '__name__') continue;
    if (m.type === '=' && !seen.has(m.name)) {
      out[m.name] = m.value;
      seen.add(m.name);
    } else if (seen.has(m.name)) {
      delete out[m.name];
    }
  }
  return out;
}

/** Samples of a subquery's inner evaluation, in CSR form over the inner steps. */
function subqueryInner(sq: SubqueryExpr, ctx: Ctx): { inner: Series[]; innerCtx: Ctx; outer: Steps; range: number; fixed: boolean } {
  const env = ctx.engine;
  const range = durationMs(sq.range, ctx);
  const step = sq.step ? durationMs(sq.step, ctx) : env.defaultSubqueryStep;
  if (step <= 0) throw new QueryError(`zero or negative subquery resolution ${step}ms`, 'bad_data');
  const offset = sq.offset ? durationMs(sq.offset, ctx) : 0;
  const { steps: outer, fixed } = selectorSteps(ctx, offset, atTime(sq.at, ctx));
  // The first step-aligned time after the window's start.
  const windowStart = outer.start - range;
  let innerStart = Math.floor(windowStart / step) * step;
  if (innerStart <= windowStart) innerStart += step;
  const innerEnd = outer.end;
  const n = innerEnd >= innerStart ? Math.floor((innerEnd - innerStart) / step) + 1 : 0;
  // Every series of the inner result has up to n samples: more steps than the sample limit
  // cannot be held (checked before the inner evaluation allocates anything per step).
  if (n > env.maxSamples) throw new QueryError(TOO_MANY_SAMPLES, 'execution');
  const innerCtx: Ctx = { ...ctx, start: innerStart, end: innerStart + Math.max(0, n - 1) * step, step, n };
  const v = n > 0 ? evaluate(sq.expr, innerCtx) : { kind: 'vector' as const, series: [] };
  const inner = v.kind === 'scalar' ? [{ labels: {}, values: v.values, present: new Uint8Array(n).fill(1), dropName: false }] : v.kind === 'vector' ? v.series : [];
  return { inner, innerCtx, outer, range, fixed };
}

function toCsr(series: Series[], ctx: Ctx): NativeSamples {
  const offsets = new Uint32Array(series.length + 1);
  let total = 0;
  for (const s of series) for (let j = 0; j < ctx.n; j++) total += s.present[j]!;
  reserveQueryMemory(total * 16);
  const t = new Float64Array(total);
  const v = new Float64Array(total);
  let at = 0;
  series.forEach((s, i) => {
    for (let j = 0; j < ctx.n; j++) {
      if (s.present[j]) {
        t[at] = stepTime(ctx, j);
        v[at] = s.values[j]!;
        at++;
      }
    }
    offsets[i + 1] = at;
  });
  return { offsets, t, v };
}

/** Scalar arguments of a range function, evaluated per step. */
function scalarArgs(call: Call, ctx: Ctx): Float64Array[] {
  return call.args.filter((a) => typeOf(a) === 'scalar').map((a) => {
    const v = evaluate(a, ctx);
    if (v.kind !== 'scalar') throw new QueryError('expected a scalar argument');
    return v.values;
  });
}

function kernelName(name: string): string {
  return name === 'holt_winters' ? 'double_exponential_smoothing' : name;
}

/** Range functions that read start timestamps with use-start-timestamps (not over subqueries, whose samples have none). */
const START_TIMESTAMP_FUNCTIONS = new Set(['rate', 'increase', 'irate', 'resets']);

function withOverlapWarnings(env: EvalEnv, labels: Labels[], m: NativeMatrix & { overlaps: Uint32Array }): NativeMatrix {
  for (const i of m.overlaps) env.warnings.add(`PromQL warning: sample has start time that overlaps with previous sample timestamp for metric ${JSON.stringify(labels[i]?.['__name__'] ?? '')}`);
  return m;
}

/** A range function (rate, *_over_time, ...) over a range selector or a subquery. */
function evalRangeFunction(call: Call, ctx: Ctx): Series[] {
  const env = ctx.engine;
  const matrixArg = call.args.find((a) => typeOf(a) === 'matrix');
  let arg: Expr | undefined = matrixArg;
  while (arg?.type === 'ParenExpr') arg = arg.expr;
  if (!arg || (arg.type !== 'MatrixSelector' && arg.type !== 'SubqueryExpr')) throw new QueryError(`unsupported range argument to ${call.name}`);
  const params = scalarArgs(call, ctx);
  const fn = kernelName(call.name);
  const dropName = call.name !== 'last_over_time' && call.name !== 'first_over_time';

  // run(steps-range evaluation for all series) -> matrix per series
  let labels: Labels[];
  let inputDropName: boolean[];
  let evalAll: (params: number[], steps: Steps) => NativeMatrix;
  let stepsAll: Steps;
  let range: number;
  let fixed: boolean;
  if (arg.type === 'MatrixSelector') {
    const ms: MatrixSelector = arg;
    const modifier = ms.anchored || ms.vector.anchored ? 'anchored' : ms.smoothed || ms.vector.smoothed ? 'smoothed' : undefined;
    if (modifier) {
      const allowed = modifier === 'anchored' ? ['changes', 'delta', 'increase', 'rate', 'resets'] : ['delta', 'increase', 'rate'];
      if (!allowed.includes(call.name)) throw new QueryError(`${modifier} modifier can only be used with: ${allowed.join(', ')} - not with ${call.name}`);
    }
    range = durationMs(ms.range, ctx);
    if (range <= 0) throw new QueryError(`invalid range ${range}ms in range selector`, 'bad_data');
    const offset = ms.vector.offset ? durationMs(ms.vector.offset, ctx) : 0;
    const s = selectorSteps(ctx, offset, atTime(ms.vector.at, ctx));
    stepsAll = s.steps;
    fixed = s.fixed;
    const before = modifier ? env.lookback : 0;
    const after = modifier === 'smoothed' ? env.lookback : 0;
    const sel = env.storage.select(ms.vector.matchers, stepsAll.start - range - before + 1, stepsAll.end + after);
    labels = sel.labels;
    inputDropName = labels.map(() => false);
    if (modifier) evalAll = (p, st) => sel.evalRange(fn, p, st, range, { modifier, lookbackMs: env.lookback });
    else if (env.useStartTimestamps && START_TIMESTAMP_FUNCTIONS.has(fn)) evalAll = (p, st) => withOverlapWarnings(env, labels, sel.evalRangeWithStartTimestamps(fn, p, st, range));
    else evalAll = (p, st) => sel.evalRange(fn, p, st, range);
  } else {
    const sq = subqueryInner(arg, ctx);
    range = sq.range;
    stepsAll = sq.outer;
    fixed = sq.fixed;
    const csr = toCsr(sq.inner, sq.innerCtx);
    countSamples(env, csr.t.length);
    labels = sq.inner.map((s) => s.labels);
    inputDropName = sq.inner.map((s) => s.dropName);
    // absent_over_time over a subquery: present_over_time per inner series.
    evalAll = (p, st) => env.rangeKernel(fn === 'absent_over_time' ? 'present_over_time' : fn, p, csr, st, range);
  }

  // The time a window ends at, per output step (offset and @ applied).
  const windowEnd = (j: number): number => (fixed ? stepsAll.start : stepsAll.start + j * stepsAll.step);

  if (call.name === 'absent_over_time') {
    const present = evalAll([], stepsAll);
    const k = fixed ? 1 : ctx.n;
    const out = newSeries(labelsForAbsent(arg.type === 'MatrixSelector' ? arg : arg.expr), ctx.n, true);
    for (let j = 0; j < ctx.n; j++) {
      const at = fixed ? 0 : j;
      let any = false;
      if (arg.type === 'SubqueryExpr') {
        // present_over_time per series; absent where none has samples.
        for (let i = 0; i < labels.length; i++) if (present.present[i * k + at]) any = true;
      } else any = labels.length > 0 && present.present[at] === 0;
      out.present[j] = any ? 0 : 1;
      out.values[j] = 1;
    }
    return out.present.some((p) => p === 1) ? [out] : [];
  }

  if (call.name === 'predict_linear') {
    // predict_linear extrapolates from the evaluation time, not from the shifted window end.
    const p = params[0]!;
    const shifted = new Float64Array(ctx.n);
    for (let j = 0; j < ctx.n; j++) shifted[j] = p[j]! + (stepTime(ctx, j) - windowEnd(j)) / 1000;
    params[0] = shifted;
  }
  const constant = params.every((p) => p.every((x) => Object.is(x, p[0])));

  const k = fixed ? 1 : ctx.n;
  reserveCells(labels.length, ctx.n, env.maxSamples);
  const result = labels.map((l, i) => newSeries(l, ctx.n, dropName || inputDropName[i]!));
  if (constant) {
    const m = evalAll(params.map((p) => p[0] ?? 0), stepsAll);
    result.forEach((s, i) => {
      for (let j = 0; j < ctx.n; j++) {
        const src = i * k + (fixed ? 0 : j);
        s.values[j] = m.values[src]!;
        s.present[j] = m.present[src]!;
      }
    });
  } else {
    // Parameters that change from step to step: one evaluation per step.
    for (let j = 0; j < ctx.n; j++) {
      const t = windowEnd(j);
      const m = evalAll(params.map((p) => p[j]!), { start: t, end: t, step: 1 });
      result.forEach((s, i) => {
        s.values[j] = m.values[i]!;
        s.present[j] = m.present[i]!;
      });
    }
  }
  if (call.name === 'quantile_over_time') {
    const q = params[0];
    if (q && q.some((x) => Number.isNaN(x) || x < 0 || x > 1)) {
      const bad = q.find((x) => Number.isNaN(x) || x < 0 || x > 1)!;
      env.warnings.add(`PromQL warning: quantile value should be between 0 and 1, got ${formatNumber(bad)}`);
    }
  }
  if (['rate', 'increase', 'irate'].includes(call.name) && arg.type === 'MatrixSelector') {
    for (const l of labels) {
      const name = l['__name__'];
      if (name !== undefined && !/(_total|_sum|_count|_bucket)$/.test(name)) {
        env.infos.add(`PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`);
      }
    }
  }
  return result.filter((s) => s.present.some((p) => p === 1));
}

export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function scalarOf(values: Float64Array): Value {
  return { kind: 'scalar', values };
}

/** Evaluates an expression over the context's steps. */
export function evaluate(e: Expr, ctx: Ctx): Value {
  checkDeadline(ctx.engine);
  switch (e.type) {
    case 'NumberLiteral':
      return scalarOf(new Float64Array(ctx.n).fill(e.value));
    case 'StringLiteral':
      return { kind: 'string', value: e.value };
    case 'ParenExpr':
      return evaluate(e.expr, ctx);
    case 'UnaryExpr': {
      const v = evaluate(e.expr, ctx);
      if (e.op === '+') return v;
      if (v.kind === 'scalar') return scalarOf(v.values.map((x) => -x));
      if (v.kind === 'vector') {
        return {
          kind: 'vector',
          series: v.series.map((s) => markDropName({ ...s, values: s.values.map((x) => -x), timestamps: undefined }, ctx)),
        };
      }
      throw new QueryError('unary minus on a non-numeric value');
    }
    case 'VectorSelector':
      return { kind: 'vector', series: evalVectorSelector(e, ctx) };
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return evalMatrix(e, ctx);
    case 'Call':
      if (KERNEL_FUNCTIONS.has(e.name)) return { kind: 'vector', series: evalRangeFunction(e, ctx) };
      return accounted(evalInstantFunction(e, ctx), ctx);
    case 'AggregateExpr':
      return accounted(evalAggregation(e, ctx), ctx);
    case 'BinaryExpr':
      return accounted(evalBinary(e, ctx), ctx);
  }
}

/**
 * Counts a computed value's new arrays against the memory budget. They are already allocated,
 * but each is at most the size of inputs that were checked before they were.
 */
function accounted(v: Value, ctx: Ctx): Value {
  if (v.kind === 'vector') reserveQueryMemory(v.series.length * ctx.n * CELL_BYTES);
  return v;
}

/** Drops (or marks for dropping) the metric name, per the name-removal mode. */
export function markDropName(s: Series, ctx: Ctx): Series {
  if (ctx.engine.delayedNameRemoval) return { ...s, dropName: true };
  return { ...s, labels: withoutName(s.labels), dropName: false };
}

/** A range selector or subquery as a value: only valid as an instant query's result. */
function evalMatrix(e: MatrixSelector | SubqueryExpr, ctx: Ctx): Value {
  const env = ctx.engine;
  if (ctx.n !== 1) throw new QueryError(`invalid expression type "range vector" for range query, must be Scalar or instant Vector`, 'bad_data');
  if (e.type === 'MatrixSelector') {
    if (e.anchored || e.smoothed) throw new QueryError('anchored and smoothed range selectors are not supported yet');
    const range = durationMs(e.range, ctx);
    const offset = e.vector.offset ? durationMs(e.vector.offset, ctx) : 0;
    const { steps } = selectorSteps(ctx, offset, atTime(e.vector.at, ctx));
    const lo = steps.end - range;
    const sel = env.storage.select(e.vector.matchers, lo + 1, steps.end);
    const { offsets, t, v } = sel.samples();
    const series: MatrixSeries[] = [];
    sel.labels.forEach((labels, i) => {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let j = offsets[i]!; j < offsets[i + 1]!; j++) {
        if (t[j]! > lo && t[j]! <= steps.end) {
          ts.push(t[j]!);
          vs.push(v[j]!);
        }
      }
      countSamples(env, ts.length);
      if (ts.length > 0) series.push({ labels, t: ts, v: vs, dropName: false });
    });
    return { kind: 'matrix', series };
  }
  const sq = subqueryInner(e, ctx);
  const lo = sq.outer.end - sq.range;
  const series: MatrixSeries[] = [];
  for (const s of sq.inner) {
    const ts: number[] = [];
    const vs: number[] = [];
    for (let j = 0; j < sq.innerCtx.n; j++) {
      const t = stepTime(sq.innerCtx, j);
      if (s.present[j] && t > lo && t <= sq.outer.end) {
        ts.push(t);
        vs.push(s.values[j]!);
      }
    }
    countSamples(env, ts.length);
    if (ts.length > 0) series.push({ labels: s.labels, t: ts, v: vs, dropName: s.dropName });
  }
  return { kind: 'matrix', series };
}

function cleanup(labels: Labels, dropName: boolean): Labels {
  return dropName ? withoutName(labels) : labels;
}

export class Engine {
  private readonly opts: Required<Omit<EngineOptions, 'rangeKernel' | 'features'>> & { rangeKernel: RangeKernel; features: ParseOptions };

  constructor(
    private readonly storage: Queryable,
    opts: EngineOptions = {},
  ) {
    this.opts = {
      lookbackDeltaMs: opts.lookbackDeltaMs ?? 300_000,
      maxSamples: opts.maxSamples ?? 50_000_000,
      timeoutMs: opts.timeoutMs ?? 120_000,
      maxMemoryBytes: opts.maxMemoryBytes ?? 0,
      cancelToken: opts.cancelToken ?? 0,
      defaultSubqueryStepMs: opts.defaultSubqueryStepMs ?? 60_000,
      delayedNameRemoval: opts.delayedNameRemoval ?? false,
      rangeKernel: opts.rangeKernel ?? evalRangeSamples,
      features: opts.features ?? {},
      useStartTimestamps: opts.useStartTimestamps ?? false,
    };
  }

  private env(): EvalEnv {
    return {
      storage: this.storage,
      lookback: this.opts.lookbackDeltaMs,
      maxSamples: this.opts.maxSamples,
      defaultSubqueryStep: this.opts.defaultSubqueryStepMs,
      delayedNameRemoval: this.opts.delayedNameRemoval,
      deadline: Date.now() + this.opts.timeoutMs,
      maxBytes: this.opts.maxMemoryBytes,
      samples: 0,
      warnings: new Set(),
      infos: new Set(),
      rangeKernel: this.opts.rangeKernel,
      useStartTimestamps: this.opts.useStartTimestamps,
    };
  }

  /** Runs an evaluation under the query's limits (native deadline, samples, memory budget). */
  private limited<T>(f: () => T): T {
    return runLimited({ timeoutMs: this.opts.timeoutMs, maxSamples: this.opts.maxSamples, maxBytes: this.opts.maxMemoryBytes, cancelToken: this.opts.cancelToken }, f);
  }

  /** Evaluates at one time (ms). */
  instantQuery(query: string | Expr, timeMs: number): QueryResult {
    const expr = typeof query === 'string' ? parseExpr(query, this.opts.features) : query;
    return this.limited(() => this.instantLimited(expr, timeMs));
  }

  private instantLimited(expr: Expr, timeMs: number): QueryResult {
    const env = this.env();
    const ctx: Ctx = { start: timeMs, end: timeMs, step: 0, n: 1, queryStart: timeMs, queryEnd: timeMs, queryStep: 0, engine: env };
    const v = evaluate(expr, ctx);
    const warnings = [...env.warnings];
    const infos = [...env.infos];
    switch (v.kind) {
      case 'scalar':
        return { resultType: 'scalar', result: { t: timeMs, value: v.values[0]! }, warnings, infos };
      case 'string':
        return { resultType: 'string', result: { t: timeMs, value: v.value }, warnings, infos };
      case 'matrix': {
        const result = v.series.map((s) => ({ metric: cleanup(s.labels, s.dropName), t: s.t, v: s.v }));
        checkUnique(result.map((r) => r.metric));
        result.sort((a, b) => compareLabels(a.metric, b.metric));
        return { resultType: 'matrix', result, warnings, infos };
      }
      case 'vector': {
        const present = v.series.filter((s) => s.present[0] === 1);
        const result = present.map((s) => ({ metric: cleanup(s.labels, s.dropName), t: timeMs, value: s.values[0]! }));
        // Series come in the order the expression gave them (sort(), topk() order them).
        checkUnique(result.map((r) => r.metric));
        return { resultType: 'vector', result, warnings, infos };
      }
    }
  }

  /** Evaluates at start, start+step, ... <= end (ms). */
  rangeQuery(query: string | Expr, startMs: number, endMs: number, stepMs: number): QueryResult {
    const expr = typeof query === 'string' ? parseExpr(query, this.opts.features) : query;
    if (stepMs <= 0) throw new QueryError('zero or negative query resolution step widths are not accepted. Try a positive integer', 'bad_data');
    if (endMs < startMs) throw new QueryError('end timestamp must not be before start time', 'bad_data');
    const n = Math.floor((endMs - startMs) / stepMs) + 1;
    if (n > 11_000) throw new QueryError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)', 'bad_data');
    const t = typeOf(expr);
    if (t !== 'scalar' && t !== 'vector') throw new QueryError(`invalid expression type ${JSON.stringify(t === 'matrix' ? 'range vector' : t)} for range query, must be Scalar or instant Vector`, 'bad_data');
    return this.limited(() => this.rangeLimited(expr, startMs, endMs, stepMs, n));
  }

  private rangeLimited(expr: Expr, startMs: number, endMs: number, stepMs: number, n: number): QueryResult {
    const env = this.env();
    const ctx: Ctx = { start: startMs, end: startMs + (n - 1) * stepMs, step: stepMs, n, queryStart: startMs, queryEnd: endMs, queryStep: stepMs, engine: env };
    const v = evaluate(expr, ctx);
    const warnings = [...env.warnings];
    const infos = [...env.infos];
    const at = (j: number): number => startMs + j * stepMs;
    if (v.kind === 'scalar') {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let j = 0; j < n; j++) {
        ts.push(at(j));
        vs.push(v.values[j]!);
      }
      return { resultType: 'matrix', result: [{ metric: {}, t: ts, v: vs }], warnings, infos };
    }
    if (v.kind !== 'vector') throw new QueryError('range query must return an instant vector or a scalar', 'bad_data');
    // The result's points as JavaScript numbers (and, in the server, their JSON): counted before they are built.
    let points = 0;
    for (const s of v.series) for (let j = 0; j < n; j++) points += s.present[j]!;
    reserveQueryMemory(points * 96);
    // Series that end up with the same labels once names are dropped are merged, unless they
    // both have a value at the same step.
    const merged = new Map<string, { metric: Labels; points: Map<number, number> }>();
    for (const s of v.series) {
      const metric = cleanup(s.labels, s.dropName);
      const key = labelsKey(metric);
      let m = merged.get(key);
      if (!m) merged.set(key, (m = { metric, points: new Map() }));
      for (let j = 0; j < n; j++) {
        if (!s.present[j]) continue;
        if (m.points.has(j)) throw new QueryError('vector cannot contain metrics with the same labelset');
        m.points.set(j, s.values[j]!);
      }
    }
    const result: RangeSeries[] = [];
    for (const m of merged.values()) {
      if (m.points.size === 0) continue;
      const js = [...m.points.keys()].sort((a, b) => a - b);
      result.push({ metric: m.metric, t: js.map(at), v: js.map((j) => m.points.get(j)!) });
    }
    result.sort((a, b) => compareLabels(a.metric, b.metric));
    return { resultType: 'matrix', result, warnings, infos };
  }
}

function checkUnique(metrics: Labels[]): void {
  const seen = new Set<string>();
  for (const m of metrics) {
    const k = labelsKey(m);
    if (seen.has(k)) throw new QueryError('vector cannot contain metrics with the same labelset');
    seen.add(k);
  }
}

/** Prometheus's label-set order: label by label, names then values. */
export function compareLabels(a: Labels, b: Labels): number {
  const ak = Object.keys(a).sort();
  const bk = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ak.length, bk.length); i++) {
    if (ak[i] !== bk[i]) return ak[i]! < bk[i]! ? -1 : 1;
    const av = a[ak[i]!]!;
    const bv = b[bk[i]!]!;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return ak.length - bk.length;
}
