// Functions over instant vectors and scalars, evaluated for all steps at once.
import type { Labels } from '../model/labels.js';
import { labelValue, setLabel } from '../model/labels.js';
import { compileAnchored, Re2SyntaxError } from '../regex/re2.js';
import { expandTemplate } from '../regex/expand.js';
import type { Call, Expr } from './parser/ast.js';
import type { Ctx } from './context.js';
import { evaluate, markDropName, stepTime, compareLabels } from './context.js';
import { evalVectorSelector } from './vector-selector.js';
import { bucketFraction, bucketQuantile } from './histogram.js';
import { evalInfo } from './info.js';
import { histogramProperty, nativeFractions, nativeQuantiles } from './histogram/functions.js';
import type { Bucket } from './histogram.js';
import { QueryError, isValidLabelName, newSeries, withoutName, labelsKey } from './values.js';
import type { Series, Value } from './values.js';

const SORT_RANGE_WARNING = 'PromQL warning: sort is ineffective for range queries since results are always ordered by labels';

const MATH: Record<string, (x: number) => number> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sgn: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  deg: (x) => (x * 180) / Math.PI,
  rad: (x) => (x * Math.PI) / 180,
};

type DatePart = (d: Date) => number;
const DATE: Record<string, DatePart> = {
  day_of_month: (d) => d.getUTCDate(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_year: (d) => Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1,
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
};

function vectorArg(call: Call, i: number, ctx: Ctx): Series[] {
  const v = evaluate(call.args[i]!, ctx);
  if (v.kind !== 'vector') throw new QueryError(`expected an instant vector as argument ${i + 1} of ${call.name}()`);
  return v.series;
}

function scalarArg(call: Call, i: number, ctx: Ctx): Float64Array {
  const v = evaluate(call.args[i]!, ctx);
  if (v.kind !== 'scalar') throw new QueryError(`expected a scalar as argument ${i + 1} of ${call.name}()`);
  return v.values;
}

function stringArg(call: Call, i: number, ctx: Ctx): string {
  const v = evaluate(call.args[i]!, ctx);
  if (v.kind !== 'string') throw new QueryError(`expected a string as argument ${i + 1} of ${call.name}()`);
  return v.value;
}

function mapValues(series: Series[], ctx: Ctx, f: (x: number, step: number) => number, dropName = true): Series[] {
  return series.map((s) => {
    const values = new Float64Array(ctx.n);
    for (let j = 0; j < ctx.n; j++) if (s.present[j]) values[j] = f(s.values[j]!, j);
    const out: Series = { labels: s.labels, values, present: s.present, dropName: s.dropName };
    return dropName ? markDropName(out, ctx) : out;
  });
}

function scalar(ctx: Ctx, f: (j: number) => number): Value {
  const values = new Float64Array(ctx.n);
  for (let j = 0; j < ctx.n; j++) values[j] = f(j);
  return { kind: 'scalar', values };
}

/** Labels that absent() gives its result: the selector's equality matchers. */
function absentLabels(e: Expr): Labels {
  while (e.type === 'ParenExpr') e = e.expr;
  const out: Labels = {};
  if (e.type !== 'VectorSelector') return out;
  const seen = new Map<string, number>();
  for (const m of e.matchers) seen.set(m.name, (seen.get(m.name) ?? 0) + 1);
  for (const m of e.matchers) {
    if (m.name === '__name__') continue;
    if (m.type === '=' && seen.get(m.name) === 1) setLabel(out, m.name, m.value);
  }
  return out;
}

function naturalCompare(a: string, b: string): number {
  const ra = a.match(/(\d+|\D+)/g) ?? [];
  const rb = b.match(/(\d+|\D+)/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return ra.length - rb.length;
}

function byValue(desc: boolean) {
  return (a: Series, b: Series): number => {
    const x = a.values[0]!;
    const y = b.values[0]!;
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    if (Number.isNaN(y)) return -1;
    return desc ? y - x : x - y;
  };
}

interface BucketGroup {
  labels: Labels;
  members: { le: number; s: Series }[];
}

/** Classic histogram series grouped by their labels without `le` (the metric name stays). */
function classicGroups(input: Series[], ctx: Ctx): BucketGroup[] {
  const groups = new Map<string, BucketGroup>();
  for (const s of input) {
    const leText = s.labels['le'] ?? '';
    const le = /^\+?inf$/i.test(leText) ? Infinity : leText.trim() === '' ? NaN : Number(leText);
    if (Number.isNaN(le)) {
      ctx.engine.warnings.add(`PromQL warning: bucket label "le" is missing or has a malformed value of ${JSON.stringify(leText)} for metric name ${JSON.stringify(s.labels['__name__'] ?? '')}`);
      continue;
    }
    const rest: Labels = {};
    for (const k of Object.keys(s.labels)) if (k !== 'le') setLabel(rest, k, s.labels[k]!);
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels: rest, members: [] }));
    g.members.push({ le, s });
  }
  return [...groups.values()];
}

function bucketsAt(g: BucketGroup, j: number): Bucket[] {
  const out: Bucket[] = [];
  for (const m of g.members) if (m.s.present[j]) out.push({ upperBound: m.le, count: m.s.values[j]! });
  return out;
}

function warnQuantile(ctx: Ctx, qs: Iterable<number>): void {
  for (const x of qs) {
    if (Number.isNaN(x) || x < 0 || x > 1) {
      ctx.engine.warnings.add(`PromQL warning: quantile value should be between 0 and 1, got ${Number.isNaN(x) ? 'NaN' : String(x)}`);
      return;
    }
  }
}

/** Evaluates `f` per bucket group and step into series (metric name dropped). */
function perGroup(groups: BucketGroup[], ctx: Ctx, f: (b: Bucket[], j: number, g: BucketGroup) => number, extra: Labels = {}): Series[] {
  const out: Series[] = [];
  for (const g of groups) {
    const res = newSeries({ ...g.labels, ...extra }, ctx.n, true);
    for (let j = 0; j < ctx.n; j++) {
      const b = bucketsAt(g, j);
      if (b.length === 0) continue;
      res.values[j] = f(b, j, g);
      res.present[j] = 1;
    }
    if (res.present.some((p) => p === 1)) out.push(ctx.engine.delayedNameRemoval ? res : { ...res, labels: withoutName(res.labels), dropName: false });
  }
  return out;
}

function quantileLabel(q: number): string {
  if (Number.isNaN(q)) return 'NaN';
  if (Number.isInteger(q)) return `${q}.0`;
  return String(q);
}

function monotonicInfo(ctx: Ctx, g: BucketGroup): void {
  ctx.engine.infos.add(`PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${JSON.stringify(g.members[0]!.s.labels['__name__'] ?? '')}`);
}

/** Series with float samples (the classic-bucket candidates); native histograms take the other path. */
function floatSeries(input: Series[]): Series[] {
  return input.filter((s) => !s.histograms || s.present.some((p) => p === 1));
}

/**
 * Classic-bucket and native results side by side. Where both give a series with the same labels
 * at a step, neither is used and a warning says the vector mixes the two kinds.
 */
function withNative(classic: Series[], native: Series[], ctx: Ctx): Series[] {
  if (native.length === 0) return classic;
  const byKey = new Map(classic.map((s) => [labelsKey(s.labels), s]));
  const out = [...classic];
  for (const s of native) {
    const c = byKey.get(labelsKey(s.labels));
    if (c) {
      for (let j = 0; j < ctx.n; j++) {
        if (c.present[j] && s.present[j]) {
          c.present[j] = 0;
          s.present[j] = 0;
          ctx.engine.warnings.add(`PromQL warning: vector contains a mix of classic and native histograms for metric name ${JSON.stringify(s.labels['__name__'] ?? '')}`);
        }
      }
    }
    out.push(s);
  }
  return out.filter((s) => s.present.some((p) => p === 1));
}

function histogramQuantile(call: Call, ctx: Ctx): Value {
  const q = scalarArg(call, 0, ctx);
  const input = vectorArg(call, 1, ctx);
  const groups = classicGroups(floatSeries(input), ctx);
  warnQuantile(ctx, q);
  const classic = perGroup(groups, ctx, (b, j, g) => {
    const r = bucketQuantile(q[j]!, b);
    if (r.forcedMonotonic) monotonicInfo(ctx, g);
    return r.quantile;
  });
  return { kind: 'vector', series: withNative(classic, nativeQuantiles(q, input, ctx), ctx) };
}

function histogramQuantiles(call: Call, ctx: Ctx): Value {
  const input = vectorArg(call, 0, ctx);
  const groups = classicGroups(floatSeries(input), ctx);
  const label = stringArg(call, 1, ctx);
  const qs = call.args.slice(2).map((_, i) => scalarArg(call, i + 2, ctx));
  warnQuantile(ctx, qs.map((q) => q[0]!));
  const out: Series[] = [];
  for (const q of qs) {
    const extra = { [label]: quantileLabel(q[0]!) };
    const classic = perGroup(
      groups,
      ctx,
      (b, j, g) => {
        const r = bucketQuantile(q[j]!, b);
        if (r.forcedMonotonic) monotonicInfo(ctx, g);
        return r.quantile;
      },
      extra,
    );
    out.push(...withNative(classic, nativeQuantiles(q, input, ctx, extra), ctx));
  }
  const seen = new Set<string>();
  for (const s of out) {
    const k = labelsKey(withoutName(s.labels));
    if (seen.has(k)) throw new QueryError('vector cannot contain metrics with the same labelset');
    seen.add(k);
  }
  return { kind: 'vector', series: out };
}

function histogramFraction(call: Call, ctx: Ctx): Value {
  const lower = scalarArg(call, 0, ctx);
  const upper = scalarArg(call, 1, ctx);
  const input = vectorArg(call, 2, ctx);
  const groups = classicGroups(floatSeries(input), ctx);
  const classic = perGroup(groups, ctx, (b, j) => bucketFraction(lower[j]!, upper[j]!, b));
  return { kind: 'vector', series: withNative(classic, nativeFractions(lower, upper, input, ctx), ctx) };
}

export function evalInstantFunction(call: Call, ctx: Ctx): Value {
  const name = call.name;
  const math = MATH[name];
  if (math) return { kind: 'vector', series: mapValues(vectorArg(call, 0, ctx), ctx, math) };
  const date = DATE[name];
  if (date) {
    if (call.args.length === 0) {
      const s = newSeries({}, ctx.n, false);
      for (let j = 0; j < ctx.n; j++) {
        s.values[j] = date(new Date(stepTime(ctx, j)));
        s.present[j] = 1;
      }
      return { kind: 'vector', series: [s] };
    }
    return {
      kind: 'vector',
      series: mapValues(vectorArg(call, 0, ctx), ctx, (x) => (Number.isFinite(x) ? date(new Date(Math.trunc(x) * 1000)) : NaN)),
    };
  }
  switch (name) {
    case 'time':
      return scalar(ctx, (j) => stepTime(ctx, j) / 1000);
    case 'pi':
      return scalar(ctx, () => Math.PI);
    case 'start':
      return scalar(ctx, () => ctx.queryStart / 1000);
    case 'end':
      return scalar(ctx, () => ctx.queryEnd / 1000);
    case 'step':
      return scalar(ctx, () => ctx.queryStep / 1000);
    case 'range':
      return scalar(ctx, () => (ctx.queryEnd - ctx.queryStart) / 1000);
    case 'min_of':
    case 'max_of': {
      const a = scalarArg(call, 0, ctx);
      const b = scalarArg(call, 1, ctx);
      return scalar(ctx, (j) => (name === 'min_of' ? Math.min(a[j]!, b[j]!) : Math.max(a[j]!, b[j]!)));
    }
    case 'vector': {
      const v = scalarArg(call, 0, ctx);
      const s = newSeries({}, ctx.n, false);
      s.values.set(v);
      s.present.fill(1);
      return { kind: 'vector', series: [s] };
    }
    case 'scalar': {
      const input = vectorArg(call, 0, ctx);
      return scalar(ctx, (j) => {
        let found = NaN;
        let count = 0;
        for (const s of input) {
          if (s.present[j]) {
            count++;
            found = s.values[j]!;
          }
        }
        return count === 1 ? found : NaN;
      });
    }
    case 'absent': {
      const input = vectorArg(call, 0, ctx);
      const s = newSeries(absentLabels(call.args[0]!), ctx.n, true);
      for (let j = 0; j < ctx.n; j++) {
        if (!input.some((x) => x.present[j] || x.histograms?.[j])) {
          s.values[j] = 1;
          s.present[j] = 1;
        }
      }
      return { kind: 'vector', series: s.present.some((p) => p) ? [s] : [] };
    }
    case 'timestamp': {
      const input = vectorArg(call, 0, ctx);
      return {
        kind: 'vector',
        series: input.map((s) => {
          const values = new Float64Array(ctx.n);
          // Histogram samples have timestamps too.
          const present = s.histograms ? s.present.map((p, j) => (p || s.histograms![j] ? 1 : 0)) : s.present;
          for (let j = 0; j < ctx.n; j++) if (present[j]) values[j] = (s.timestamps ? s.timestamps[j]! : stepTime(ctx, j)) / 1000;
          return markDropName({ labels: s.labels, values, present, dropName: s.dropName }, ctx);
        }),
      };
    }
    case 'start_timestamp': {
      // Only over a selector and with use-start-timestamps; anything else has no start timestamps
      // to give, and the result is empty (as in Prometheus).
      let arg = call.args[0]!;
      while (arg.type === 'ParenExpr') arg = arg.expr;
      if (!ctx.engine.useStartTimestamps || arg.type !== 'VectorSelector' || arg.smoothed) {
        vectorArg(call, 0, ctx);
        return { kind: 'vector', series: [] };
      }
      return {
        kind: 'vector',
        series: evalVectorSelector(arg, ctx, true).map((s) => {
          const values = new Float64Array(ctx.n);
          // A step that took a histogram has its start timestamp too.
          const present = s.histograms ? s.present.map((p, j) => (p || s.histograms![j] ? 1 : 0)) : s.present;
          for (let j = 0; j < ctx.n; j++) if (present[j]) values[j] = s.starts![j]! / 1000;
          return markDropName({ labels: s.labels, values, present, dropName: s.dropName }, ctx);
        }),
      };
    }
    case 'round': {
      const input = vectorArg(call, 0, ctx);
      const to = call.args.length > 1 ? scalarArg(call, 1, ctx) : new Float64Array(ctx.n).fill(1);
      return {
        kind: 'vector',
        series: mapValues(input, ctx, (x, j) => {
          const inv = 1 / to[j]!;
          return Math.floor(x * inv + 0.5) / inv;
        }),
      };
    }
    case 'clamp':
    case 'clamp_min':
    case 'clamp_max': {
      const input = vectorArg(call, 0, ctx);
      const lo = name === 'clamp_max' ? undefined : scalarArg(call, 1, ctx);
      const hi = name === 'clamp' ? scalarArg(call, 2, ctx) : name === 'clamp_max' ? scalarArg(call, 1, ctx) : undefined;
      const out = mapValues(input, ctx, (x, j) => {
        let v = x;
        if (hi) v = Number.isNaN(v) || Number.isNaN(hi[j]!) ? NaN : Math.min(v, hi[j]!);
        if (lo) v = Number.isNaN(v) || Number.isNaN(lo[j]!) ? NaN : Math.max(v, lo[j]!);
        return v;
      });
      if (name === 'clamp' && lo && hi) {
        // clamp() with max < min returns nothing at that step.
        for (const s of out) {
          const present = new Uint8Array(s.present);
          for (let j = 0; j < ctx.n; j++) if (hi[j]! < lo[j]!) present[j] = 0;
          s.present = present;
        }
      }
      return { kind: 'vector', series: out };
    }
    case 'sort':
    case 'sort_desc': {
      // Sorting is by float value: histogram samples are left out.
      const input = vectorArg(call, 0, ctx)
        .map((s) => (s.histograms ? { ...s, histograms: undefined } : s))
        .filter((s) => s.present.some((p) => p === 1));
      if (ctx.n > 1) ctx.engine.warnings.add(SORT_RANGE_WARNING);
      return { kind: 'vector', series: ctx.n === 1 ? [...input].sort(byValue(name === 'sort_desc')) : input };
    }
    case 'sort_by_label':
    case 'sort_by_label_desc': {
      const input = vectorArg(call, 0, ctx);
      if (ctx.n > 1) ctx.engine.warnings.add(SORT_RANGE_WARNING);
      const names = call.args.slice(1).map((_, i) => stringArg(call, i + 1, ctx));
      const cmp = (a: Series, b: Series): number => {
        for (const n of names) {
          const x = labelValue(a.labels, n) ?? '';
          const y = labelValue(b.labels, n) ?? '';
          if (x !== y) return naturalCompare(x, y);
        }
        return compareLabels(a.labels, b.labels);
      };
      const sorted = [...input].sort(cmp);
      if (name === 'sort_by_label_desc') sorted.reverse();
      return { kind: 'vector', series: sorted };
    }
    case 'label_replace': {
      const input = vectorArg(call, 0, ctx);
      const dst = stringArg(call, 1, ctx);
      const replacement = stringArg(call, 2, ctx);
      const src = stringArg(call, 3, ctx);
      const regexText = stringArg(call, 4, ctx);
      let re: RegExp;
      try {
        re = compileAnchored(regexText, { dotAll: true });
      } catch (e) {
        if (e instanceof Re2SyntaxError) throw new QueryError(`invalid regular expression in label_replace(): ${regexText}`);
        throw e;
      }
      if (dst === '' || !isValidLabelName(dst)) throw new QueryError(`invalid destination label name in label_replace(): ${dst}`);
      return {
        kind: 'vector',
        series: input.map((s) => {
          const m = re.exec(labelValue(s.labels, src) ?? '');
          if (!m) return s;
          const value = expandTemplate(replacement, m);
          const labels = { ...s.labels };
          if (value === '') delete labels[dst];
          else setLabel(labels, dst, value);
          return { ...s, labels, dropName: dst === '__name__' ? false : s.dropName, timestamps: undefined };
        }),
      };
    }
    case 'label_join': {
      const input = vectorArg(call, 0, ctx);
      const dst = stringArg(call, 1, ctx);
      const sep = stringArg(call, 2, ctx);
      const srcs = call.args.slice(3).map((_, i) => stringArg(call, i + 3, ctx));
      if (dst === '' || !isValidLabelName(dst)) throw new QueryError(`invalid destination label name in label_join(): ${dst}`);
      return {
        kind: 'vector',
        series: input.map((s) => {
          const value = srcs.map((n) => labelValue(s.labels, n) ?? '').join(sep);
          const labels = { ...s.labels };
          if (value === '') delete labels[dst];
          else setLabel(labels, dst, value);
          return { ...s, labels, dropName: dst === '__name__' ? false : s.dropName, timestamps: undefined };
        }),
      };
    }
    case 'info':
      return evalInfo(call, ctx);
    case 'histogram_quantile':
      return histogramQuantile(call, ctx);
    case 'histogram_quantiles':
      return histogramQuantiles(call, ctx);
    case 'histogram_fraction':
      return histogramFraction(call, ctx);
    case 'histogram_count':
    case 'histogram_sum':
    case 'histogram_avg':
    case 'histogram_stddev':
    case 'histogram_stdvar':
      // These read native histograms only; float samples are ignored.
      return { kind: 'vector', series: histogramProperty(name, vectorArg(call, 0, ctx), ctx) };
    default:
      throw new QueryError(`function ${JSON.stringify(name)} is not supported yet`);
  }
}

export { withoutName };
