// The evaluation context every evaluator shares (as the evaluator state of prometheus/promql's
// engine): the query's steps, its limits and counters, duration and @ arithmetic, label helpers,
// and the recursive `evaluate` the engine hands in. Evaluators (aggregate, binary, functions,
// selectors) import this module, never the engine, so imports point one way.
import type { Labels } from '../model/labels.js';
import type { LabelMatcher } from '../storage/matchers.js';
import type { Selection, Steps } from '../storage/storage.js';
import type { NativeMatrix, NativeSamples } from '../storage/native.js';
import type { AtModifier, DurationExpr, Expr, VectorSelector } from './parser/ast.js';
import { QueryError, withoutName } from './values.js';
import { boundedAtSeconds, durationInRange, foldDuration, goFixed6 } from './parser/durations.js';
import { TIMED_OUT, TOO_MANY_SAMPLES } from './limits.js';
import type { Series, Value } from './values.js';

/** What the engine reads: the native storage, or anything shaped like it. */
export interface Queryable {
  select(matchers: readonly LabelMatcher[], mint: number, maxt: number): Selection;
}

export type RangeKernel = (fn: string, params: number[], samples: NativeSamples, steps: Steps, rangeMs: number) => NativeMatrix;

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
  /** Selectors read as Prometheus's histogram statistics iterator reads (see histogram/samples.ts). */
  statsSelectors: Set<VectorSelector>;
  /** The engine's recursive evaluation, handed in so that evaluators need not import the engine. */
  evaluate: (e: Expr, ctx: Ctx) => Value;
}

export function stepTime(ctx: Ctx, i: number): number {
  return ctx.start + i * ctx.step;
}

export function checkDeadline(env: EvalEnv): void {
  if (Date.now() > env.deadline) throw new QueryError(TIMED_OUT, 'timeout');
}

export function countSamples(env: EvalEnv, n: number): void {
  env.samples += n;
  if (env.samples > env.maxSamples) throw new QueryError(TOO_MANY_SAMPLES, 'execution');
}

/** Evaluates a duration expression to seconds (division and modulo by zero are errors). */
function durationSeconds(d: DurationExpr, ctx: Ctx): number {
  const fnSeconds = (name: 'step' | 'range'): number => (name === 'step' ? ctx.queryStep / 1000 : (ctx.queryEnd - ctx.queryStart) / 1000);
  const byZero = (op: '/' | '%'): never => {
    throw new QueryError(`${op === '/' ? 'division' : 'modulo'} by zero in duration expression`, 'bad_data');
  };
  // Every part is known here (step() and range() have values), so the fold always has a number.
  return foldDuration(d, fnSeconds, byZero)!;
}

/**
 * Evaluates a duration expression (offset, range, subquery step) to milliseconds. Constant ones
 * the parser bounded already; those computed from step()/range() are bounded here alike, so that
 * no time derived from them overflows what the storage takes.
 */
export function durationMs(d: DurationExpr, ctx: Ctx): number {
  const s = durationSeconds(d, ctx);
  if (!Number.isFinite(s)) throw new QueryError(`duration expression evaluates to ${s}`, 'bad_data');
  if (!durationInRange(s)) throw new QueryError(`${d.pos}:${d.end}: duration is out of range`, 'bad_data');
  return Math.round(s * 1000);
}

/** The time (ms) of an `@` modifier, bounded as the parser bounds constant ones. */
export function atTime(at: AtModifier | undefined, ctx: Ctx): number | undefined {
  if (!at) return undefined;
  if (at.kind === 'start') return ctx.queryStart;
  if (at.kind === 'end') return ctx.queryEnd;
  const s = durationSeconds(at.seconds, ctx);
  const bounded = boundedAtSeconds(s);
  if (bounded === undefined) throw new QueryError(`timestamp out of bounds for @ modifier: ${goFixed6(s)}`, 'bad_data');
  return Math.round(bounded * 1000);
}

/** The storage steps a selector reads, with offset and @ applied. */
export function selectorSteps(ctx: Ctx, offset: number, at: number | undefined): { steps: Steps; fixed: boolean } {
  if (at !== undefined) return { steps: { start: at - offset, end: at - offset, step: 1 }, fixed: true };
  return { steps: { start: ctx.start - offset, end: ctx.end - offset, step: ctx.step || 1 }, fixed: false };
}

/** A float as Prometheus prints it in messages. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Drops (or marks for dropping) the metric name, per the name-removal mode. */
export function markDropName(s: Series, ctx: Ctx): Series {
  if (ctx.engine.delayedNameRemoval) return { ...s, dropName: true };
  return { ...s, labels: withoutName(s.labels), dropName: false };
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

/** Evaluates a subexpression through the engine the context belongs to. */
export function evaluate(e: Expr, ctx: Ctx): Value {
  return ctx.engine.evaluate(e, ctx);
}
