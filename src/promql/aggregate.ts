// Aggregation operators: series are grouped by their `by`/`without` labels and combined step by
// step into typed arrays.
import type { Labels } from '../model/labels.js';
import { labelValue, setLabel } from '../model/labels.js';
import type { AggregateExpr } from './parser/ast.js';
import type { Ctx } from './context.js';
import { evaluate, formatNumber } from './context.js';
import { QueryError, formatValue, isValidLabelName, labelsKey, newSeries } from './values.js';
import type { Series, Value } from './values.js';
import type { FloatHistogram } from '../model/histogram.js';
import { aggregateWithHistograms } from './histogram/aggregate.js';
import { avg, kahanInc, kahanSum } from './float-sums.js';
import { labelsHash } from '../model/labels-hash.js';
import { histogramString } from './histogram/format.js';


function quantile(q: number, values: number[]): number {
  if (values.length === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  values.sort((a, b) => (Number.isNaN(a) ? -1 : Number.isNaN(b) ? 1 : a - b));
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower]! * (1 - weight) + values[upper]! * weight;
}

function groupLabels(l: Labels, e: AggregateExpr): Labels {
  const out: Labels = {};
  if (e.without) {
    for (const k of Object.keys(l)) if (k !== '__name__' && !e.grouping.includes(k)) setLabel(out, k, l[k]!);
  } else {
    for (const k of e.grouping) {
      const v = labelValue(l, k);
      if (v !== undefined) setLabel(out, k, v);
    }
  }
  return out;
}


/**
 * A series' group as a string: by(...) the grouping labels' values in order (cheaper than sorting
 * label sets), with no string built per series for the common no-label and one-label groupings.
 */
function groupKeyOf(e: AggregateExpr): (l: Labels) => string {
  if (e.without) return (l) => labelsKey(groupLabels(l, e));
  const names = e.grouping;
  if (names.length === 0) return () => '';
  if (names.length === 1) {
    const name = names[0]!;
    return (l) => labelValue(l, name) ?? '';
  }
  return (l) => {
    let key = labelValue(l, names[0]!) ?? '';
    for (let i = 1; i < names.length; i++) key += `\xff${labelValue(l, names[i]!) ?? ''}`;
    return key;
  };
}

function variance(values: number[]): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (const x of values) {
    count++;
    const delta = x - (mean + cMean);
    [mean, cMean] = kahanInc(delta / count, mean, cMean);
    [aux, cAux] = kahanInc(delta * (x - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

function simple(op: string, values: number[]): number {
  switch (op) {
    case 'sum':
      return kahanSum(values);
    case 'avg':
      return avg(values);
    case 'count':
      return values.length;
    case 'group':
      return 1;
    case 'min': {
      let m = values[0]!;
      for (const x of values) if (m > x || Number.isNaN(m)) m = x;
      return m;
    }
    case 'max': {
      let m = values[0]!;
      for (const x of values) if (m < x || Number.isNaN(m)) m = x;
      return m;
    }
    case 'stdvar':
      return variance(values);
    case 'stddev':
      return Math.sqrt(variance(values));
  }
  throw new QueryError(`unknown aggregation ${op}`);
}

export function evalAggregation(e: AggregateExpr, ctx: Ctx): Value {
  const input = evaluate(e.expr, ctx);
  if (input.kind !== 'vector') throw new QueryError('aggregation over a non-vector');
  let param: Float64Array | undefined;
  let stringParam: string | undefined;
  if (e.param) {
    const p = evaluate(e.param, ctx);
    if (p.kind === 'scalar') param = p.values;
    else if (p.kind === 'string') stringParam = p.value;
  }
  const groups = new Map<string, { labels: Labels; members: Series[] }>();
  const keyOf = groupKeyOf(e);
  for (const s of input.series) {
    const key = keyOf(s.labels);
    const existing = groups.get(key);
    if (existing) {
      existing.members.push(s);
      continue;
    }
    const gl = groupLabels(s.labels, e);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels: gl, members: [] }));
    g.members.push(s);
  }
  const n = ctx.n;
  const out: Series[] = [];
  const env = ctx.engine;

  if (e.op === 'quantile' && param) {
    const bad = param.find((q) => Number.isNaN(q) || q < 0 || q > 1);
    if (bad !== undefined) env.warnings.add(`PromQL warning: quantile value should be between 0 and 1, got ${formatNumber(bad)}`);
  }

  if (e.op === 'topk' || e.op === 'bottomk' || e.op === 'limitk') {
    if (!param) throw new QueryError(`${e.op} needs a parameter`);
    for (let j = 0; j < n; j++) {
      const k = param[j]!;
      if (Number.isNaN(k)) throw new QueryError('Parameter value is NaN');
      if (Math.abs(k) > 2 ** 63) throw new QueryError(`Scalar value ${formatNumber(k)} overflows int64`);
    }
    // Output series are input series, present at the steps where they were selected.
    const selected = new Map<Series, Series>();
    const order: Series[] = [];
    const top = e.op === 'topk';
    // Whether value x ranks before y (NaN never ranks before a number).
    const before = (x: number, y: number): boolean => {
      if (Number.isNaN(x)) return false;
      if (Number.isNaN(y)) return true;
      return top ? x > y : x < y;
    };
    const chosen: Series[] = [];
    for (const g of groups.values()) {
      for (let j = 0; j < n; j++) {
        const k = Math.trunc(param[j]!);
        if (k < 1) continue;
        chosen.length = 0;
        for (const s of g.members) {
          if (!s.present[j]) {
            if (s.histograms?.[j]) {
              if (e.op === 'limitk' && chosen.length < k) chosen.push(s);
              else if (e.op !== 'limitk') env.infos.add(`PromQL info: ignored histogram in ${e.op} aggregation`);
            }
            continue;
          }
          if (e.op === 'limitk') {
            if (chosen.length < k) chosen.push(s);
            continue;
          }
          // Keep the best k so far, ordered; insertion is cheap for the small k used in practice.
          const v = s.values[j]!;
          if (chosen.length === k && !before(v, chosen[k - 1]!.values[j]!)) continue;
          let at = chosen.length < k ? chosen.length : k - 1;
          if (chosen.length < k) chosen.push(s);
          while (at > 0 && before(v, chosen[at - 1]!.values[j]!)) {
            chosen[at] = chosen[at - 1]!;
            at--;
          }
          chosen[at] = s;
        }
        for (const s of chosen) {
          let o = selected.get(s);
          if (!o) {
            o = { labels: s.labels, values: new Float64Array(n), present: new Uint8Array(n), dropName: s.dropName };
            selected.set(s, o);
            order.push(o);
          }
          const h = s.present[j] ? undefined : s.histograms?.[j];
          if (h) {
            o.histograms ??= new Array<FloatHistogram | undefined>(n);
            o.histograms[j] = h;
          } else {
            o.values[j] = s.values[j]!;
            o.present[j] = 1;
          }
        }
      }
    }
    if (n === 1 && e.op !== 'limitk') {
      const top = e.op === 'topk';
      order.sort((a, b) => {
        const x = a.values[0]!;
        const y = b.values[0]!;
        if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
        if (Number.isNaN(y)) return -1;
        return top ? y - x : x - y;
      });
    }
    return { kind: 'vector', series: order };
  }

  if (e.op === 'limit_ratio') return { kind: 'vector', series: limitRatio(input.series, param!, ctx) };

  if (e.op === 'count_values') {
    const label = stringParam ?? '';
    if (!isValidLabelName(label)) throw new QueryError(`invalid label name ${goQuote(label)}`);
    // Grouped by the labels the samples have once the value label is set (it may overwrite a
    // grouping label), as Prometheus does.
    const byKey = new Map<string, Series>();
    for (let j = 0; j < n; j++) {
      for (const s of input.series) {
        const h = s.present[j] ? undefined : s.histograms?.[j];
        if (!s.present[j] && !h) continue;
        const withValue: Labels = { ...s.labels };
        setLabel(withValue, label, h ? histogramString(h) : formatValue(s.values[j]!));
        const gl = groupLabels(withValue, e);
        if (!e.without) setLabel(gl, label, withValue[label]!);
        const key = labelsKey(gl);
        let o = byKey.get(key);
        if (!o) {
          o = newSeries(gl, n, false);
          byKey.set(key, o);
          out.push(o);
        }
        o.values[j] = (o.present[j] ? o.values[j]! : 0) + 1;
        o.present[j] = 1;
      }
    }
    return { kind: 'vector', series: out };
  }

  const anyHistograms = input.series.some((s) => s.histograms !== undefined);
  if (!anyHistograms && FLOAT_ONLY_OPS.has(e.op)) {
    for (const g of groups.values()) {
      const o = aggregateFloats(e.op, g.members, n, g.labels['__name__'] !== undefined && g.members.some((s) => s.dropName), g.labels);
      if (o) out.push(o);
    }
    return { kind: 'vector', series: out };
  }
  for (const g of groups.values()) {
    // Grouping by __name__ keeps a to-be-dropped name until the end (delayed name removal).
    const o = newSeries(g.labels, n, g.labels['__name__'] !== undefined && g.members.some((s) => s.dropName));
    const vals: number[] = [];
    const hists: FloatHistogram[] = [];
    for (let j = 0; j < n; j++) {
      vals.length = 0;
      hists.length = 0;
      for (const s of g.members) {
        if (s.present[j]) vals.push(s.values[j]!);
        else if (anyHistograms && s.histograms?.[j]) hists.push(s.histograms[j]!);
      }
      if (hists.length > 0) {
        const r = aggregateWithHistograms(e.op, vals, hists, g.members[0]!.labels['__name__'] ?? '', ctx);
        if (r === 'floats') {
          if (vals.length === 0) continue;
        } else {
          if (typeof r === 'number') {
            o.values[j] = r;
            o.present[j] = 1;
          } else if (r) {
            o.histograms ??= new Array<FloatHistogram | undefined>(n);
            o.histograms[j] = r;
          }
          continue;
        }
      }
      if (vals.length === 0) continue;
      o.values[j] = e.op === 'quantile' ? quantile(param![j]!, vals) : simple(e.op, vals);
      o.present[j] = 1;
    }
    if (o.present.some((p) => p === 1) || o.histograms) out.push(o);
  }
  return { kind: 'vector', series: out };
}

/** Aggregations `aggregateFloats` computes series by series. */
const FLOAT_ONLY_OPS = new Set(['sum', 'count', 'group', 'min', 'max']);

/**
 * sum, count, group, min and max of float-only series, member by member over all steps at once
 * (typed arrays, no per-step list of values). Each step sees its values in the members' order,
 * so the results (Kahan compensation included) are those of `simple`. Undefined when no step has
 * a value.
 */
function aggregateFloats(op: string, members: Series[], n: number, dropName: boolean, labels: Labels): Series | undefined {
  const o = newSeries(labels, n, dropName);
  const values = o.values;
  const present = o.present;
  const c = op === 'sum' ? new Float64Array(n) : undefined;
  // One loop per operator: the operator is not decided again for every member and step.
  for (const s of members) {
    const sv = s.values;
    const sp = s.present;
    switch (op) {
      case 'sum':
        for (let j = 0; j < n; j++) {
          if (!sp[j]) continue;
          const x = sv[j]!;
          if (!present[j]) {
            present[j] = 1;
            values[j] = 0 + x;
            continue;
          }
          // kahanInc, inline: the running sum and its compensation.
          const sum = values[j]!;
          const t = sum + x;
          if (t === Infinity || t === -Infinity) c![j] = 0;
          else if (Math.abs(sum) >= Math.abs(x)) c![j] += sum - t + x;
          else c![j] += x - t + sum;
          values[j] = t;
        }
        break;
      case 'count':
        for (let j = 0; j < n; j++) {
          if (!sp[j]) continue;
          if (present[j]) values[j]! += 1;
          else {
            present[j] = 1;
            values[j] = 1;
          }
        }
        break;
      case 'group':
        for (let j = 0; j < n; j++) {
          if (!sp[j] || present[j]) continue;
          present[j] = 1;
          values[j] = 1;
        }
        break;
      case 'min':
      case 'max': {
        const max = op === 'max';
        for (let j = 0; j < n; j++) {
          if (!sp[j]) continue;
          const x = sv[j]!;
          if (!present[j]) {
            present[j] = 1;
            values[j] = x;
            continue;
          }
          const m = values[j]!;
          if ((max ? m < x : m > x) || Number.isNaN(m)) values[j] = x;
        }
        break;
      }
    }
  }
  let any = false;
  for (let j = 0; j < n; j++) {
    if (!present[j]) continue;
    any = true;
    if (c && Number.isFinite(values[j]!)) values[j] = values[j]! + c[j]!;
  }
  return any ? o : undefined;
}

/**
 * limit_ratio(r, v): the series whose label hash, as a fraction of 2^64, lies below r (r >= 0)
 * or at or above 1 + r (r < 0), so that r and r - 1 pick complementary sets, as Prometheus does.
 */
function limitRatio(series: Series[], ratios: Float64Array, ctx: Ctx): Series[] {
  const n = ctx.n;
  const capped = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const r = ratios[j]!;
    if (Number.isNaN(r)) throw new QueryError('Ratio value is NaN');
    capped[j] = Math.max(-1, Math.min(1, r));
    if (capped[j] !== r) ctx.engine.warnings.add(`PromQL warning: ratio value should be between -1 and 1, got ${formatNumber(r)}, capping to ${formatNumber(capped[j]!)}`);
  }
  const out: Series[] = [];
  for (const s of series) {
    const offset = Number(labelsHash(s.labels)) / 2 ** 64;
    const present = new Uint8Array(n);
    let histograms: (FloatHistogram | undefined)[] | undefined;
    let any = false;
    for (let j = 0; j < n; j++) {
      const r = capped[j]!;
      if (!((r >= 0 && offset < r) || (r < 0 && offset >= 1 + r))) continue;
      if (s.present[j]) present[j] = 1;
      else if (s.histograms?.[j]) (histograms ??= new Array<FloatHistogram | undefined>(n))[j] = s.histograms[j];
      else continue;
      any = true;
    }
    if (any) out.push({ labels: s.labels, values: s.values, present, dropName: s.dropName, ...(histograms ? { histograms } : {}) });
  }
  return out;
}

/**
 * A string quoted as Go's %q does for the bytes PromQL strings may carry: the lexer keeps invalid
 * UTF-8 bytes as lone surrogates U+DC80..U+DCFF, which Go prints as \xNN escapes.
 */
function goQuote(text: string): string {
  let out = '';
  // By code point, so that surrogate pairs stay one character.
  for (const ch of text) {
    const unit = ch.charCodeAt(0);
    if (ch.length === 1 && unit >= 0xdc80 && unit <= 0xdcff) out += `\\x${(unit - 0xdc00).toString(16)}`;
    else out += JSON.stringify(ch).slice(1, -1);
  }
  return `"${out}"`;
}
