// Binary operators: arithmetic, comparisons (filtering or `bool`) and set operators, with
// Prometheus's vector matching (on/ignoring, group_left/group_right, fill modifiers).
import type { Labels } from '../model/labels.js';
import { labelValue, setLabel } from '../model/labels.js';
import type { BinaryExpr, BinaryOp, VectorMatching } from './parser/ast.js';
import { COMPARISON_OPS, SET_OPS } from './parser/ast.js';
import type { Ctx } from './context.js';
import { evaluate, markDropName } from './context.js';
import { QueryError, formatLabelsForError, labelsKey } from './values.js';
import type { Series, Value } from './values.js';
import type { FloatHistogram } from '../model/histogram.js';
import { histogramBinop } from './histogram/binary.js';
import type { Sample } from './histogram/binary.js';

/** Go's math.Pow special cases differ from JavaScript's `**` for 1, -1 and 0 exponents. */
function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    default:
      throw new QueryError(`operator ${JSON.stringify(op)} not allowed for float operations`);
  }
}

function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    default:
      throw new QueryError(`operator ${JSON.stringify(op)} is not a comparison`);
  }
}

function isArithmetic(op: BinaryOp): boolean {
  return !COMPARISON_OPS.has(op) && !SET_OPS.has(op);
}

/** The sample of a series at step j: a float, a histogram, or undefined. */
function sampleAt(s: Series, j: number): Sample | undefined {
  if (s.present[j]) return s.values[j]!;
  return s.histograms?.[j];
}

function annotator(ctx: Ctx): { warn: (t: string) => void; info: (t: string) => void } {
  const env = ctx.engine;
  return { warn: (t) => env.warnings.add(t), info: (t) => env.infos.add(t) };
}

function isTrim(op: BinaryOp): boolean {
  return op === '</' || op === '>/';
}

function setHistogram(o: Series, j: number, h: FloatHistogram, n: number): void {
  o.histograms ??= new Array<FloatHistogram | undefined>(n);
  o.histograms[j] = h;
}

export function evalBinary(e: BinaryExpr, ctx: Ctx): Value {
  const l = evaluate(e.lhs, ctx);
  const r = evaluate(e.rhs, ctx);
  const n = ctx.n;
  if (l.kind === 'scalar' && r.kind === 'scalar') {
    const values = new Float64Array(n);
    for (let j = 0; j < n; j++) values[j] = COMPARISON_OPS.has(e.op) ? (compare(e.op, l.values[j]!, r.values[j]!) ? 1 : 0) : arith(e.op, l.values[j]!, r.values[j]!);
    return { kind: 'scalar', values };
  }
  if (l.kind === 'vector' && r.kind === 'scalar') return { kind: 'vector', series: vectorScalar(e, l.series, r.values, false, ctx) };
  if (l.kind === 'scalar' && r.kind === 'vector') return { kind: 'vector', series: vectorScalar(e, r.series, l.values, true, ctx) };
  if (l.kind === 'vector' && r.kind === 'vector') {
    if (SET_OPS.has(e.op)) return { kind: 'vector', series: setOp(e, l.series, r.series, ctx) };
    return { kind: 'vector', series: vectorVector(e, l.series, r.series, ctx) };
  }
  throw new QueryError('binary expression must contain only scalar and instant vector types');
}

function vectorScalar(e: BinaryExpr, series: Series[], scalar: Float64Array, scalarLeft: boolean, ctx: Ctx): Series[] {
  const n = ctx.n;
  const cmp = COMPARISON_OPS.has(e.op);
  const out: Series[] = [];
  const ann = annotator(ctx);
  const filter = cmp && !e.returnBool;
  for (const s of series) {
    if (filter && s.histograms === undefined) {
      const kept = filtered(e.op, s, scalar, scalarLeft, n);
      if (kept) out.push(kept);
      continue;
    }
    const values = new Float64Array(n);
    const present = new Uint8Array(n);
    let histograms: (FloatHistogram | undefined)[] | undefined;
    for (let j = 0; j < n; j++) {
      const h = s.present[j] ? undefined : s.histograms?.[j];
      if (h) {
        const r = histogramBinop(e.op, scalarLeft ? scalar[j]! : h, scalarLeft ? h : scalar[j]!, e.returnBool, s.labels['__name__'] ?? '', ann);
        if (typeof r === 'number') {
          values[j] = r;
          present[j] = 1;
        } else if (r) (histograms ??= new Array<FloatHistogram | undefined>(n))[j] = r;
        continue;
      }
      if (!s.present[j]) continue;
      if (isTrim(e.op)) {
        ann.info(`PromQL info: incompatible sample types encountered for binary operator ${JSON.stringify(e.op)}: float ${e.op} float`);
        continue;
      }
      const v = s.values[j]!;
      const [a, b] = scalarLeft ? [scalar[j]!, v] : [v, scalar[j]!];
      if (cmp) {
        const ok = compare(e.op, a, b);
        if (e.returnBool) {
          values[j] = ok ? 1 : 0;
          present[j] = 1;
        } else if (ok) {
          values[j] = v;
          present[j] = 1;
        }
      } else {
        values[j] = arith(e.op, a, b);
        present[j] = 1;
      }
    }
    let o: Series = { labels: s.labels, values, present, dropName: s.dropName, ...(histograms ? { histograms } : {}) };
    if ((!cmp || e.returnBool) && !isTrim(e.op)) o = markDropName(o, ctx);
    if (present.some((p) => p === 1) || histograms) out.push(o);
  }
  return out;
}

/**
 * A float series filtered by a comparison with a scalar: its values as they are (shared, not
 * copied: a filter keeps values and labels), present where the comparison holds. Presence is
 * copied only when a step drops out; undefined when none is left.
 */
function filtered(op: BinaryOp, s: Series, scalar: Float64Array, scalarLeft: boolean, n: number): Series | undefined {
  const sv = s.values;
  const sp = s.present;
  let present: Uint8Array | undefined;
  let any = false;
  for (let j = 0; j < n; j++) {
    if (!sp[j]) continue;
    const ok = scalarLeft ? compare(op, scalar[j]!, sv[j]!) : compare(op, sv[j]!, scalar[j]!);
    if (ok) {
      any = true;
      continue;
    }
    present ??= sp.slice();
    present[j] = 0;
  }
  // Not the input's own object: sample timestamps (for timestamp() over a selector) stay behind.
  return any ? { labels: s.labels, values: sv, present: present ?? sp, dropName: s.dropName } : undefined;
}

function defaultMatching(e: BinaryExpr): VectorMatching {
  return e.matching ?? { card: SET_OPS.has(e.op) ? 'many-to-many' : 'one-to-one', on: false, labels: [], include: [], explicit: false };
}

/** The labels two series are matched on. */
function signature(l: Labels, m: VectorMatching): string {
  if (m.on) return m.labels.map((k) => `${k}\xff${labelValue(l, k) ?? ''}`).join('\xfe');
  const drop = new Set(m.labels);
  drop.add('__name__');
  return Object.keys(l)
    .filter((k) => !drop.has(k))
    .sort()
    .map((k) => `${k}\xff${l[k]}`)
    .join('\xfe');
}

function matchGroupText(l: Labels, m: VectorMatching): string {
  const out: Labels = {};
  if (m.on) for (const k of m.labels) setLabel(out, k, labelValue(l, k) ?? '');
  else for (const k of Object.keys(l)) if (k !== '__name__' && !m.labels.includes(k)) setLabel(out, k, l[k]!);
  return formatLabelsForError(out);
}

function setOp(e: BinaryExpr, lhs: Series[], rhs: Series[], ctx: Ctx): Series[] {
  const m = defaultMatching(e);
  const n = ctx.n;
  const lsig = lhs.map((s) => signature(s.labels, m));
  const rsig = rhs.map((s) => signature(s.labels, m));
  const sigsAt = (series: Series[], sigs: string[], j: number): Set<string> => {
    const set = new Set<string>();
    series.forEach((s, i) => {
      if (s.present[j] || s.histograms?.[j]) set.add(sigs[i]!);
    });
    return set;
  };
  const out: Series[] = [];
  if (e.op === 'or') {
    out.push(...lhs);
    const masks = rhs.map(() => new Uint8Array(n));
    for (let j = 0; j < n; j++) {
      const left = sigsAt(lhs, lsig, j);
      rhs.forEach((s, i) => {
        if ((s.present[j] || s.histograms?.[j]) && !left.has(rsig[i]!)) masks[i]![j] = 1;
      });
    }
    rhs.forEach((s, i) => {
      if (masks[i]!.some((x) => x === 1)) out.push(masked(s, masks[i]!));
    });
    return out;
  }
  const masks = lhs.map(() => new Uint8Array(n));
  for (let j = 0; j < n; j++) {
    const right = sigsAt(rhs, rsig, j);
    lhs.forEach((s, i) => {
      if (!s.present[j] && !s.histograms?.[j]) return;
      const hit = right.has(lsig[i]!);
      if ((e.op === 'and' && hit) || (e.op === 'unless' && !hit)) masks[i]![j] = 1;
    });
  }
  lhs.forEach((s, i) => {
    if (masks[i]!.some((x) => x === 1)) out.push({ ...masked(s, masks[i]!), timestamps: undefined });
  });
  return out;
}

/** The series at the steps of `mask` only (floats and histograms alike). */
function masked(s: Series, mask: Uint8Array): Series {
  const present = new Uint8Array(mask.length);
  for (let j = 0; j < mask.length; j++) present[j] = mask[j]! & s.present[j]!;
  if (!s.histograms) return { ...s, present };
  return { ...s, present, histograms: s.histograms.map((h, j) => (mask[j] ? h : undefined)) };
}

function resultLabels(many: Labels, one: Labels, e: BinaryExpr, m: VectorMatching, dropName: boolean): Labels {
  // Spread copies an own `__proto__` label as a key; setLabel assigns it as one.
  let out: Labels = { ...many };
  if (dropName) delete out['__name__'];
  if (m.card === 'one-to-one') {
    if (m.on) {
      const kept: Labels = {};
      for (const k of m.labels) {
        const v = labelValue(out, k);
        if (v !== undefined) setLabel(kept, k, v);
      }
      out = kept;
    } else for (const k of m.labels) delete out[k];
  }
  for (const k of m.include) {
    const v = labelValue(one, k);
    if (v !== undefined && v !== '') setLabel(out, k, v);
    else delete out[k];
  }
  void e;
  return out;
}

/** Labels of a series whose partner was filled in: only what the matching looks at. */
function matchedLabelsOnly(l: Labels, m: VectorMatching): Labels {
  const out: Labels = {};
  if (m.on) {
    for (const k of m.labels) {
      const v = labelValue(l, k);
      if (v !== undefined) setLabel(out, k, v);
    }
  } else {
    for (const k of Object.keys(l)) if (k !== '__name__' && k !== '__type__' && k !== '__unit__' && !m.labels.includes(k)) setLabel(out, k, l[k]!);
  }
  return out;
}

function vectorVector(e: BinaryExpr, lhsIn: Series[], rhsIn: Series[], ctx: Ctx): Series[] {
  const m = defaultMatching(e);
  const n = ctx.n;
  const cmp = COMPARISON_OPS.has(e.op);
  const swapped = m.card === 'one-to-many';
  // "many" side first; for group_right the right side is the many side.
  const many = swapped ? rhsIn : lhsIn;
  const one = swapped ? lhsIn : rhsIn;
  const manySig = many.map((s) => signature(s.labels, m));
  const oneSig = one.map((s) => signature(s.labels, m));
  // fill_left fills the many side (the left one unless group_right swapped the roles) and
  // fill_right the one side, as Prometheus applies them after the swap.
  const fillMany = e.fillLeft;
  const fillOne = e.fillRight;
  const dropsName = isArithmetic(e.op) || e.returnBool;
  const delayed = ctx.engine.delayedNameRemoval;

  const outputs = new Map<string, Series>();
  const order: Series[] = [];
  const emit = (labels: Labels, dropName: boolean, j: number, value: Sample): void => {
    const key = labelsKey(labels) + (dropName ? '\x00d' : '');
    let o = outputs.get(key);
    if (!o) {
      o = { labels, values: new Float64Array(n), present: new Uint8Array(n), dropName };
      outputs.set(key, o);
      order.push(o);
    }
    if (o.present[j] || o.histograms?.[j]) {
      if (m.card === 'one-to-one') throw new QueryError(`multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)`);
      throw new QueryError(`multiple matches for labels: grouping labels must ensure unique matches`);
    }
    if (typeof value === 'number') {
      o.values[j] = value;
      o.present[j] = 1;
    } else setHistogram(o, j, value, n);
  };
  const ann = annotator(ctx);
  const labelCache = new Map<string, Labels>();
  const labelsFor = (mi: number, oi: number, manyLabels: Labels, oneLabels: Labels): Labels => {
    const k = `${mi}:${oi}`;
    let l = labelCache.get(k);
    if (!l) labelCache.set(k, (l = resultLabels(manyLabels, oneLabels, e, m, dropsName && !delayed)));
    return l;
  };
  const compute = (fl: Sample, fr: Sample, name: string): { keep: boolean; value: Sample } => {
    if (typeof fl !== 'number' || typeof fr !== 'number') {
      const r = histogramBinop(e.op, fl, fr, e.returnBool, name, ann);
      return r === undefined ? { keep: false, value: 0 } : { keep: true, value: r };
    }
    if (isTrim(e.op)) {
      ann.info(`PromQL info: incompatible sample types encountered for binary operator ${JSON.stringify(e.op)}: float ${e.op} float`);
      return { keep: false, value: 0 };
    }
    if (cmp) {
      const ok = compare(e.op, fl, fr);
      if (e.returnBool) return { keep: true, value: ok ? 1 : 0 };
      return { keep: ok, value: fl };
    }
    return { keep: true, value: arith(e.op, fl, fr) };
  };

  for (let j = 0; j < n; j++) {
    const oneBySig = new Map<string, number>();
    one.forEach((s, i) => {
      if (!s.present[j] && !s.histograms?.[j]) return;
      const sig = oneSig[i]!;
      const prev = oneBySig.get(sig);
      if (prev !== undefined) {
        const side = swapped ? 'left' : 'right';
        throw new QueryError(`found duplicate series for the match group ${matchGroupText(s.labels, m)} on the ${side} hand-side of the operation: [${formatLabelsForError(one[prev]!.labels)}, ${formatLabelsForError(s.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`);
      }
      oneBySig.set(sig, i);
    });
    const matchedOne = new Set<number>();
    const seenMany = new Map<string, number>();
    many.forEach((s, i) => {
      const manyValue = sampleAt(s, j);
      if (manyValue === undefined) return;
      const sig = manySig[i]!;
      if (m.card === 'one-to-one') {
        const prev = seenMany.get(sig);
        if (prev !== undefined && oneBySig.has(sig)) {
          throw new QueryError(`found duplicate series for the match group ${matchGroupText(s.labels, m)} on the left hand-side of the operation: [${formatLabelsForError(many[prev]!.labels)}, ${formatLabelsForError(s.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`);
        }
        seenMany.set(sig, i);
      }
      const oi = oneBySig.get(sig);
      let oneValue: Sample;
      let oneLabels: Labels;
      if (oi === undefined) {
        if (fillOne === undefined) return;
        oneValue = fillOne;
        oneLabels = {};
      } else {
        matchedOne.add(oi);
        oneValue = sampleAt(one[oi]!, j)!;
        oneLabels = one[oi]!.labels;
      }
      const [fl, fr] = swapped ? [oneValue, manyValue] : [manyValue, oneValue];
      const { keep, value } = compute(fl, fr, s.labels['__name__'] ?? '');
      if (!keep) return;
      emit(labelsFor(i, oi ?? -1, s.labels, oneLabels), dropsName ? true : s.dropName, j, value);
    });
    if (fillMany !== undefined) {
      // Series on the "one" side without a partner, filled in on the "many" side.
      one.forEach((s, i) => {
        const oneValue = sampleAt(s, j);
        if (oneValue === undefined || matchedOne.has(i)) return;
        const [fl, fr] = swapped ? [oneValue, fillMany] : [fillMany, oneValue];
        const { keep, value } = compute(fl, fr, s.labels['__name__'] ?? '');
        if (!keep) return;
        emit(matchedLabelsOnly(s.labels, m), false, j, value);
      });
    }
  }
  return order.map((o) => (o.dropName && !delayed ? { ...o, dropName: false } : o));
}
