// The PromQL engine: evaluates a parsed expression over all steps of a query at once. Selectors
// and range functions are one native call per selection (src/storage); functions, aggregations
// and binary operators work on per-series typed arrays.
import type { Labels } from '../model/labels.js';
import { labelsKey } from '../model/labels.js';
import { evalRangeSamples } from '../storage/storage.js';
import type { Selection } from '../storage/storage.js';
import type { Expr } from './parser/ast.js';
import { parseExpr } from './parser/parser.js';
import { typeOf } from './parser/check.js';
import type { ParseOptions } from './parser/parser.js';
import { KERNEL_FUNCTIONS } from './kernel-functions.js';
import { evalAggregation } from './aggregate.js';
import { evalBinary } from './binary.js';
import { evalInstantFunction } from './instant-functions.js';
import { QueryError, withoutName } from './values.js';
import { CELL_BYTES, rangeStepError, rangeSteps, runLimited } from './limits.js';
import { reserveQueryMemory } from '../storage/query-limits.js';
import type { HistogramPoint, Value } from './values.js';
import type { FloatHistogram } from '../model/histogram.js';
import { CounterResetHint } from '../model/histogram.js';
import type { Ctx, EvalEnv, Queryable, RangeKernel } from './context.js';
import { checkDeadline, compareLabels, markDropName } from './context.js';
import { evalVectorSelector } from './vector-selector.js';
import { scaleHistogram } from './histogram/arithmetic.js';
import { statsSelectors } from './histogram/samples.js';
import { evalMatrix, evalRangeFunction } from './range-eval.js';
import { denseRows, toRangeSeries } from './range-result.js';
import type { DenseRangeResult, RangeSeries } from './range-result.js';

export { QueryError } from './values.js';
export type { HistogramPoint } from './values.js';
export type { Queryable, RangeKernel } from './context.js';
export type { DenseRangeResult, RangeSeries } from './range-result.js';

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
  /** The float value; NaN (and meaningless) when the sample is a native histogram (`h`). */
  value: number;
  /** Set when the sample is a native histogram. */
  h?: FloatHistogram;
}


export type QueryResult =
  | { resultType: 'vector'; result: InstantSample[]; warnings: string[]; infos: string[] }
  | { resultType: 'matrix'; result: RangeSeries[]; warnings: string[]; infos: string[] }
  | { resultType: 'scalar'; result: { t: number; value: number }; warnings: string[]; infos: string[] }
  | { resultType: 'string'; result: { t: number; value: string }; warnings: string[]; infos: string[] };

function scalarOf(values: Float64Array): Value {
  return { kind: 'scalar', values };
}

/** Evaluates an expression over the context's steps. */
function evaluate(e: Expr, ctx: Ctx): Value {
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
          series: v.series.map((s) => markDropName({ ...s, values: s.values.map((x) => -x), timestamps: undefined, ...(s.histograms ? { histograms: s.histograms.map((h) => h && { ...scaleHistogram(h, -1), counterResetHint: CounterResetHint.Gauge }) } : {}) }, ctx)),
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

  /**
   * An engine with these settings reading `storage` instead (local data merged with remote_read
   * series, say), optionally with less time (what is left after the remote reads).
   */
  reading(storage: Queryable, timeoutMs = this.opts.timeoutMs): Engine {
    return new Engine(storage, { ...this.opts, timeoutMs });
  }

  /**
   * A fresh evaluation state; `selections` collects what the evaluation selects, which
   * `released` lets go of when the query ends.
   */
  private env(selections: Selection[]): EvalEnv {
    const storage = this.storage;
    return {
      storage: {
        select(matchers, mint, maxt) {
          const sel = storage.select(matchers, mint, maxt);
          selections.push(sel);
          return sel;
        },
      },
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
      statsSelectors: new Set(),
      evaluate,
    };
  }

  /**
   * Runs an evaluation under the query's limits (native deadline, samples, memory budget). The
   * selections it made are released when it ends: results hold copies, never a selection, and
   * the next query reuses their memory (see Selection.release).
   */
  private limited<T>(f: (env: EvalEnv) => T): T {
    const selections: Selection[] = [];
    try {
      return runLimited({ timeoutMs: this.opts.timeoutMs, maxSamples: this.opts.maxSamples, maxBytes: this.opts.maxMemoryBytes, cancelToken: this.opts.cancelToken }, () => f(this.env(selections)));
    } finally {
      for (const sel of selections) sel.release();
    }
  }

  /** Evaluates at one time (ms). */
  instantQuery(query: string | Expr, timeMs: number): QueryResult {
    const expr = typeof query === 'string' ? parseExpr(query, this.opts.features) : query;
    return this.limited((env) => this.instantLimited(env, expr, timeMs));
  }

  private instantLimited(env: EvalEnv, expr: Expr, timeMs: number): QueryResult {
    env.statsSelectors = statsSelectors(expr);
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
        const result = v.series.map((s): RangeSeries => ({ metric: cleanup(s.labels, s.dropName), t: s.t, v: s.v, ...(s.histograms?.length ? { histograms: s.histograms } : {}) }));
        checkUnique(result.map((r) => r.metric));
        result.sort((a, b) => compareLabels(a.metric, b.metric));
        return { resultType: 'matrix', result, warnings, infos };
      }
      case 'vector': {
        // Series come in the order the expression gave them (sort(), topk() order them).
        const result: InstantSample[] = [];
        const seen = new Set<string>();
        for (const s of v.series) {
          const h = s.histograms?.[0];
          if (s.present[0] !== 1 && h === undefined) continue;
          const metric = cleanup(s.labels, s.dropName);
          const key = labelsKey(metric);
          if (seen.has(key)) throw new QueryError(DUPLICATE_LABELSET);
          seen.add(key);
          result.push(h ? { metric, t: timeMs, value: NaN, h } : { metric, t: timeMs, value: s.values[0]! });
        }
        return { resultType: 'vector', result, warnings, infos };
      }
    }
  }

  /** The parsed expression and step count of a range query, or the API's error for bad parameters. */
  private rangeExpr(query: string | Expr, startMs: number, endMs: number, stepMs: number): { expr: Expr; n: number } {
    const expr = typeof query === 'string' ? parseExpr(query, this.opts.features) : query;
    const stepError = rangeStepError(startMs, endMs, stepMs);
    if (stepError?.param) throw new QueryError(stepError.message, 'bad_data');
    if (endMs < startMs) throw new QueryError('end timestamp must not be before start time', 'bad_data');
    if (stepError) throw new QueryError(stepError.message, 'bad_data');
    const n = rangeSteps(startMs, endMs, stepMs);
    const t = typeOf(expr);
    if (t !== 'scalar' && t !== 'vector') throw new QueryError(`invalid expression type ${JSON.stringify(t === 'matrix' ? 'range vector' : t)} for range query, must be Scalar or instant Vector`, 'bad_data');
    return { expr, n };
  }

  /** Evaluates at start, start+step, ... <= end (ms). */
  rangeQuery(query: string | Expr, startMs: number, endMs: number, stepMs: number): QueryResult {
    const { expr, n } = this.rangeExpr(query, startMs, endMs, stepMs);
    return this.limited((env) => {
      const dense = this.rangeLimited(env, expr, startMs, endMs, stepMs, n);
      // The library's per-point arrays: counted before they are built.
      let points = 0;
      for (let c = 0; c < dense.present.length; c++) points += dense.present[c]!;
      reserveQueryMemory(points * 96);
      return { resultType: 'matrix', result: toRangeSeries(dense), warnings: dense.warnings, infos: dense.infos };
    });
  }

  /**
   * `rangeQuery`'s result as dense rows (see range-result.ts), for callers that encode it in bulk
   * (the HTTP API) instead of reading it point by point.
   */
  rangeQueryDense(query: string | Expr, startMs: number, endMs: number, stepMs: number): DenseRangeResult {
    const { expr, n } = this.rangeExpr(query, startMs, endMs, stepMs);
    return this.limited((env) => this.rangeLimited(env, expr, startMs, endMs, stepMs, n));
  }

  private rangeLimited(env: EvalEnv, expr: Expr, startMs: number, endMs: number, stepMs: number, n: number): DenseRangeResult {
    env.statsSelectors = statsSelectors(expr);
    const ctx: Ctx = { start: startMs, end: startMs + (n - 1) * stepMs, step: stepMs, n, queryStart: startMs, queryEnd: endMs, queryStep: stepMs, engine: env };
    const v = evaluate(expr, ctx);
    const warnings = [...env.warnings];
    const infos = [...env.infos];
    if (v.kind === 'scalar') {
      return denseRows([{ metric: {}, values: v.values, present: new Uint8Array(n).fill(1) }], n, startMs, stepMs, warnings, infos);
    }
    if (v.kind !== 'vector') throw new QueryError('range query must return an instant vector or a scalar', 'bad_data');
    // The dense result is at most one copy of the values and presence of every series (none when
    // they are one matrix's rows in order), and a JavaScript object per histogram point: counted
    // as the copy before it is built.
    let histogramPoints = 0;
    for (const s of v.series) if (s.histograms) for (let j = 0; j < n; j++) histogramPoints += s.histograms[j] ? 1 : 0;
    reserveQueryMemory(v.series.length * n * 9 + histogramPoints * 96);
    return denseRows(
      v.series.map((s) => ({ metric: cleanup(s.labels, s.dropName), values: s.values, present: s.present, ...(s.histograms ? { histograms: s.histograms } : {}) })),
      n,
      startMs,
      stepMs,
      warnings,
      infos,
    );
  }
}

const DUPLICATE_LABELSET = 'vector cannot contain metrics with the same labelset';

function checkUnique(metrics: Labels[]): void {
  const seen = new Set<string>();
  for (const m of metrics) {
    const k = labelsKey(m);
    if (seen.has(k)) throw new QueryError(DUPLICATE_LABELSET);
    seen.add(k);
  }
}
