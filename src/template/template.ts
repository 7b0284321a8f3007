// Go's text/template, as Prometheus and the Alertmanager use it for alert labels, annotations
// and notifications: actions with trim markers, pipelines, variables, if/else if/range/with,
// define/template/block, comments, and the built-in functions. Values are plain JS data read only
// through ./values.ts (Go's model: fields and map entries of the data, registered methods and
// functions; never prototypes, accessors or arbitrary JS functions).

import { TemplateError } from './errors.js';
import { BUILTINS } from './builtins.js';
import { field, goString, rangeItems, registerFuncs, truth } from './values.js';
import type { TemplateFunc } from './values.js';

export { TemplateError } from './errors.js';
export { sprintf } from './builtins.js';
export { goString, goStruct, stringMap, anyMap, withMethods } from './values.js';
export type { TemplateFunc, TemplateMethod } from './values.js';

/** Where an action stands, for Go's `template: file:line: executing "name" at <action>: ...`. */
interface Pos {
  file: string;
  line: number;
  src: string;
}

/** An execution error that already says where it happened. */
class LocatedError extends TemplateError {}

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe; pos: Pos }
  | { t: 'if' | 'with'; pipe: Pipe; list: Node[]; else: Node[] | undefined; pos: Pos }
  | { t: 'range'; pipe: Pipe; list: Node[]; else: Node[] | undefined; pos: Pos }
  | { t: 'template'; name: string; pipe: Pipe | undefined; pos: Pos }
  | { t: 'break' }
  | { t: 'continue' };

interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Cmd[];
}

type Arg =
  | { t: 'field'; recv: Arg | undefined; path: string[] }
  | { t: 'var'; name: string; path: string[] }
  | { t: 'lit'; value: unknown }
  | { t: 'ident'; name: string }
  | { t: 'pipe'; pipe: Pipe; path: string[] };

type Cmd = Arg[];

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

// ---------- lexing of one action's inside ----------

type Tok = { k: 'str' | 'num' | 'ident' | 'var' | 'field' | 'op' | 'bool' | 'nil'; v: string };

/** A Go double-quoted string literal's value; a bad escape is a TemplateError, as in Go. */
function unquote(lit: string, where: string): string {
  const body = lit
    .replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')
    .replace(/\\([abfv'])/g, (_m, c: string) => `\\u${(({ a: 7, b: 8, f: 12, v: 11, "'": 39 } as Record<string, number>)[c] ?? 0).toString(16).padStart(4, '0')}`);
  try {
    return JSON.parse(body) as string;
  } catch {
    throw new TemplateError(`${where}: bad string syntax: ${lit.length > 40 ? lit.slice(0, 40) + '...' : lit}`);
  }
}

/** Nesting deeper than this (parentheses, if/range/with/define) is refused: it would only exhaust the stack. */
const MAX_NESTING = 500;

function lexAction(src: string, where: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError(`${where}: unterminated quoted string`);
      out.push({ k: 'str', v: unquote(src.slice(i, j + 1), where) });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError(`${where}: unterminated raw quoted string`);
      out.push({ k: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (c === "'") {
      const m = /^'(\\.|[^'])'/.exec(src.slice(i));
      if (!m) throw new TemplateError(`${where}: bad character constant`);
      out.push({ k: 'num', v: String(unquote(`"${m[1] === '"' ? '\\"' : m[1]}"`, where).codePointAt(0) ?? 0) });
      i += m[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === ':=') {
      out.push({ k: 'op', v: ':=' });
      i += 2;
      continue;
    }
    if ('|()=,'.includes(c)) {
      out.push({ k: 'op', v: c });
      i++;
      continue;
    }
    let m = /^[-+]?(0x[0-9a-fA-F]+|\d+\.?\d*(e[-+]?\d+)?|\.\d+(e[-+]?\d+)?)/.exec(src.slice(i));
    if (m && (c !== '.' || /\d/.test(src[i + 1] ?? ''))) {
      out.push({ k: 'num', v: m[0] });
      i += m[0].length;
      continue;
    }
    m = /^\$[a-zA-Z0-9_]*/.exec(src.slice(i));
    if (m) {
      out.push({ k: 'var', v: m[0] });
      i += m[0].length;
      continue;
    }
    m = /^(\.[a-zA-Z_][a-zA-Z0-9_]*)+|^\./.exec(src.slice(i));
    if (m) {
      out.push({ k: 'field', v: m[0] });
      i += m[0].length;
      continue;
    }
    m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(src.slice(i));
    if (m) {
      const w = m[0];
      out.push(w === 'true' || w === 'false' ? { k: 'bool', v: w } : w === 'nil' ? { k: 'nil', v: w } : { k: 'ident', v: w });
      i += w.length;
      continue;
    }
    throw new TemplateError(`${where}: unexpected ${JSON.stringify(c)} in command`);
  }
  return out;
}

// ---------- parsing ----------

class PipeParser {
  i = 0;
  nesting = 0;
  constructor(
    readonly toks: Tok[],
    readonly where: string,
    /** Whether a function name is defined: Go refuses unknown functions at parse time, with the line. */
    readonly isFunc: (name: string) => boolean,
  ) {}

  peek(): Tok | undefined {
    return this.toks[this.i];
  }

  fail(msg: string): never {
    throw new TemplateError(`${this.where}: ${msg}`);
  }

  pipe(end?: string): Pipe {
    const decl: string[] = [];
    let assign = false;
    // $x := ... or $k, $v := ...
    const save = this.i;
    const vars: string[] = [];
    while (this.peek()?.k === 'var') {
      vars.push(this.toks[this.i++]!.v);
      if (this.peek()?.v === ',') {
        this.i++;
        continue;
      }
      break;
    }
    if (vars.length > 0 && (this.peek()?.v === ':=' || this.peek()?.v === '=')) {
      assign = this.toks[this.i++]!.v === '=';
      decl.push(...vars);
    } else this.i = save;
    const cmds: Cmd[] = [];
    for (;;) {
      const cmd: Cmd = [];
      while (this.i < this.toks.length && this.peek()!.v !== '|' && this.peek()!.v !== end) cmd.push(this.operand());
      if (cmd.length === 0) this.fail('missing value for command');
      cmds.push(cmd);
      if (this.peek()?.v === '|') {
        this.i++;
        continue;
      }
      break;
    }
    return { decl, assign, cmds };
  }

  operand(): Arg {
    const t = this.toks[this.i++]!;
    let a: Arg;
    switch (t.k) {
      case 'str':
        a = { t: 'lit', value: t.v };
        break;
      case 'num':
        a = { t: 'lit', value: t.v.startsWith('0x') || t.v.startsWith('-0x') ? parseInt(t.v, 16) : Number(t.v) };
        break;
      case 'bool':
        a = { t: 'lit', value: t.v === 'true' };
        break;
      case 'nil':
        a = { t: 'lit', value: null };
        break;
      case 'var': {
        a = { t: 'var', name: t.v, path: [] };
        break;
      }
      case 'field':
        a = { t: 'field', recv: undefined, path: t.v === '.' ? [] : t.v.slice(1).split('.') };
        break;
      case 'ident':
        if (!this.isFunc(t.v)) this.fail(`function ${JSON.stringify(t.v)} not defined`);
        a = { t: 'ident', name: t.v };
        break;
      case 'op':
        if (t.v === '(') {
          if (++this.nesting > MAX_NESTING) this.fail('parentheses nested too deeply');
          const p = this.pipe(')');
          this.nesting--;
          if (this.peek()?.v !== ')') this.fail('unclosed left paren');
          this.i++;
          a = { t: 'pipe', pipe: p, path: [] };
          break;
        }
        this.fail(`unexpected ${JSON.stringify(t.v)} in operand`);
    }
    // Field access chained on a variable or a parenthesized pipeline: $x.A.B, (pipe).A
    while (this.peek()?.k === 'field' && this.peek()!.v !== '.' && (a.t === 'var' || a.t === 'pipe')) {
      const path = this.toks[this.i++]!.v.slice(1).split('.');
      a.path.push(...path);
    }
    return a;
  }
}

interface Parsed {
  root: Node[];
  defines: Map<string, Node[]>;
}

function parseTemplate(name: string, text: string, isFunc: (name: string) => boolean): Parsed {
  const defines = new Map<string, Node[]>();
  // Tokenize into text and actions, applying trim markers.
  const parts: { t: 'text' | 'action'; v: string; line: number }[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      parts.push({ t: 'text', v: text.slice(i), line });
      break;
    }
    let chunk = text.slice(i, open);
    const trimLeft = text.startsWith('{{- ', open) || text.startsWith('{{-\t', open) || text.startsWith('{{-\n', open);
    if (trimLeft) chunk = chunk.replace(/\s+$/, '');
    parts.push({ t: 'text', v: chunk, line });
    line += (text.slice(i, open).match(/\n/g) ?? []).length;
    const start = open + (trimLeft ? 3 : 2);
    let close: number;
    if (text.startsWith('/*', start) || text.startsWith(' /*', start)) {
      const endComment = text.indexOf('*/', start);
      if (endComment < 0) throw new TemplateError(`template: ${name}:${line}: unclosed comment`);
      close = text.indexOf('}}', endComment);
    } else {
      // Find the closing }} outside quotes.
      close = -1;
      let q = '';
      for (let j = start; j < text.length - 1; j++) {
        const c = text[j]!;
        if (q) {
          if (c === '\\' && q !== '`') j++;
          else if (c === q) q = '';
          continue;
        }
        if (c === '"' || c === '`' || c === "'") q = c;
        else if (c === '}' && text[j + 1] === '}') {
          close = j;
          break;
        }
      }
    }
    if (close < 0) throw new TemplateError(`template: ${name}:${line}: unclosed action`);
    let inner = text.slice(start, close);
    let next = close + 2;
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      const rest = text.slice(next);
      next += rest.length - rest.replace(/^\s+/, '').length;
    }
    line += (text.slice(open, next).match(/\n/g) ?? []).length;
    if (!/^\s*\/\*[\s\S]*\*\/\s*$/.test(inner)) parts.push({ t: 'action', v: inner.trim(), line });
    i = next;
  }

  // Go reports a missing {{end}} at the line where the input ends.
  const lastLine = (text.match(/\n/g) ?? []).length + 1;
  let p = 0;
  let nesting = 0;
  const parseList = (ends: string[]): { list: Node[]; end: string } => {
    if (++nesting > MAX_NESTING) throw new TemplateError(`template: ${name}: actions nested too deeply`);
    try {
      return parseListBody(ends);
    } finally {
      nesting--;
    }
  };
  const parseListBody = (ends: string[]): { list: Node[]; end: string } => {
    const list: Node[] = [];
    while (p < parts.length) {
      const part = parts[p++]!;
      const where = `template: ${name}:${part.line}`;
      if (part.t === 'text') {
        if (part.v !== '') list.push({ t: 'text', text: part.v });
        continue;
      }
      const kw = /^(if|else|end|range|with|define|template|block|break|continue)\b/.exec(part.v)?.[1];
      if (kw === 'end' || kw === 'else') {
        if (!ends.includes(kw)) throw new TemplateError(`${where}: unexpected {{${kw}}}`);
        if (kw === 'else') {
          const rest = part.v.slice(4).trim();
          return { list, end: rest === '' ? 'else' : `else ${rest}` };
        }
        return { list, end: 'end' };
      }
      if (kw === 'if' || kw === 'with' || kw === 'range') {
        list.push(parseBranch(kw, part.v.slice(kw.length), where, { file: name, line: part.line, src: part.v }));
        continue;
      }
      if (kw === 'define' || kw === 'block') {
        // Go allows {{define}} only at the top level (a {{block}} may stand anywhere).
        if (kw === 'define' && ends.length > 0) throw new TemplateError(`${where}: unexpected <define> in command`);
        const toks = lexAction(part.v.slice(kw.length), where);
        const n = toks[0];
        if (!n || n.k !== 'str') throw new TemplateError(`${where}: ${kw} needs a quoted name`);
        const body = parseList(['end']);
        defines.set(n.v, body.list);
        if (kw === 'block') {
          const pp = new PipeParser(toks.slice(1), where, isFunc);
          list.push({ t: 'template', name: n.v, pipe: toks.length > 1 ? pp.pipe() : undefined, pos: { file: name, line: part.line, src: part.v } });
        }
        continue;
      }
      if (kw === 'template') {
        const toks = lexAction(part.v.slice(8), where);
        const n = toks[0];
        if (!n || n.k !== 'str') throw new TemplateError(`${where}: template needs a quoted name`);
        list.push({ t: 'template', name: n.v, pipe: toks.length > 1 ? new PipeParser(toks.slice(1), where, isFunc).pipe() : undefined, pos: { file: name, line: part.line, src: part.v } });
        continue;
      }
      if (kw === 'break' || kw === 'continue') {
        list.push({ t: kw });
        continue;
      }
      const pp = new PipeParser(lexAction(part.v, where), where, isFunc);
      const pipe = pp.pipe();
      if (pp.i < pp.toks.length) throw new TemplateError(`${where}: unexpected ${JSON.stringify(pp.toks[pp.i]!.v)} in command`);
      list.push({ t: 'action', pipe, pos: { file: name, line: part.line, src: part.v } });
    }
    if (ends.length > 0) throw new TemplateError(`template: ${name}:${lastLine}: unexpected EOF`);
    return { list, end: '' };
  };
  /** if/with/range after its keyword; `else if`/`else with` chains share the last {{end}}. */
  function parseBranch(kw: 'if' | 'with' | 'range', cond: string, where: string, pos: Pos): Node {
    const pipe = new PipeParser(lexAction(cond, where), where, isFunc).pipe();
    const body = parseList(['end', 'else']);
    let elseList: Node[] | undefined;
    if (body.end === 'else') elseList = parseList(['end']).list;
    else if (body.end.startsWith('else ')) {
      const rest = body.end.slice(5).trim();
      const chainKw = /^(if|with)\b/.exec(rest)?.[1] as 'if' | 'with' | undefined;
      if (!chainKw) throw new TemplateError(`${where}: expected if or with after else`);
      elseList = [parseBranch(chainKw, rest.slice(chainKw.length), where, { ...pos, src: rest })];
    }
    return kw === 'range' ? { t: 'range', pipe, list: body.list, else: elseList, pos } : { t: kw, pipe, list: body.list, else: elseList, pos };
  }
  const root = parseList([]).list;
  return { root, defines };
}

// ---------- execution ----------

/** Bounds on one execution, so no template hangs the process or grows its memory without limit
 * (Go has none; a template that hits one fails with a TemplateError naming it). */
export interface ExecutionLimits {
  /** Nodes and commands evaluated. */
  maxSteps: number;
  /** Characters of output. */
  maxOutput: number;
}

export const DEFAULT_LIMITS: ExecutionLimits = { maxSteps: 1_000_000, maxOutput: 16 * 1024 * 1024 };

interface Run {
  out: string[];
  size: number;
  steps: number;
  limits: ExecutionLimits;
}

export class Template {
  private readonly parsed: Parsed;
  private readonly funcs: ReadonlyMap<string, TemplateFunc>;
  /** The execution under way (execute() is synchronous and never re-entered). */
  private current: Run | undefined;

  constructor(
    readonly name: string,
    text: string,
    funcs: Record<string, TemplateFunc> | ReadonlyMap<string, TemplateFunc> = new Map(),
    extraDefines: Map<string, Node[]> = new Map(),
    private readonly predeclared: string[] = [],
    private readonly limits: ExecutionLimits = DEFAULT_LIMITS,
  ) {
    // Own entries only: a function named `constructor` or `toString` must not find Object's.
    this.funcs = funcs instanceof Map ? funcs : new Map(Object.entries(funcs));
    registerFuncs(this.funcs.values());
    registerFuncs(BUILTINS.values());
    this.parsed = parseTemplate(name, text, (f) => this.func(f) !== undefined || f === 'and' || f === 'or');
    for (const [k, v] of extraDefines) if (!this.parsed.defines.has(k)) this.parsed.defines.set(k, v);
    this.checkFunctions(this.parsed.root);
    for (const d of this.parsed.defines.values()) this.checkFunctions(d);
  }

  /** Definitions ({{define}}) of this template, to share with others. */
  get defines(): Map<string, Node[]> {
    return this.parsed.defines;
  }

  private func(name: string): TemplateFunc | undefined {
    return this.funcs.get(name) ?? BUILTINS.get(name);
  }

  /** Go refuses templates that call undefined functions or use undeclared variables when
   * they are parsed. `predeclared` are variables the caller will pass to execute(). */
  private checkFunctions(list: Node[], scopes: Set<string>[] = [new Set(['$', ...this.predeclared])]): void {
    const known = (name: string): boolean => scopes.some((s) => s.has(name));
    const arg = (a: Arg): void => {
      if (a.t === 'ident' && !this.func(a.name) && a.name !== 'and' && a.name !== 'or') throw new TemplateError(`template: ${this.name}: function ${JSON.stringify(a.name)} not defined`);
      if (a.t === 'var' && !known(a.name)) throw new TemplateError(`template: ${this.name}: undefined variable: ${a.name}`);
      if (a.t === 'pipe') pipe(a.pipe);
    };
    const pipe = (p: Pipe): void => {
      p.cmds.forEach((c) => c.forEach(arg));
      if (p.assign) {
        for (const d of p.decl) if (!known(d)) throw new TemplateError(`template: ${this.name}: undefined variable: ${d}`);
      } else for (const d of p.decl) scopes[scopes.length - 1]!.add(d);
    };
    for (const n of list) {
      if (n.t === 'action') pipe(n.pipe);
      else if (n.t === 'if' || n.t === 'with' || n.t === 'range') {
        scopes.push(new Set());
        pipe(n.pipe);
        this.checkFunctions(n.list, scopes);
        scopes.pop();
        if (n.else) {
          scopes.push(new Set());
          this.checkFunctions(n.else, scopes);
          scopes.pop();
        }
      } else if (n.t === 'template' && n.pipe) pipe(n.pipe);
    }
  }

  /** Runs the template on `data`; `vars` are extra variables ($name). Fails only with TemplateError. */
  execute(data: unknown, vars: Record<string, unknown> = {}): string {
    const run: Run = { out: [], size: 0, steps: 0, limits: this.limits };
    const scope = [new Map<string, unknown>([['$', data], ...Object.entries(vars).map(([k, v]) => [k.startsWith('$') ? k : `$${k}`, v] as [string, unknown])])];
    this.current = run;
    try {
      this.walk(this.parsed.root, data, scope, run, 0, this.name);
    } catch (e) {
      if (e instanceof TemplateError) throw e.message.startsWith('template: ') ? e : new TemplateError(`template: ${this.name}: ${e.message}`);
      // A function that failed in an unexpected way (or the stack ran out): still a template error.
      throw new TemplateError(`template: ${this.name}: ${e instanceof Error ? e.message : 'execution failed'}`);
    } finally {
      this.current = undefined;
    }
    return run.out.join('');
  }

  private step(run: Run): void {
    if (++run.steps > run.limits.maxSteps) throw new TemplateError(`template: ${this.name}: execution stopped after ${run.limits.maxSteps} steps`);
  }

  private emit(run: Run, s: string): void {
    run.size += s.length;
    if (run.size > run.limits.maxOutput) throw new TemplateError(`template: ${this.name}: output exceeds ${run.limits.maxOutput} characters`);
    run.out.push(s);
  }

  private lookupVar(scope: Map<string, unknown>[], name: string): unknown {
    for (let i = scope.length - 1; i >= 0; i--) if (scope[i]!.has(name)) return scope[i]!.get(name);
    throw new TemplateError(`template: ${this.name}: undefined variable: ${name}`);
  }

  /** Field access; a method without arguments is called, as Go does for niladic methods. */
  private field(v: unknown, path: string[]): unknown {
    let cur = v;
    for (const p of path) {
      const f = field(cur, p);
      cur = 'method' in f ? f.method(f.recv as never) : f.value;
    }
    return cur;
  }

  /** A method call with arguments: `.Labels.Remove .Names` (receiver path, then the method). */
  private method(head: Arg, dot: unknown, scope: Map<string, unknown>[]): { recv: unknown; fn: (recv: never, ...a: unknown[]) => unknown } | undefined {
    if ((head.t !== 'field' && head.t !== 'var') || head.path.length === 0) return undefined;
    const base = head.t === 'var' ? this.lookupVar(scope, head.name) : dot;
    const recv = this.field(base, head.path.slice(0, -1));
    const f = field(recv, head.path[head.path.length - 1]!);
    return 'method' in f ? { recv, fn: f.method } : undefined;
  }

  private evalArg(a: Arg, dot: unknown, scope: Map<string, unknown>[]): unknown {
    switch (a.t) {
      case 'lit':
        return a.value;
      case 'var':
        return this.field(this.lookupVar(scope, a.name), a.path);
      case 'field':
        return this.field(dot, a.path);
      case 'pipe':
        return this.field(this.evalPipe(a.pipe, dot, scope), a.path);
      case 'ident':
        return this.callFunc(a.name, []);
    }
  }

  private callFunc(name: string, args: unknown[]): unknown {
    const f = this.func(name);
    if (!f) throw new TemplateError(`template: ${this.name}: function ${JSON.stringify(name)} not defined`);
    try {
      return f(...args);
    } catch (e) {
      if (e instanceof TemplateError) throw e.message.startsWith('template: ') ? e : new TemplateError(`template: ${this.name}: ${e.message.startsWith('error calling') ? '' : `error calling ${name}: `}${e.message}`);
      throw new TemplateError(`template: ${this.name}: error calling ${name}: ${e instanceof Error ? e.message : 'failed'}`);
    }
  }

  private evalCmd(cmd: Cmd, dot: unknown, scope: Map<string, unknown>[], final: unknown, hasFinal: boolean): unknown {
    this.step(this.current!);
    const head = cmd[0]!;
    if (head.t === 'ident') {
      if (head.name === 'and' || head.name === 'or') {
        // Short-circuit: the first falsy (and) / truthy (or) argument, else the last.
        const args = cmd.slice(1);
        let v: unknown;
        for (const a of args) {
          v = this.evalArg(a, dot, scope);
          if (head.name === 'and' ? !truth(v) : truth(v)) return v;
        }
        if (hasFinal) return final;
        return v;
      }
      const args = cmd.slice(1).map((a) => this.evalArg(a, dot, scope));
      if (hasFinal) args.push(final);
      return this.callFunc(head.name, args);
    }
    if (cmd.length > 1 || hasFinal) {
      const m = this.method(head, dot, scope);
      if (m) {
        const args = cmd.slice(1).map((a) => this.evalArg(a, dot, scope));
        if (hasFinal) args.push(final);
        return m.fn(m.recv as never, ...args);
      }
      throw new TemplateError(`template: ${this.name}: can't give argument to non-function`);
    }
    return this.evalArg(head, dot, scope);
  }
  private evalPipe(p: Pipe, dot: unknown, scope: Map<string, unknown>[]): unknown {
    let v: unknown;
    let has = false;
    for (const c of p.cmds) {
      v = this.evalCmd(c, dot, scope, v, has);
      has = true;
    }
    if (p.decl.length > 0) {
      const name = p.decl[p.decl.length - 1]!;
      if (p.assign) {
        let done = false;
        for (let i = scope.length - 1; i >= 0 && !done; i--) {
          if (scope[i]!.has(name)) {
            scope[i]!.set(name, v);
            done = true;
          }
        }
        if (!done) throw new TemplateError(`template: ${this.name}: undefined variable: ${name}`);
      } else scope[scope.length - 1]!.set(name, v);
    }
    return v;
  }

  /** Says where an error happened, as Go does: `template: file:line: executing "name" at <action>: why`. */
  private locate(e: unknown, pos: Pos, execName: string): unknown {
    if (e instanceof LocatedError || !(e instanceof TemplateError)) return e;
    const own = `template: ${this.name}: `;
    const why = e.message.startsWith(own) ? e.message.slice(own.length) : e.message;
    const at = pos.src.length > 60 ? `${pos.src.slice(0, 57)}...` : pos.src;
    return new LocatedError(`template: ${pos.file}:${pos.line}: executing ${JSON.stringify(execName)} at <${at}>: ${why}`);
  }

  private walk(list: Node[], dot: unknown, scope: Map<string, unknown>[], run: Run, depth: number, execName: string): typeof BREAK | typeof CONTINUE | undefined {
    if (depth > 100) throw new TemplateError(`template: ${this.name}: exceeded maximum template depth (100)`);
    for (const n of list) {
      this.step(run);
      if (n.t === 'text' || n.t === 'break' || n.t === 'continue') {
        if (n.t !== 'text') return n.t === 'break' ? BREAK : CONTINUE;
        this.emit(run, n.text);
        continue;
      }
      let r: typeof BREAK | typeof CONTINUE | undefined;
      try {
        r = this.walkAction(n, dot, scope, run, depth, execName);
      } catch (e) {
        throw this.locate(e, n.pos, execName);
      }
      if (r) return r;
    }
    return undefined;
  }

  /** One action, `if`/`with`/`range` or `{{template}}`; BREAK/CONTINUE bubble up to the enclosing range. */
  private walkAction(n: Exclude<Node, { t: 'text' | 'break' | 'continue' }>, dot: unknown, scope: Map<string, unknown>[], run: Run, depth: number, execName: string): typeof BREAK | typeof CONTINUE | undefined {
    switch (n.t) {
      case 'action': {
        const v = this.evalPipe(n.pipe, dot, scope);
        if (n.pipe.decl.length === 0) this.emit(run, goString(v));
        return undefined;
      }
      case 'if':
      case 'with': {
        scope.push(new Map());
        const v = this.evalPipe(n.pipe, dot, scope);
        let r;
        if (truth(v)) r = this.walk(n.list, n.t === 'with' ? v : dot, scope, run, depth + 1, execName);
        else if (n.else) r = this.walk(n.else, dot, scope, run, depth + 1, execName);
        scope.pop();
        return r;
      }
      case 'range': {
        scope.push(new Map());
        const declared = n.pipe.decl;
        const items = rangeItems(this.evalPipe({ ...n.pipe, decl: [] }, dot, scope));
        if (items.length === 0) {
          if (n.else) this.walk(n.else, dot, scope, run, depth + 1, execName);
        } else {
          for (const [k, x] of items) {
            const s = new Map<string, unknown>();
            if (declared.length === 1) s.set(declared[0]!, x);
            if (declared.length === 2) {
              s.set(declared[0]!, k);
              s.set(declared[1]!, x);
            }
            scope.push(s);
            const r = this.walk(n.list, x, scope, run, depth + 1, execName);
            scope.pop();
            if (r === BREAK) break;
          }
        }
        scope.pop();
        return undefined;
      }
      case 'template': {
        const body = this.parsed.defines.get(n.name);
        if (!body) throw new TemplateError(`no such template ${JSON.stringify(n.name)}`);
        const d = n.pipe ? this.evalPipe(n.pipe, dot, scope) : undefined;
        this.walk(body, d, [new Map([['$', d]])], run, depth + 1, n.name);
        return undefined;
      }
    }
  }
}
