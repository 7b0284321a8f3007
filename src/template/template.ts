// Go's text/template, as Prometheus and the Alertmanager use it for alert labels, annotations
// and notifications: actions with trim markers, pipelines, variables, if/else if/range/with,
// define/template/block, comments, and the built-in functions. Values are plain JS values:
// objects are Go maps/structs (fields by name), arrays are slices.

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export type TemplateFunc = (...args: unknown[]) => unknown;

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe }
  | { t: 'if' | 'with'; pipe: Pipe; list: Node[]; else: Node[] | undefined }
  | { t: 'range'; pipe: Pipe; list: Node[]; else: Node[] | undefined }
  | { t: 'template'; name: string; pipe: Pipe | undefined }
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
      out.push({ k: 'str', v: JSON.parse(src.slice(i, j + 1).replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string });
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
      out.push({ k: 'num', v: String((JSON.parse(`"${m[1]}"`) as string).codePointAt(0)) });
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
  constructor(
    readonly toks: Tok[],
    readonly where: string,
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
        a = { t: 'ident', name: t.v };
        break;
      case 'op':
        if (t.v === '(') {
          const p = this.pipe(')');
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

function parseTemplate(name: string, text: string): Parsed {
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
          if (c === '\\' && q === '"') j++;
          else if (c === q) q = '';
          continue;
        }
        if (c === '"' || c === '`') q = c;
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

  let p = 0;
  const parseList = (ends: string[]): { list: Node[]; end: string } => {
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
        list.push(parseBranch(kw, part.v.slice(kw.length), where));
        continue;
      }
      if (kw === 'define' || kw === 'block') {
        const toks = lexAction(part.v.slice(kw.length), where);
        const n = toks[0];
        if (!n || n.k !== 'str') throw new TemplateError(`${where}: ${kw} needs a quoted name`);
        const body = parseList(['end']);
        defines.set(n.v, body.list);
        if (kw === 'block') {
          const pp = new PipeParser(toks.slice(1), where);
          list.push({ t: 'template', name: n.v, pipe: toks.length > 1 ? pp.pipe() : undefined });
        }
        continue;
      }
      if (kw === 'template') {
        const toks = lexAction(part.v.slice(8), where);
        const n = toks[0];
        if (!n || n.k !== 'str') throw new TemplateError(`${where}: template needs a quoted name`);
        list.push({ t: 'template', name: n.v, pipe: toks.length > 1 ? new PipeParser(toks.slice(1), where).pipe() : undefined });
        continue;
      }
      if (kw === 'break' || kw === 'continue') {
        list.push({ t: kw });
        continue;
      }
      const pp = new PipeParser(lexAction(part.v, where), where);
      const pipe = pp.pipe();
      if (pp.i < pp.toks.length) throw new TemplateError(`${where}: unexpected ${JSON.stringify(pp.toks[pp.i]!.v)} in command`);
      list.push({ t: 'action', pipe });
    }
    if (ends.length > 0) throw new TemplateError(`template: ${name}: unexpected EOF`);
    return { list, end: '' };
  };
  /** if/with/range after its keyword; `else if`/`else with` chains share the last {{end}}. */
  function parseBranch(kw: 'if' | 'with' | 'range', cond: string, where: string): Node {
    const pipe = new PipeParser(lexAction(cond, where), where).pipe();
    const body = parseList(['end', 'else']);
    let elseList: Node[] | undefined;
    if (body.end === 'else') elseList = parseList(['end']).list;
    else if (body.end.startsWith('else ')) {
      const rest = body.end.slice(5).trim();
      const chainKw = /^(if|with)\b/.exec(rest)?.[1] as 'if' | 'with' | undefined;
      if (!chainKw) throw new TemplateError(`${where}: expected if or with after else`);
      elseList = [parseBranch(chainKw, rest.slice(chainKw.length), where)];
    }
    return kw === 'range' ? { t: 'range', pipe, list: body.list, else: elseList } : { t: kw, pipe, list: body.list, else: elseList };
  }
  const root = parseList([]).list;
  return { root, defines };
}

// ---------- execution ----------

function truth(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0 || !(Object.getPrototypeOf(v) === Object.prototype);
  return true;
}

/** Go's default formatting of a value (fmt.Sprint). */
export function goString(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return '+Inf';
    if (v === -Infinity) return '-Inf';
    if (Number.isInteger(v)) return String(v);
    const s = String(v);
    if (/e/.test(s)) return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
    return s;
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `map[${entries.map(([k, x]) => `${k}:${goString(x)}`).join(' ')}]`;
  }
  return String(v);
}

/** A subset of Go's fmt.Sprintf verbs: %s %v %d %f %e %g %q %x %t %% with width/precision/flags. */
export function sprintf(format: string, ...args: unknown[]): string {
  let ai = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdfegqxXtT%])/g, (all, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const a = args[ai++];
    let s: string;
    const p = prec !== undefined ? Number(prec) : undefined;
    switch (verb) {
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeof a}=${goString(a)})`;
        break;
      case 'f':
        s = typeof a === 'number' ? (Number.isFinite(a) ? a.toFixed(p ?? 6) : goString(a)) : `%!f(${typeof a}=${goString(a)})`;
        break;
      case 'e':
        s = typeof a === 'number' ? a.toExponential(p ?? 6).replace(/e([+-])(\d)$/, 'e$10$2') : `%!e(${goString(a)})`;
        break;
      case 'g':
        s = typeof a === 'number' ? (p !== undefined ? Number(a.toPrecision(p)).toString() : goString(a)) : `%!g(${goString(a)})`;
        break;
      case 'q':
        s = JSON.stringify(typeof a === 'string' ? a : goString(a));
        break;
      case 'x':
      case 'X':
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(String(a)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 't':
        s = String(Boolean(a));
        break;
      case 'T':
        s = typeof a === 'number' ? 'float64' : typeof a;
        break;
      default:
        s = goString(a);
        if (p !== undefined) s = s.slice(0, p);
    }
    if (flags.includes('+') && typeof a === 'number' && a >= 0 && 'dfeg'.includes(verb)) s = '+' + s;
    const w = width !== undefined ? Number(width) : 0;
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') && typeof a === 'number' ? s.padStart(w, '0') : s.padStart(w);
    void all;
    return s;
  });
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b && !(typeof a === 'number' && typeof b === 'number')) throw new TemplateError(`error calling ${op}: incompatible types for comparison`);
  switch (op) {
    case 'lt':
      return (a as number) < (b as number);
    case 'le':
      return (a as number) <= (b as number);
    case 'gt':
      return (a as number) > (b as number);
    default:
      return (a as number) >= (b as number);
  }
}

const BUILTINS: Record<string, TemplateFunc> = {
  print: (...a) => a.map((x, i) => (i > 0 && typeof x !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + goString(x)).join(''),
  println: (...a) => a.map(goString).join(' ') + '\n',
  printf: (f, ...a) => sprintf(String(f), ...a),
  len: (x) => (Array.isArray(x) || typeof x === 'string' ? x.length : x && typeof x === 'object' ? Object.keys(x).length : 0),
  index: (x, ...keys) => keys.reduce((acc: unknown, k) => (acc === null || acc === undefined ? undefined : (acc as Record<string, unknown>)[String(k)]), x),
  slice: (x, i, j) => (typeof x === 'string' || Array.isArray(x) ? x.slice(i as number, j as number | undefined) : x),
  not: (x) => !truth(x),
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare('lt', a, b),
  le: (a, b) => compare('le', a, b),
  gt: (a, b) => compare('gt', a, b),
  ge: (a, b) => compare('ge', a, b),
  html: (s) => String(goString(s)).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!),
  js: (s) => JSON.stringify(goString(s)).slice(1, -1),
  urlquery: (...a) => encodeURIComponent(a.map(goString).join('')),
  call: (f, ...a) => (f as TemplateFunc)(...a),
};

export class Template {
  private readonly parsed: Parsed;

  constructor(
    readonly name: string,
    text: string,
    private readonly funcs: Record<string, TemplateFunc> = {},
    extraDefines: Map<string, Node[]> = new Map(),
    private readonly predeclared: string[] = [],
  ) {
    this.parsed = parseTemplate(name, text);
    for (const [k, v] of extraDefines) if (!this.parsed.defines.has(k)) this.parsed.defines.set(k, v);
    this.checkFunctions(this.parsed.root);
    for (const d of this.parsed.defines.values()) this.checkFunctions(d);
  }

  /** Definitions ({{define}}) of this template, to share with others. */
  get defines(): Map<string, Node[]> {
    return this.parsed.defines;
  }

  private func(name: string): TemplateFunc | undefined {
    return this.funcs[name] ?? BUILTINS[name];
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

  /** Runs the template on `data`; `vars` are extra variables ($name). */
  execute(data: unknown, vars: Record<string, unknown> = {}): string {
    const out: string[] = [];
    const scope = [new Map<string, unknown>([['$', data], ...Object.entries(vars).map(([k, v]) => [k.startsWith('$') ? k : `$${k}`, v] as [string, unknown])])];
    this.walk(this.parsed.root, data, scope, out, 0);
    return out.join('');
  }

  private lookupVar(scope: Map<string, unknown>[], name: string): unknown {
    for (let i = scope.length - 1; i >= 0; i--) if (scope[i]!.has(name)) return scope[i]!.get(name);
    throw new TemplateError(`template: ${this.name}: undefined variable: ${name}`);
  }

  /** Field access; a method without arguments is called, as Go does for niladic methods. */
  private field(v: unknown, path: string[]): unknown {
    let cur = v;
    for (const p of path) {
      if (cur === null || cur === undefined) return undefined;
      if (typeof cur === 'object') {
        const next = (cur as Record<string, unknown>)[p];
        cur = typeof next === 'function' ? (next as (...a: unknown[]) => unknown).call(cur) : next;
      } else throw new TemplateError(`template: ${this.name}: can't evaluate field ${p} in type ${typeof cur}`);
    }
    return cur;
  }

  /** A method call with arguments: `.Labels.Remove .Names` (receiver path, then the method). */
  private method(head: Arg, dot: unknown, scope: Map<string, unknown>[]): { recv: unknown; fn: (...a: unknown[]) => unknown } | undefined {
    if ((head.t !== 'field' && head.t !== 'var') || head.path.length === 0) return undefined;
    const recvPath = head.path.slice(0, -1);
    const name = head.path[head.path.length - 1]!;
    const base = head.t === 'var' ? this.lookupVar(scope, head.name) : dot;
    const recv = this.field(base, recvPath);
    const fn = recv !== null && typeof recv === 'object' ? (recv as Record<string, unknown>)[name] : undefined;
    return typeof fn === 'function' ? { recv, fn: fn as (...a: unknown[]) => unknown } : undefined;
  }

  private evalArg(a: Arg, dot: unknown, scope: Map<string, unknown>[], final?: unknown, hasFinal = false): unknown {
    switch (a.t) {
      case 'lit':
        return a.value;
      case 'var':
        return this.field(this.lookupVar(scope, a.name), a.path);
      case 'field':
        return this.field(dot, a.path);
      case 'pipe':
        return this.field(this.evalPipe(a.pipe, dot, scope), a.path);
      case 'ident': {
        void final;
        void hasFinal;
        const f = this.func(a.name);
        if (!f) throw new TemplateError(`template: ${this.name}: function ${JSON.stringify(a.name)} not defined`);
        return f();
      }
    }
  }

  private evalCmd(cmd: Cmd, dot: unknown, scope: Map<string, unknown>[], final: unknown, hasFinal: boolean): unknown {
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
      const f = this.func(head.name);
      if (!f) throw new TemplateError(`template: ${this.name}: function ${JSON.stringify(head.name)} not defined`);
      const args = cmd.slice(1).map((a) => this.evalArg(a, dot, scope));
      if (hasFinal) args.push(final);
      try {
        return f(...args);
      } catch (e) {
        if (e instanceof TemplateError) throw e;
        throw new TemplateError(`template: ${this.name}: error calling ${head.name}: ${(e as Error).message}`);
      }
    }
    if (cmd.length > 1 || hasFinal) {
      const m = this.method(head, dot, scope);
      if (m) {
        const args = cmd.slice(1).map((a) => this.evalArg(a, dot, scope));
        if (hasFinal) args.push(final);
        return m.fn.apply(m.recv, args);
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

  private walk(list: Node[], dot: unknown, scope: Map<string, unknown>[], out: string[], depth: number): typeof BREAK | typeof CONTINUE | undefined {
    if (depth > 100) throw new TemplateError(`template: ${this.name}: exceeded maximum template depth (100)`);
    for (const n of list) {
      switch (n.t) {
        case 'text':
          out.push(n.text);
          break;
        case 'action': {
          const v = this.evalPipe(n.pipe, dot, scope);
          if (n.pipe.decl.length === 0) out.push(goString(v));
          break;
        }
        case 'if':
        case 'with': {
          scope.push(new Map());
          const v = this.evalPipe(n.pipe, dot, scope);
          let r;
          if (truth(v)) r = this.walk(n.list, n.t === 'with' ? v : dot, scope, out, depth + 1);
          else if (n.else) r = this.walk(n.else, dot, scope, out, depth + 1);
          scope.pop();
          if (r) return r;
          break;
        }
        case 'range': {
          scope.push(new Map());
          const declared = n.pipe.decl;
          const v = this.evalPipe({ ...n.pipe, decl: [] }, dot, scope);
          const items: [unknown, unknown][] = Array.isArray(v)
            ? v.map((x, i) => [i, x])
            : v && typeof v === 'object'
              ? Object.keys(v as object)
                  .sort()
                  .map((k) => [k, (v as Record<string, unknown>)[k]])
              : typeof v === 'number'
                ? Array.from({ length: v }, (_, i) => [i, i])
                : [];
          if (items.length === 0) {
            if (n.else) this.walk(n.else, dot, scope, out, depth + 1);
          } else {
            for (const [k, x] of items) {
              const s = new Map<string, unknown>();
              if (declared.length === 1) s.set(declared[0]!, x);
              if (declared.length === 2) {
                s.set(declared[0]!, k);
                s.set(declared[1]!, x);
              }
              scope.push(s);
              const r = this.walk(n.list, x, scope, out, depth + 1);
              scope.pop();
              if (r === BREAK) break;
            }
          }
          scope.pop();
          break;
        }
        case 'template': {
          const body = this.parsed.defines.get(n.name);
          if (!body) throw new TemplateError(`template: ${this.name}: no such template ${JSON.stringify(n.name)}`);
          const d = n.pipe ? this.evalPipe(n.pipe, dot, scope) : undefined;
          this.walk(body, d, [new Map([['$', d]])], out, depth + 1);
          break;
        }
        case 'break':
          return BREAK;
        case 'continue':
          return CONTINUE;
      }
    }
    return undefined;
  }
}
