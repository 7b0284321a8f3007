// Range vectors: range functions (rate, *_over_time, ...) over range selectors and subqueries,
// evaluated by the native kernels, and range vectors as an instant query's result.
import type { Labels } from '../model/labels.js';
import { setLabel } from '../model/labels.js';
import type { Steps } from '../storage/storage.js';
import type { NativeMatrix, NativeSamples } from '../storage/native.js';
import { reserveQueryMemory } from '../storage/query-limits.js';
import type { Call, Expr, MatrixSelector, SubqueryExpr } from './parser/ast.js';
import { typeOf } from './parser/check.js';
import type { Ctx, EvalEnv } from './context.js';
import { atTime, countSamples, durationMs, evaluate, formatNumber, selectorSteps, stepTime } from './context.js';
import { reserveCells } from './limits.js';
import { RANGE_MODIFIER_FUNCTIONS } from './kernel-functions.js';
import { QueryError, newSeries } from './values.js';
import type { MatrixSeries, Series, Value } from './values.js';
import { TOO_MANY_SAMPLES } from './limits.js';
import type { HistogramSamples } from './histogram/samples.js';
import { histogramSamplesOf, windowRange, withQueryHints } from './histogram/samples.js';
import { histogramWindow } from './histogram/range-functions.js';
import { extendedHistogramRate } from './histogram/extended.js';
import type { WindowResult } from './histogram/range-functions.js';
import type { FloatHistogram } from '../model/histogram.js';
import { CounterResetHint } from '../model/histogram.js';

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
      setLabel(out, m.name, m.value);
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
export function evalRangeFunction(call: Call, ctx: Ctx): Series[] {
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
  // Histogram samples of the input and (read only when there are any) its float samples.
  let histograms: HistogramSamples;
  let floatSamples: () => NativeSamples;
  if (arg.type === 'MatrixSelector') {
    const ms: MatrixSelector = arg;
    const modifier = ms.anchored || ms.vector.anchored ? 'anchored' : ms.smoothed || ms.vector.smoothed ? 'smoothed' : undefined;
    if (modifier) {
      const allowed = RANGE_MODIFIER_FUNCTIONS[modifier];
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
    histograms = withQueryHints(histogramSamplesOf(sel, labels.length), env.statsSelectors.has(ms.vector));
    floatSamples = () => sel.samples();
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
    histograms = histogramCsr(sq.inner, sq.innerCtx);
    floatSamples = () => csr;
    // absent_over_time over a subquery: present_over_time per inner series.
    evalAll = (p, st) => env.rangeKernel(fn === 'absent_over_time' ? 'present_over_time' : fn, p, csr, st, range);
  }

  // The time a window ends at, per output step (offset and @ applied).
  const windowEnd = (j: number): number => (fixed ? stepsAll.start : stepsAll.start + j * stepsAll.step);

  const hasHistograms = histograms.t.length > 0;
  if (call.name === 'absent_over_time') {
    const present = evalAll([], stepsAll);
    if (hasHistograms) {
      // Histogram samples are samples too: a window holding one is not absent.
      const k = fixed ? 1 : ctx.n;
      for (let j = 0; j < k; j++) {
        const te = windowEnd(j);
        let any = false;
        for (let i = 0; i < labels.length && !any; i++) {
          const [a, b] = windowRange(histograms, i, te - range, te);
          any = b > a;
        }
        if (!any) continue;
        if (arg.type === 'SubqueryExpr') present.present[j] = 1;
        else present.present[j] = 0;
      }
    }
    const k = fixed ? 1 : ctx.n;
    const out = newSeries(arg.type === 'MatrixSelector' ? labelsForAbsent(arg) : {}, ctx.n, true);
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
  let result: Series[];
  if (constant && !fixed) {
    // The kernel's rows are the series' rows, one per series: each series is a view of its row,
    // not a copy (an instant query has thousands of one-step series).
    const m = evalAll(params.map((p) => p[0] ?? 0), stepsAll);
    result = labels.map((l, i) => ({ labels: l, values: m.values.subarray(i * k, (i + 1) * k), present: m.present.subarray(i * k, (i + 1) * k), dropName: dropName || inputDropName[i]! }));
  } else if (constant) {
    // An `@` time: the one step computed holds at every step.
    const m = evalAll(params.map((p) => p[0] ?? 0), stepsAll);
    result = labels.map((l, i) => {
      const s = newSeries(l, ctx.n, dropName || inputDropName[i]!);
      s.values.fill(m.values[i]!);
      s.present.fill(m.present[i]!);
      return s;
    });
  } else {
    result = labels.map((l, i) => newSeries(l, ctx.n, dropName || inputDropName[i]!));
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
  const modifier = arg.type !== 'MatrixSelector' ? undefined : arg.anchored || arg.vector.anchored ? 'anchored' : arg.smoothed || arg.vector.smoothed ? 'smoothed' : undefined;
  // Start timestamps reach these functions only straight from a selector (a subquery's samples have none).
  const useStarts = env.useStartTimestamps && START_TIMESTAMP_FUNCTIONS.has(fn) && arg.type === 'MatrixSelector' && modifier === undefined;
  if (hasHistograms) applyHistogramWindows(call.name, result, labels, histograms, floatSamples(), range, windowEnd, ctx, modifier, useStarts);
  if (COUNTER_FUNCTIONS.has(call.name) && arg.type === 'MatrixSelector') noteNonCounterNames(labels, histograms, env);
  return result.filter((s) => s.present.includes(1) || s.histograms?.some((h) => h !== undefined));
}

/** Functions meant for counters: their input's names are checked against counters' suffixes. */
const COUNTER_FUNCTIONS = new Set(['rate', 'increase', 'irate']);
const COUNTER_NAME = /(_total|_sum|_count|_bucket)$/;

/**
 * An info for each float series' name that does not look like a counter's, as Prometheus gives.
 * A selection's series mostly share one name: a name just checked is not checked again (an
 * instant `rate` over thousands of series did a regex test for each).
 */
function noteNonCounterNames(labels: Labels[], histograms: HistogramSamples, env: EvalEnv): void {
  let checked: string | undefined;
  for (let i = 0; i < labels.length; i++) {
    // Native histograms are counters or gauges by their own hint, not by their name.
    if (histograms.offsets[i] !== histograms.offsets[i + 1]) continue;
    const name = labels[i]!['__name__'];
    if (name === undefined || name === checked) continue;
    checked = name;
    if (!COUNTER_NAME.test(name)) env.infos.add(`PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`);
  }
}

/** The histogram samples of a subquery's inner series, in CSR form over the inner steps. */
function histogramCsr(series: Series[], ctx: Ctx): HistogramSamples {
  const offsets = new Uint32Array(series.length + 1);
  const t: number[] = [];
  const h: FloatHistogram[] = [];
  series.forEach((s, i) => {
    if (s.histograms) {
      for (let j = 0; j < ctx.n; j++) {
        const x = s.histograms[j];
        if (x) {
          t.push(stepTime(ctx, j));
          // A subquery's samples are re-sampled: hints of the originals say nothing about their
          // neighbours here, so resets are detected afresh (gauges stay gauges).
          h.push(x.counterResetHint === CounterResetHint.Gauge ? x : { ...x, counterResetHint: CounterResetHint.Unknown });
        }
      }
    }
    offsets[i + 1] = t.length;
  });
  return { offsets, t: Float64Array.from(t), h };
}

/** Windows holding histogram samples get their value from the histogram rules instead of the float kernel. */
function applyHistogramWindows(fn: string, result: Series[], labels: Labels[], hs: HistogramSamples, fs: NativeSamples, range: number, windowEnd: (j: number) => number, ctx: Ctx, modifier: 'anchored' | 'smoothed' | undefined, useStarts: boolean): void {
  const starts = useStarts ? hs.starts : undefined;
  const anchored = modifier === 'anchored';
  const extendedRate = modifier !== undefined && (fn === 'rate' || fn === 'increase' || fn === 'delta');
  const env = ctx.engine;
  const ann = { warn: (t: string) => env.warnings.add(t), info: (t: string) => env.infos.add(t) };
  result.forEach((s, i) => {
    if (hs.offsets[i] === hs.offsets[i + 1]) return;
    const name = labels[i]!['__name__'] ?? '';
    for (let j = 0; j < ctx.n; j++) {
      const te = windowEnd(j);
      if (extendedRate) {
        // The edge samples may lie up to a lookback before the start (and after the end when smoothed).
        const to = modifier === 'smoothed' ? te + env.lookback : te;
        const [ea, eb] = windowRange(hs, i, te - range - env.lookback, to);
        const [ga, gb] = windowRange(fs, i, te - range - env.lookback, to);
        const samples = { ft: fs.t.subarray(ga, gb), fv: fs.v.subarray(ga, gb), ht: hs.t.subarray(ea, eb), hh: hs.h.slice(ea, eb) };
        setWindowResult(s, j, ctx.n, extendedHistogramRate(samples, te - range, te, modifier === 'smoothed', fn !== 'delta', fn === 'rate', name, ann));
        continue;
      }
      let [ha, hb] = windowRange(hs, i, te - range, te);
      let [fa, fb] = windowRange(fs, i, te - range, te);
      if (anchored) {
        // An anchored window also holds the last sample (of either kind) at or before its
        // start, within the lookback delta.
        const floor = te - range - env.lookback;
        const hPrev = ha > hs.offsets[i]! && hs.t[ha - 1]! > floor ? hs.t[ha - 1]! : -Infinity;
        const fPrev = fa > fs.offsets[i]! && fs.t[fa - 1]! > floor ? fs.t[fa - 1]! : -Infinity;
        if (hPrev > fPrev) ha--;
        else if (fPrev > -Infinity) fa--;
      }
      if (ha === hb) continue;
      const w = { ft: fs.t.subarray(fa, fb), fv: fs.v.subarray(fa, fb), ht: hs.t.subarray(ha, hb), hh: hs.h.slice(ha, hb), ...(starts ? { hst: starts.subarray(ha, hb) } : {}) };
      setWindowResult(s, j, ctx.n, histogramWindow(fn, w, te - range, te, name, ann));
    }
  });
}

/** Step `j` of `s` takes a histogram window's answer (`keep`: the float kernel's value stands). */
function setWindowResult(s: Series, j: number, n: number, r: WindowResult): void {
  if (r.kind === 'keep') return;
  if (r.kind === 'none') s.present[j] = 0;
  else if (r.kind === 'float') {
    s.present[j] = 1;
    s.values[j] = r.v;
  } else {
    s.present[j] = 0;
    s.histograms ??= new Array<FloatHistogram | undefined>(n);
    s.histograms[j] = r.h;
  }
}

/** A range selector or subquery as a value: only valid as an instant query's result. */
export function evalMatrix(e: MatrixSelector | SubqueryExpr, ctx: Ctx): Value {
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
    const hs = withQueryHints(histogramSamplesOf(sel, sel.labels.length), false);
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
      const [ha, hb] = windowRange(hs, i, lo, steps.end);
      const histograms = hs.h.slice(ha, hb).map((h, k) => ({ t: hs.t[ha + k]!, h }));
      countSamples(env, ts.length + histograms.length);
      if (ts.length > 0 || histograms.length > 0) series.push({ labels, t: ts, v: vs, dropName: false, ...(histograms.length ? { histograms } : {}) });
    });
    return { kind: 'matrix', series };
  }
  const sq = subqueryInner(e, ctx);
  const lo = sq.outer.end - sq.range;
  const series: MatrixSeries[] = [];
  for (const s of sq.inner) {
    const ts: number[] = [];
    const vs: number[] = [];
    const histograms: { t: number; h: FloatHistogram }[] = [];
    for (let j = 0; j < sq.innerCtx.n; j++) {
      const t = stepTime(sq.innerCtx, j);
      if (t <= lo || t > sq.outer.end) continue;
      if (s.present[j]) {
        ts.push(t);
        vs.push(s.values[j]!);
      } else if (s.histograms?.[j]) histograms.push({ t, h: s.histograms[j]! });
    }
    countSamples(env, ts.length + histograms.length);
    if (ts.length > 0 || histograms.length > 0) series.push({ labels: s.labels, t: ts, v: vs, dropName: s.dropName, ...(histograms.length ? { histograms } : {}) });
  }
  return { kind: 'matrix', series };
}
