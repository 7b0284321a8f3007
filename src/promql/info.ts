// info(v, {data selector}): joins info metrics (target_info by default) to series on their
// identifying labels (instance, job) and adds the info metrics' data labels (experimental).
import type { Labels } from '../model/labels.js';
import { labelValue, newLabels } from '../model/labels.js';
import type { LabelMatcher } from '../storage/matchers.js';
import { matcherFunction } from '../storage/matchers.js';
import type { Call, DurationExpr, Expr, VectorSelector, AtModifier } from './parser/ast.js';
import type { Ctx } from './context.js';
import { evaluate } from './context.js';
import { QueryError, formatLabelsForError, labelsKey } from './values.js';
import type { Series, Value } from './values.js';

const TARGET_INFO = 'target_info';
const IDENTIFYING = ['instance', 'job'];

function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** The name matchers that select info metrics. */
function effectiveNameMatchers(ms: LabelMatcher[]): LabelMatcher[] {
  if (ms.some((m) => m.type === '=' || m.type === '=~')) return ms;
  if (ms.length > 0) return [{ type: '=~', name: '__name__', value: '.+_info' }, ...ms];
  return [{ type: '=', name: '__name__', value: TARGET_INFO }];
}

/** The @ and offset of the first selector in the base expression (info series are read alike). */
function timingOf(e: Expr): { at: AtModifier | undefined; offsets: DurationExpr[] } {
  const subqueries: { at: AtModifier | undefined; offset: DurationExpr | undefined }[] = [];
  let found: { at: AtModifier | undefined; offsets: DurationExpr[] } | undefined;
  const visit = (x: Expr): void => {
    if (found) return;
    switch (x.type) {
      case 'VectorSelector': {
        const offsets = x.offset ? [x.offset] : [];
        let at = x.at;
        for (let i = subqueries.length - 1; at === undefined && i >= 0; i--) {
          if (subqueries[i]!.offset) offsets.push(subqueries[i]!.offset!);
          at = subqueries[i]!.at;
        }
        found = { at, offsets };
        return;
      }
      case 'MatrixSelector':
        return visit(x.vector);
      case 'SubqueryExpr':
        subqueries.push({ at: x.at, offset: x.offset });
        visit(x.expr);
        subqueries.pop();
        return;
      case 'ParenExpr':
      case 'UnaryExpr':
        return visit(x.expr);
      case 'Call':
        return x.args.forEach(visit);
      case 'AggregateExpr':
        if (x.param) visit(x.param);
        return visit(x.expr);
      case 'BinaryExpr':
        visit(x.lhs);
        return visit(x.rhs);
      default:
        return;
    }
  };
  visit(e);
  return found ?? { at: undefined, offsets: [] };
}

function sumOffsets(offsets: DurationExpr[]): DurationExpr | undefined {
  if (offsets.length === 0) return undefined;
  return offsets.reduce((a, b) => ({ kind: 'binary', op: '+', lhs: a, rhs: b, pos: 0, end: 0 }));
}

export function evalInfo(call: Call, ctx: Ctx): Value {
  const baseValue = evaluate(call.args[0]!, ctx);
  if (baseValue.kind !== 'vector') throw new QueryError('info() expects an instant vector');
  const base = baseValue.series;
  const selectorArg = call.args[1] as VectorSelector | undefined;

  const dataMatchers = new Map<string, LabelMatcher[]>();
  let infoNameMatchers: LabelMatcher[] = [];
  if (selectorArg) {
    for (const m of selectorArg.matchers) {
      dataMatchers.set(m.name, [...(dataMatchers.get(m.name) ?? []), m]);
      if (m.name === '__name__') infoNameMatchers.push(m);
    }
  } else infoNameMatchers = [{ type: '=', name: '__name__', value: TARGET_INFO }];
  const nameMatch = effectiveNameMatchers(infoNameMatchers).map(matcherFunction);
  const ignored = base.map((s) => nameMatch.every((f) => f(s.labels['__name__'] ?? '')));

  const idValues = new Map<string, Set<string>>();
  base.forEach((s, i) => {
    if (ignored[i]) return;
    for (const l of IDENTIFYING) {
      const v = s.labels[l];
      if (v === undefined || v === '') continue;
      if (!idValues.has(l)) idValues.set(l, new Set());
      idValues.get(l)!.add(v);
    }
  });
  const nameOfData: LabelMatcher[] = dataMatchers.get('__name__') ?? [];
  dataMatchers.delete('__name__');

  let info: Series[] = [];
  if (idValues.size > 0) {
    const matchers: LabelMatcher[] = [];
    for (const [name, vals] of idValues) matchers.push({ type: '=~', name, value: [...vals].map(quoteMeta).join('|') });
    for (const ms of dataMatchers.values()) matchers.push(...ms);
    matchers.push(...effectiveNameMatchers(nameOfData));
    const timing = timingOf(call.args[0]!);
    const selector: VectorSelector = { type: 'VectorSelector', name: undefined, matchers, offset: sumOffsets(timing.offsets), at: timing.at, pos: call.pos, end: call.end };
    const v = evaluate(selector, ctx);
    if (v.kind === 'vector') info = v.series;
    // Info metrics carry their data in labels; a histogram-valued series cannot be one.
    const histogram = info.find((s) => s.histograms?.some((h) => h !== undefined));
    if (histogram) throw new QueryError(`info series must hold float samples, but ${JSON.stringify(histogram.labels['__name__'] ?? '')} holds native histograms`);
  }

  const infoNames = [...new Set(info.map((s) => s.labels['__name__'] ?? ''))];
  const sig = (name: string, l: Labels): string => labelsKey({ __name__: name, ...Object.fromEntries(IDENTIFYING.filter((k) => l[k] !== undefined).map((k) => [k, l[k]!])) });
  const infoSig = info.map((s) => sig(s.labels['__name__'] ?? '', s.labels));
  const baseSigs = base.map((s) => infoNames.map((n) => [n, sig(n, s.labels)] as const));
  const allMatchEmpty = [...dataMatchers.values()].every((ms) => ms.every((m) => matcherFunction(m)('')));

  const outputs = new Map<string, Series>();
  const order: Series[] = [];
  for (let j = 0; j < ctx.n; j++) {
    const bySig = new Map<string, number>();
    info.forEach((s, i) => {
      if (!s.present[j]) return;
      const t = s.timestamps ? s.timestamps[j]! : 0;
      const prev = bySig.get(infoSig[i]!);
      if (prev !== undefined) {
        const pt = info[prev]!.timestamps ? info[prev]!.timestamps![j]! : 0;
        if (pt === t) throw new QueryError(`found duplicate series for info metric: existing ${formatLabelsForError(info[prev]!.labels)} @ ${pt}, new ${formatLabelsForError(s.labels)} @ ${t}`);
        if (pt > t) return;
      }
      bySig.set(infoSig[i]!, i);
    });
    base.forEach((b, bi) => {
      if (!b.present[j]) return;
      let labels: Labels = b.labels;
      if (!ignored[bi]) {
        const added: Labels = newLabels();
        let seen = 0;
        for (const [, s] of baseSigs[bi]!) {
          const ii = bySig.get(s);
          if (ii === undefined) continue;
          seen++;
          const il = info[ii]!.labels;
          for (const k of Object.keys(il)) {
            if (k === '__name__') continue;
            if (dataMatchers.size > 0 && !dataMatchers.has(k)) continue;
            if (added[k] !== undefined && added[k] !== il[k]) throw new QueryError(`conflicting label: ${k}`);
            if (labelValue(b.labels, k) !== undefined) continue;
            added[k] = il[k]!;
          }
        }
        if (seen === 0 && !allMatchEmpty) return;
        labels = { ...b.labels, ...added };
      }
      const key = labelsKey(labels);
      let o = outputs.get(key);
      if (!o) {
        o = { labels, values: new Float64Array(ctx.n), present: new Uint8Array(ctx.n), dropName: b.dropName };
        outputs.set(key, o);
        order.push(o);
      }
      if (o.present[j]) throw new QueryError('vector cannot contain metrics with the same labelset');
      o.values[j] = b.values[j]!;
      o.present[j] = 1;
    });
  }
  return { kind: 'vector', series: order };
}
