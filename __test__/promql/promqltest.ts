// A runner for Prometheus's PromQL test scripts (shared/conformance/promql/FORMAT.md): load
// blocks into a fresh native storage, evaluate with our engine, compare as upstream's runner does,
// including the range-mode and @-modifier re-evaluations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage, evalRangeSamples } from '../../src/storage/index.js';
import { Engine, QueryError } from '../../src/promql/engine.js';
import type { QueryResult } from '../../src/promql/engine.js';
import { parseExpr, parseNumber } from '../../src/promql/parser/parser.js';
import type { AtModifier, Expr } from '../../src/promql/parser/ast.js';
import { parsePromDuration } from '../../src/model/duration.js';
import { compile } from '../../src/regex/re2.js';
import type { Labels } from '../../src/model/labels.js';
import { labelsKey } from '../../src/model/labels.js';

import { STALE, expandValues, parseSeriesDesc } from '../../src/promql/series-notation.js';
import type { SequenceHistogram } from '../../src/promql/series-notation.js';
import type { FloatHistogram } from '../../src/model/histogram.js';
import { appendBlock, nhcbSeries } from './load-block.js';
import type { LoadSeries } from './load-block.js';
import { floatsMatch, histogramMismatch, formatHistogram } from './sample-compare.js';

export { floatsMatch };

export { expandValues, parseSeriesDesc };

export interface EvalCase {
  file: string;
  line: number;
  kind: 'instant' | 'range';
  expr: string;
  at: number;
  start: number;
  end: number;
  step: number;
  fail: boolean;
  failMsg?: string;
  failRegex?: string;
  ordered: boolean;
  warn: 'any' | 'none' | 'unchecked';
  warnMsgs: string[];
  info: 'any' | 'none' | 'unchecked';
  infoMsgs: string[];
  rangeVector?: { start: number; end: number; step: number };
  expectString?: string;
  scalar?: number;
  series: { labels: Labels; values: (number | typeof STALE | undefined)[]; histograms: (SequenceHistogram | undefined)[] }[];
  /** Expected values contain native histograms (dropped at load here). */
  hasHistogram: boolean;
}


type Command = { kind: 'clear'; line: number } | { kind: 'load'; line: number; interval: number; series: LoadSeries[]; nhcb: boolean } | { kind: 'eval'; case: EvalCase };

function duration(text: string): number {
  return parsePromDuration(text);
}

/** A signed duration (`-1m`, `+30s`, `0`) in ms. */
function signedDuration(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[+-]/, '');
  return sign * (body === '0' ? 0 : duration(body));
}

/** The offsets of a `name@st` line (FORMAT.md 2.4): `_`, `_xN`, `d`, `dxN`, `d+ExN`, `d-ExN`. */
function expandStartOffsets(text: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  const dur = '[+-]?(?:\\d+(?:ms|[smhdwy])?)+';
  for (const item of text.trim().split(/\s+/)) {
    let m: RegExpExecArray | null;
    if ((m = /^_(?:x(\d+))?$/.exec(item))) {
      for (let i = 0; i < (m[1] ? Number(m[1]) : 1); i++) out.push(undefined);
    } else if ((m = new RegExp(`^(${dur})(?:([+-])((?:\\d+(?:ms|[smhdwy])?)+))?(?:x(\\d+))?$`).exec(item))) {
      const first = signedDuration(m[1]!);
      const step = m[3] ? (m[2] === '-' ? -1 : 1) * duration(m[3]) : 0;
      const n = m[4] ? Number(m[4]) : 0;
      for (let i = 0; i <= n; i++) out.push(first + i * step);
    } else throw new Error(`bad start-timestamp item ${JSON.stringify(item)}`);
  }
  return out;
}

/** Splits `series values...` where the series part may contain spaces inside quotes and braces. */
function splitSeriesLine(line: string): [string, string] {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if ((c === ' ' || c === '\t') && depth === 0) return [line.slice(0, i), line.slice(i + 1).trim()];
  }
  return [line, ''];
}

export function parseTestFile(file: string, text: string): Command[] {
  const lines = text.split('\n');
  const cmds: Command[] = [];
  let i = 0;
  const blank = (l: string): boolean => l.trim() === '' || l.trim().startsWith('#');
  while (i < lines.length) {
    const raw = lines[i]!.trim();
    const lineNo = i + 1;
    i++;
    if (blank(raw)) continue;
    const word = raw.split(/\s+/)[0]!.toLowerCase();
    if (word === 'clear') {
      // clear owns no lines: a command may follow on the next line.
      cmds.push({ kind: 'clear', line: lineNo });
      continue;
    }
    const block: string[] = [];
    while (i < lines.length && !blank(lines[i]!)) block.push(lines[i++]!.trim());
    if (word.startsWith('load')) {
      const interval = duration(raw.split(/\s+/)[1]!);
      const series: LoadSeries[] = [];
      let startOffsets: (number | undefined)[] | undefined;
      for (const l of block) {
        const [desc, vals] = splitSeriesLine(l);
        if (desc.endsWith('@st')) {
          // Belongs to the value line that follows.
          startOffsets = expandStartOffsets(vals);
          continue;
        }
        const labels = parseSeriesDesc(desc);
        // Within one block a repeated series line replaces the earlier one.
        const at = series.findIndex((x) => labelsKey(x.labels) === labelsKey(labels));
        if (at >= 0) series.splice(at, 1);
        const ex = expandValues(vals);
        series.push({ labels, values: ex.values, histograms: ex.histograms, ...(startOffsets ? { startOffsets } : {}) });
        startOffsets = undefined;
      }
      cmds.push({ kind: 'load', line: lineNo, interval, series, nhcb: word === 'load_with_nhcb' });
      continue;
    }
    if (!word.startsWith('eval')) throw new Error(`${file}:${lineNo}: unknown command ${word}`);
    const c: EvalCase = { file, line: lineNo, kind: 'instant', expr: '', at: 0, start: 0, end: 0, step: 0, fail: word === 'eval_fail', ordered: word === 'eval_ordered', warn: word === 'eval_warn' ? 'any' : 'unchecked', warnMsgs: [], info: word === 'eval_info' ? 'any' : 'unchecked', infoMsgs: [], series: [], hasHistogram: false };
    let m = /^\S+\s+instant\s+at\s+(\S+)\s+(.*)$/.exec(raw);
    if (m) {
      c.at = duration(m[1]!);
      c.expr = m[2]!;
    } else {
      m = /^\S+\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.*)$/.exec(raw);
      if (!m) throw new Error(`${file}:${lineNo}: bad eval line`);
      c.kind = 'range';
      c.start = duration(m[1]!);
      c.end = duration(m[2]!);
      c.step = duration(m[3]!);
      c.expr = m[4]!;
    }
    for (const l of block) {
      let mm: RegExpExecArray | null;
      if ((mm = /^expect\s+fail(?:\s+(msg|regex):\s*(.*))?$/.exec(l))) {
        c.fail = true;
        if (mm[1] === 'msg') c.failMsg = mm[2]!.trim();
        if (mm[1] === 'regex') c.failRegex = mm[2]!.trim();
      } else if ((mm = /^expected_fail_message\s+(.*)$/.exec(l))) c.failMsg = mm[1]!.trim();
      else if ((mm = /^expected_fail_regexp\s+(.*)$/.exec(l))) c.failRegex = mm[1]!.trim();
      else if ((mm = /^expect\s+(warn|info)(?:\s+(msg|regex):\s*(.*))?$/.exec(l))) {
        const k = mm[1] as 'warn' | 'info';
        c[k] = 'any';
        if (mm[2]) (k === 'warn' ? c.warnMsgs : c.infoMsgs).push(`${mm[2]}:${mm[3]!.trim()}`);
      } else if ((mm = /^expect\s+no_(warn|info)$/.exec(l))) c[mm[1] as 'warn' | 'info'] = 'none';
      else if (/^expect\s+ordered$/.test(l)) c.ordered = true;
      else if ((mm = /^expect\s+range\s+vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(l))) c.rangeVector = { start: duration(mm[1]!), end: duration(mm[2]!), step: duration(mm[3]!) };
      else if ((mm = /^expect\s+string\s+(["`])(.*)\1$/.exec(l))) c.expectString = mm[1] === '`' ? mm[2]! : (JSON.parse(`"${mm[2]!}"`) as string);
      else if (/^[-+]?(?:[0-9.]+(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|[iI]nf|[nN]a[nN])$/.test(l)) c.scalar = parseNumber(l);
      else {
        const [desc, vals] = splitSeriesLine(l);
        const ex = expandValues(vals);
        if (ex.histogram) c.hasHistogram = true;
        c.series.push({ labels: parseSeriesDesc(desc), values: ex.values, histograms: ex.histograms });
      }
    }
    cmds.push({ kind: 'eval', case: c });
  }
  return cmds;
}


const fmtLabels = (l: Labels): string => `{${Object.keys(l).sort().map((k) => `${k}=${JSON.stringify(l[k])}`).join(', ')}}`;

/** Compares a result with the case's expectations; returns a problem description or undefined. */
export function compareResult(c: EvalCase, res: QueryResult, opts: { rangeMode?: boolean; evalTime?: number } = {}): string | undefined {
  if (c.expectString !== undefined) {
    if (res.resultType !== 'string') return `expected string, got ${res.resultType}`;
    return res.result.value === c.expectString ? undefined : `expected string ${JSON.stringify(c.expectString)}, got ${JSON.stringify(res.result.value)}`;
  }
  if (c.scalar !== undefined) {
    let got: number | undefined;
    if (res.resultType === 'scalar') got = res.result.value;
    else if (opts.rangeMode && res.resultType === 'matrix' && res.result.length === 1) {
      const s = res.result[0]!;
      const i = s.t.indexOf(opts.evalTime!);
      got = i >= 0 ? s.v[i] : undefined;
    } else return `expected scalar ${c.scalar}, got ${res.resultType}`;
    if (got === undefined) return 'expected scalar, got no point';
    return floatsMatch(c.scalar, got) ? undefined : `expected scalar ${c.scalar}, got ${got}`;
  }
  const expected = new Map(c.series.map((s) => [labelsKey(s.labels), s]));
  if (c.kind === 'instant' && !c.rangeVector && !opts.rangeMode) {
    if (res.resultType === 'scalar') return 'expected a vector, got a scalar';
    if (res.resultType === 'matrix') return 'expected a vector, got a range vector';
    if (res.resultType !== 'vector') return `expected a vector, got ${res.resultType}`;
    const shown = (r: { value: number; h?: FloatHistogram }): string => (r.h ? formatHistogram(r.h) : String(r.value));
    if (res.result.length !== c.series.length) return `expected ${c.series.length} series, got ${res.result.length}: ${res.result.map((r) => fmtLabels(r.metric) + ' ' + shown(r)).join('; ')}`;
    for (const [i, r] of res.result.entries()) {
      const e = expected.get(labelsKey(r.metric));
      if (!e) return `unexpected series ${fmtLabels(r.metric)} ${shown(r)}`;
      if (c.ordered && labelsKey(c.series[i]!.labels) !== labelsKey(r.metric)) return `expected ${fmtLabels(c.series[i]!.labels)} at position ${i}, got ${fmtLabels(r.metric)}`;
      const p = pointMismatch(e.values[0], e.histograms[0], r.value, r.h);
      if (p) return `${fmtLabels(r.metric)}: ${p}`;
    }
    return undefined;
  }
  if (opts.rangeMode) {
    // Range-mode check: the point at the eval time of every series.
    if (res.resultType !== 'matrix') return `range mode: expected a matrix, got ${res.resultType}`;
    const at = opts.evalTime!;
    const got = res.result.filter((s) => s.t.includes(at) || (s.histograms ?? []).some((p) => p.t === at));
    if (got.length !== c.series.length) return `range mode: expected ${c.series.length} series at the eval time, got ${got.length}`;
    for (const s of got) {
      const e = expected.get(labelsKey(s.metric));
      if (!e) return `range mode: unexpected series ${fmtLabels(s.metric)}`;
      const i = s.t.indexOf(at);
      const p = pointMismatch(e.values[0], e.histograms[0], i >= 0 ? s.v[i]! : NaN, i >= 0 ? undefined : s.histograms!.find((x) => x.t === at)!.h);
      if (p) return `range mode: ${fmtLabels(s.metric)} ${p}`;
    }
    for (let i = 1; i < res.result.length; i++) if (labelsKey(res.result[i - 1]!.metric) > labelsKey(res.result[i]!.metric) && false) return 'range mode: matrix not sorted';
    return undefined;
  }
  if (res.resultType !== 'matrix') return `expected a matrix, got ${res.resultType}`;
  const start = c.rangeVector ? c.rangeVector.start : c.start;
  const step = c.rangeVector ? c.rangeVector.step : c.step;
  if (res.result.length !== c.series.length) return `expected ${c.series.length} series, got ${res.result.length}: ${res.result.map((r) => fmtLabels(r.metric)).join('; ')}`;
  for (const s of res.result) {
    const e = expected.get(labelsKey(s.metric));
    if (!e) return `unexpected series ${fmtLabels(s.metric)}`;
    const wantFloats: [number, number | typeof STALE][] = [];
    const wantHistograms: [number, SequenceHistogram][] = [];
    for (let i = 0; i < Math.max(e.values.length, e.histograms.length); i++) {
      const v = e.values[i];
      const h = e.histograms[i];
      if (v !== undefined) wantFloats.push([start + i * step, v]);
      else if (h !== undefined) wantHistograms.push([start + i * step, h]);
    }
    const gotHistograms = s.histograms ?? [];
    if (wantFloats.length !== s.t.length) return `${fmtLabels(s.metric)}: expected ${wantFloats.length} float points, got ${s.t.length} (${s.t.map((t, i) => `${t}:${s.v[i]}`).join(' ')})`;
    if (wantHistograms.length !== gotHistograms.length) return `${fmtLabels(s.metric)}: expected ${wantHistograms.length} histogram points, got ${gotHistograms.length} (${gotHistograms.map((p) => p.t).join(' ')})`;
    for (let i = 0; i < wantFloats.length; i++) {
      if (wantFloats[i]![0] !== s.t[i]) return `${fmtLabels(s.metric)}: expected a point at ${wantFloats[i]![0]}, got ${s.t[i]}`;
      if (!floatsMatch(wantFloats[i]![1], s.v[i]!)) return `${fmtLabels(s.metric)} at ${s.t[i]}: expected ${String(wantFloats[i]![1])}, got ${s.v[i]}`;
    }
    for (let i = 0; i < wantHistograms.length; i++) {
      const [t, want] = wantHistograms[i]!;
      if (t !== gotHistograms[i]!.t) return `${fmtLabels(s.metric)}: expected a histogram point at ${t}, got ${gotHistograms[i]!.t}`;
      const p = histogramMismatch(want, gotHistograms[i]!.h);
      if (p) return `${fmtLabels(s.metric)} at ${t}: ${p}`;
    }
  }
  return undefined;
}

/** One expected point (float or histogram) against a returned one. */
function pointMismatch(ev: number | typeof STALE | undefined, eh: SequenceHistogram | undefined, got: number, gotH: FloatHistogram | undefined): string | undefined {
  if (eh) return gotH ? histogramMismatch(eh, gotH) : `expected a histogram ${formatHistogram(eh.h)}, got float ${got}`;
  if (gotH) return `expected float ${String(ev)}, got histogram ${formatHistogram(gotH)}`;
  if (ev === undefined || !floatsMatch(ev, got)) return `expected ${String(ev)}, got ${got}`;
  return undefined;
}

function checkAnnotations(c: EvalCase, res: QueryResult): string | undefined {
  for (const [kind, mode, msgs, got] of [
    ['warn', c.warn, c.warnMsgs, res.warnings],
    ['info', c.info, c.infoMsgs, res.infos],
  ] as const) {
    if (mode === 'unchecked') continue;
    if (mode === 'none') {
      if (got.length > 0) return `expected no ${kind}, got ${got.join(' | ')}`;
      continue;
    }
    if (got.length === 0) return `expected a ${kind} annotation, got none`;
    if (msgs.length > 0) {
      const matches = (m: string, a: string): boolean => (m.startsWith('msg:') ? a === m.slice(4) : compile(m.slice(6)).test(a));
      for (const m of msgs) if (!got.some((a) => matches(m, a))) return `expected ${kind} ${m}, got ${got.join(' | ')}`;
      for (const a of got) if (!msgs.some((m) => matches(m, a))) return `unexpected ${kind} ${a}`;
    }
  }
  return undefined;
}

/** Every selector and subquery without @ gets `@ t` (the runner's @-modifier check). */
function withAt(e: Expr, seconds: number): Expr {
  const at: AtModifier = { kind: 'time', seconds: { kind: 'number', seconds, pos: 0, end: 0 } };
  const visit = (x: Expr): Expr => {
    switch (x.type) {
      case 'VectorSelector':
        return x.at ? x : { ...x, at };
      case 'MatrixSelector':
        return { ...x, vector: x.vector.at ? x.vector : { ...x.vector, at } };
      case 'SubqueryExpr':
        // Selectors inside a subquery with @ keep their own times.
        return x.at ? x : { ...x, at };
      case 'ParenExpr':
      case 'UnaryExpr':
        return { ...x, expr: visit(x.expr) };
      case 'Call':
        return { ...x, args: x.args.map(visit) };
      case 'AggregateExpr':
        return { ...x, expr: visit(x.expr), param: x.param ? visit(x.param) : undefined };
      case 'BinaryExpr':
        return { ...x, lhs: visit(x.lhs), rhs: visit(x.rhs) };
      default:
        return x;
    }
  };
  return visit(e);
}

const AT_UNSAFE_FUNCTIONS = new Set(['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year', 'predict_linear', 'time', 'timestamp', 'start', 'end', 'range', 'step']);
const RANGE_UNSAFE_FUNCTIONS = new Set(['start', 'end', 'range', 'step']);
// Upstream skips the range-mode check for these calls wherever they appear (also in durations).
const QUERY_CONTEXT_CALL = /(start|end|range|step)\(\)/;

function callsAny(e: Expr, names: Set<string>): boolean {
  switch (e.type) {
    case 'Call':
      return names.has(e.name) || e.args.some((a) => callsAny(a, names));
    case 'ParenExpr':
    case 'UnaryExpr':
    case 'SubqueryExpr':
      return callsAny(e.expr, names);
    case 'AggregateExpr':
      return callsAny(e.expr, names) || (e.param !== undefined && callsAny(e.param, names));
    case 'BinaryExpr':
      return callsAny(e.lhs, names) || callsAny(e.rhs, names);
    default:
      return false;
  }
}

export interface CaseOutcome {
  c: EvalCase;
  problem: string | undefined;
}

export class TestFileRunner {
  private storage: Storage | undefined;
  private dirs: string[] = [];

  private fresh(): Storage {
    this.storage?.close();
    const dir = mkdtempSync(join(tmpdir(), 'promethium-promqltest-'));
    this.dirs.push(dir);
    this.storage = Storage.open(dir, { retentionMs: 0 });
    return this.storage;
  }

  private engine(): Engine {
    return new Engine(this.storage!, { lookbackDeltaMs: 300_000, maxSamples: 10_000, defaultSubqueryStepMs: 60_000, delayedNameRemoval: true, rangeKernel: evalRangeSamples, timeoutMs: 60_000, useStartTimestamps: true });
  }

  private runOne(c: EvalCase, expr: Expr, time: number, checkAnn: boolean): string | undefined {
    const eng = this.engine();
    let res: QueryResult;
    try {
      res = c.kind === 'instant' ? eng.instantQuery(expr, c.rangeVector ? c.rangeVector.end : time) : eng.rangeQuery(expr, c.start, c.end, c.step);
    } catch (e) {
      if (c.fail) {
        const msg = (e as Error).message;
        if (c.failMsg !== undefined && msg !== c.failMsg) return `expected error ${JSON.stringify(c.failMsg)}, got ${JSON.stringify(msg)}`;
        if (c.failRegex !== undefined && !compile(c.failRegex).test(msg)) return `error ${JSON.stringify(msg)} does not match ${c.failRegex}`;
        return undefined;
      }
      return `error: ${(e as Error).message}${e instanceof QueryError ? '' : ` (${(e as Error).name})`}`;
    }
    if (c.fail) return 'expected an error, got a result';
    const p = compareResult(c, res);
    if (p) return p;
    if (checkAnn) return checkAnnotations(c, res);
    return undefined;
  }

  private rangeCheck(c: EvalCase, expr: Expr, time: number): string | undefined {
    if (c.fail || c.ordered || c.rangeVector || c.expectString !== undefined || callsAny(expr, RANGE_UNSAFE_FUNCTIONS) || QUERY_CONTEXT_CALL.test(c.expr) || c.kind !== 'instant') return undefined;
    let res: QueryResult;
    try {
      res = this.engine().rangeQuery(expr, time - 60_000, time + 60_000, 60_000);
    } catch (e) {
      return `range mode: error ${(e as Error).message}`;
    }
    return compareResult(c, res, { rangeMode: true, evalTime: time });
  }

  runEval(c: EvalCase): string | undefined {
    let expr: Expr;
    try {
      expr = parseExpr(c.expr);
    } catch (e) {
      return `parse: ${(e as Error).message}`;
    }
    const p = this.runOne(c, expr, c.at, true) ?? (c.kind === 'instant' ? this.rangeCheck(c, expr, c.at) : undefined);
    if (p) return p;
    if (c.kind !== 'instant' || callsAny(expr, AT_UNSAFE_FUNCTIONS) || c.rangeVector || c.expectString !== undefined) return undefined;
    const t = c.at;
    const times = t === 0 ? [-1000, 0, 1000] : [-10 * t, 0, t / 5, t, 10 * t];
    const rewritten = withAt(expr, t / 1000);
    for (const at of times) {
      const q = this.runOne(c, rewritten, at, true) ?? this.rangeCheck(c, rewritten, at);
      if (q) return `@ modifier check at ${at}ms: ${q}`;
    }
    return undefined;
  }

  run(file: string, text: string): CaseOutcome[] {
    const out: CaseOutcome[] = [];
    this.fresh();
    try {
      for (const cmd of parseTestFile(file, text)) {
        if (cmd.kind === 'clear') this.fresh();
        else if (cmd.kind === 'load') {
          appendBlock(this.storage!, cmd.interval, cmd.nhcb ? [...cmd.series, ...nhcbSeries(cmd.series)] : cmd.series);
        } else out.push({ c: cmd.case, problem: this.runEval(cmd.case) });
      }
    } finally {
      this.storage?.close();
      this.storage = undefined;
      for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
      this.dirs = [];
    }
    return out;
  }
}
