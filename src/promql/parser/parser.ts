// PromQL parser: recursive descent with precedence climbing; parseExpr then runs the type checks (check.ts).
// Errors read like Prometheus's: `1:5: parse error: unexpected ...`.
import type { LabelMatcher, MatchType } from '../../storage/matchers.js';
import { compileAnchored, Re2SyntaxError } from '../../regex/re2.js';
import { parsePromDuration } from '../../model/duration.js';
import { PromQLSyntaxError, tokenize } from './lexer.js';
import type { Token, TokenKind } from './lexer.js';
import { SET_OPS } from './ast.js';
import type { AggregateExpr, AtModifier, BinaryExpr, BinaryOp, Call, DurationExpr, Expr, MatrixSelector, SubqueryExpr, VectorMatching, VectorSelector } from './ast.js';
import { AGGREGATIONS, FUNCTIONS } from './functions.js';
import { check } from './check.js';
import { MAX_DURATION_MS, boundedAtSeconds, constantSeconds, durationInRange, goFixed6 } from './durations.js';

export { PromQLSyntaxError } from './lexer.js';

const BINARY_PRECEDENCE: Partial<Record<TokenKind | 'and' | 'or' | 'unless' | 'atan2', number>> = {
  or: 1,
  and: 2,
  unless: 2,
  EQLC: 3,
  NEQ: 3,
  LSS: 3,
  LTE: 3,
  GTR: 3,
  GTE: 3,
  ADD: 4,
  SUB: 4,
  MUL: 5,
  DIV: 5,
  MOD: 5,
  atan2: 5,
  POW: 6,
  TRIM_UPPER: 5,
  TRIM_LOWER: 5,
};
const MUL_PRECEDENCE = 5;
const POW_PRECEDENCE = 6;

const OP_TEXT: Partial<Record<TokenKind, BinaryOp>> = { TRIM_UPPER: '</', TRIM_LOWER: '>/', EQLC: '==', NEQ: '!=', LSS: '<', LTE: '<=', GTR: '>', GTE: '>=', ADD: '+', SUB: '-', MUL: '*', DIV: '/', MOD: '%', POW: '^' };

/** Words that cannot be metric names in expression position. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'atan2', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);

function describe(t: Token): string {
  switch (t.kind) {
    case 'EOF':
      return 'end of input';
    case 'IDENT':
      return KEYWORDS.has(t.text.toLowerCase()) ? `<${t.text}>` : `identifier ${JSON.stringify(t.text)}`;
    case 'NUMBER':
      return `number ${JSON.stringify(t.text)}`;
    case 'DURATION':
      return `duration ${JSON.stringify(t.text)}`;
    case 'STRING':
      return `string ${JSON.stringify(t.text)}`;
    case 'RBRACKET':
      return '"]"';
    case 'RPAREN':
      return '")"';
    case 'RBRACE':
      return '"}"';
    case 'COMMA':
      return '","';
    default:
      return `"${t.raw}"`;
  }
}

export function parseNumber(text: string): number {
  const t = text.toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (/^[+-]?0x/.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[+-]?0x/, ''), 16);
  return Number(text);
}

/** Language features Prometheus gates behind --enable-feature (all on unless switched off). */
export interface ParseOptions {
  /** promql-experimental-functions: limitk, limit_ratio, info, mad_over_time, ... */
  experimentalFunctions?: boolean;
  /** promql-extended-range-selectors: `anchored` and `smoothed`. */
  extendedRangeSelectors?: boolean;
  /** promql-binop-fill-modifiers: fill(), fill_left(), fill_right(). */
  binopFillModifiers?: boolean;
}

class Parser {
  private i = 0;
  private readonly tokens: Token[];

  constructor(
    private readonly query: string,
    private readonly options: ParseOptions = {},
  ) {
    this.tokens = tokenize(query);
  }

  private peek(o = 0): Token {
    return this.tokens[Math.min(this.i + o, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'EOF') this.i++;
    return t;
  }

  private fail(t: Token, detail: string): never {
    throw new PromQLSyntaxError(this.query, t.pos, detail);
  }

  private unexpected(t: Token, context?: string): never {
    this.fail(t, `unexpected ${describe(t)}${context ? ` in ${context}` : ''}`);
  }

  private expect(kind: TokenKind, context: string): Token {
    const t = this.peek();
    if (t.kind !== kind) {
      const want = { RPAREN: '")"', RBRACKET: '"]"', RBRACE: '"}"', LPAREN: '"("', COMMA: '","' }[kind as string] ?? kind;
      this.fail(t, `unexpected ${describe(t)} in ${context}, expected ${want}`);
    }
    return this.next();
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'IDENT' && t.text.toLowerCase() === w;
  }

  parseQuery(): Expr {
    if (this.peek().kind === 'EOF') this.fail(this.peek(), 'no expression found in input');
    const e = this.parseExpr(0);
    const t = this.peek();
    if (t.kind !== 'EOF') this.unexpected(t);
    return e;
  }

  private binaryOpAt(t: Token): { op: BinaryOp; prec: number } | undefined {
    if (t.kind === 'IDENT') {
      const w = t.text.toLowerCase();
      if (w === 'and' || w === 'or' || w === 'unless' || w === 'atan2') return { op: w, prec: BINARY_PRECEDENCE[w]! };
      return undefined;
    }
    const op = OP_TEXT[t.kind];
    return op ? { op, prec: BINARY_PRECEDENCE[t.kind]! } : undefined;
  }

  private parseExpr(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const b = this.binaryOpAt(t);
      if (!b || b.prec < minPrec) return lhs;
      this.next();
      const mods = this.parseBinaryModifiers(b.op);
      const rhs = this.parseExpr(b.op === '^' ? b.prec : b.prec + 1);
      lhs = { type: 'BinaryExpr', op: b.op, lhs, rhs, pos: lhs.pos, end: rhs.end, ...mods };
    }
  }

  private parseLabelList(context: string): string[] {
    this.expect('LPAREN', context);
    const out: string[] = [];
    while (this.peek().kind !== 'RPAREN') {
      const t = this.next();
      if (t.kind === 'IDENT' || t.kind === 'STRING') out.push(t.text);
      else this.unexpected(t, context);
      if (this.peek().kind === 'COMMA') this.next();
      else if (this.peek().kind !== 'RPAREN') this.unexpected(this.peek(), context);
    }
    this.next();
    return out;
  }

  private parseBinaryModifiers(op: BinaryOp): Pick<BinaryExpr, 'returnBool' | 'matching' | 'fillLeft' | 'fillRight'> {
    let returnBool = false;
    let matching: VectorMatching | undefined;
    let fillLeft: number | undefined;
    let fillRight: number | undefined;
    if (this.isWord(this.peek(), 'bool')) {
      this.next();
      returnBool = true;
    }
    const t = this.peek();
    if (this.isWord(t, 'on') || this.isWord(t, 'ignoring')) {
      this.next();
      const on = t.text.toLowerCase() === 'on';
      matching = { card: SET_OPS.has(op) ? 'many-to-many' : 'one-to-one', on, labels: this.parseLabelList('grouping opts'), include: [], explicit: true };
      const g = this.peek();
      if (this.isWord(g, 'group_left') || this.isWord(g, 'group_right')) {
        this.next();
        matching.card = g.text.toLowerCase() === 'group_left' ? 'many-to-one' : 'one-to-many';
        if (this.peek().kind === 'LPAREN') matching.include = this.parseLabelList('grouping opts');
      }
    } else if (this.isWord(t, 'group_left') || this.isWord(t, 'group_right')) {
      this.fail(t, `unexpected <${t.text}>`);
    }
    for (;;) {
      const f = this.peek();
      const w = f.kind === 'IDENT' ? f.text.toLowerCase() : '';
      if ((w === 'fill' || w === 'fill_left' || w === 'fill_right') && this.peek(1).kind === 'LPAREN') {
        if (this.options.binopFillModifiers === false) this.fail(f, 'binop fill modifiers are experimental and not enabled');
        this.next();
        this.next();
        let sign = 1;
        while (this.peek().kind === 'SUB' || this.peek().kind === 'ADD') if (this.next().kind === 'SUB') sign = -sign;
        const v = this.next();
        if (v.kind !== 'NUMBER' && !(v.kind === 'IDENT' && /^(inf|nan)$/i.test(v.text))) this.unexpected(v, 'fill modifier');
        const value = sign * parseNumber(v.text);
        this.expect('RPAREN', 'fill modifier');
        if (w !== 'fill_right') fillLeft = value;
        if (w !== 'fill_left') fillRight = value;
        continue;
      }
      break;
    }
    return { returnBool, matching, fillLeft, fillRight };
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t.kind === 'SUB' || t.kind === 'ADD') {
      this.next();
      const e = this.parseExpr(POW_PRECEDENCE);
      // Fold signs into number literals, as Prometheus does.
      if (e.type === 'NumberLiteral') return { ...e, value: t.kind === 'SUB' ? -e.value : e.value, pos: t.pos };
      return { type: 'UnaryExpr', op: t.kind === 'SUB' ? '-' : '+', expr: e, pos: t.pos, end: e.end };
    }
    void MUL_PRECEDENCE;
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePostfix(e: Expr): Expr {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'LBRACKET') {
        e = this.parseRangeOrSubquery(e);
        continue;
      }
      if (this.isWord(t, 'offset')) {
        this.next();
        const off = this.parseOffsetOperand();
        e = this.setOffset(e, off, t);
        continue;
      }
      if (t.kind === 'AT') {
        this.next();
        e = this.setAt(e, this.parseAtOperand(), t);
        continue;
      }
      if ((this.isWord(t, 'anchored') || this.isWord(t, 'smoothed')) && (e.type === 'MatrixSelector' || e.type === 'VectorSelector')) {
        if (this.options.extendedRangeSelectors === false) this.fail(t, `${t.text.toLowerCase()} modifier is experimental and not enabled`);
        this.next();
        if (t.text.toLowerCase() === 'anchored') e = { ...e, anchored: true, end: t.end };
        else e = { ...e, smoothed: true, end: t.end };
        continue;
      }
      return e;
    }
  }

  private setOffset(e: Expr, off: DurationExpr, at: Token): Expr {
    this.checkDurationRange(off);
    const target = e.type === 'MatrixSelector' ? e.vector : e;
    if (target.type !== 'VectorSelector' && target.type !== 'SubqueryExpr') this.fail(at, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    if (target.offset) this.fail(at, 'offset may not be set multiple times');
    target.offset = off;
    return { ...e, end: off.end };
  }

  private setAt(e: Expr, at: AtModifier, tok: Token): Expr {
    const target = e.type === 'MatrixSelector' ? e.vector : e;
    if (target.type !== 'VectorSelector' && target.type !== 'SubqueryExpr') this.fail(tok, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    if (target.at) this.fail(tok, '@ <timestamp> may not be set multiple times');
    target.at = this.boundedAt(at, e.pos);
    return e;
  }

  /**
   * Prometheus refuses an `@` time that is not finite or overflows int64 (its check compares the
   * seconds); any other time is answered. Ours are clamped to the times storage can hold, where a
   * selection finds the same nothing, so that no evaluation overflows.
   */
  private boundedAt(at: AtModifier, pos: number): AtModifier {
    if (at.kind !== 'time') return at;
    const s = constantSeconds(at.seconds);
    if (s === undefined) return at;
    const bounded = boundedAtSeconds(s);
    if (bounded === undefined) throw new PromQLSyntaxError(this.query, pos, `timestamp out of bounds for @ modifier: ${goFixed6(s)}`);
    if (bounded === s) return at;
    return { kind: 'time', seconds: { kind: 'number', seconds: bounded, pos: at.seconds.pos, end: at.seconds.end } };
  }

  /** Offsets, ranges and steps are time.Duration in Prometheus: beyond int64 nanoseconds (~292y) they are refused. */
  private checkDurationRange(d: DurationExpr): void {
    const s = constantSeconds(d);
    if (s !== undefined && !durationInRange(s)) throw new PromQLSyntaxError(this.query, d.pos, 'duration out of range');
  }

  private parseOffsetOperand(): DurationExpr {
    const t = this.peek();
    if (t.kind === 'SUB' || t.kind === 'ADD') {
      this.next();
      const inner = this.parseOffsetOperand();
      return t.kind === 'SUB' ? { kind: 'neg', expr: inner, pos: t.pos, end: inner.end } : inner;
    }
    if (t.kind === 'LPAREN') {
      this.next();
      const d = this.parseDuration(0, 'offset');
      this.expect('RPAREN', 'offset');
      return d;
    }
    if (t.kind === 'DURATION' || t.kind === 'NUMBER') return this.durationAtom();
    if (['step', 'range', 'min_of', 'max_of'].some((w) => this.isWord(t, w)) && this.peek(1).kind === 'LPAREN') return this.parseDurationUnary('offset');
    this.unexpected(t, 'offset');
  }

  private parseAtOperand(): AtModifier {
    const t = this.peek();
    if ((this.isWord(t, 'start') || this.isWord(t, 'end')) && this.peek(1).kind === 'LPAREN') {
      this.next();
      this.next();
      this.expect('RPAREN', '@ modifier');
      return { kind: t.text.toLowerCase() === 'start' ? 'start' : 'end' };
    }
    if (t.kind === 'SUB' || t.kind === 'ADD' || t.kind === 'NUMBER' || t.kind === 'DURATION' || t.kind === 'LPAREN') {
      return { kind: 'time', seconds: this.parseOffsetOperand() };
    }
    this.fail(t, `unexpected ${describe(t)} in @, expected timestamp`);
  }

  private durationMs(t: Token): number {
    let ms: number;
    try {
      ms = parsePromDuration(t.text);
    } catch {
      this.fail(t, `bad number or duration syntax: ${JSON.stringify(t.text)}`);
    }
    if (ms > MAX_DURATION_MS) this.fail(t, 'duration out of range');
    return ms;
  }

  private durationAtom(): DurationExpr {
    const t = this.next();
    if (t.kind === 'DURATION') {
      return { kind: 'number', seconds: this.durationMs(t) / 1000, unit: true, pos: t.pos, end: t.end };
    }
    if (t.kind === 'NUMBER') return { kind: 'number', seconds: parseNumber(t.text), pos: t.pos, end: t.end };
    this.unexpected(t, 'duration');
  }

  /** Duration arithmetic inside [...], offset (...) and @ (...). */
  private parseDuration(minPrec: number, context: string): DurationExpr {
    let lhs = this.parseDurationUnary(context);
    for (;;) {
      const t = this.peek();
      const op = OP_TEXT[t.kind];
      if (!op || !['+', '-', '*', '/', '%', '^'].includes(op)) return lhs;
      const prec = BINARY_PRECEDENCE[t.kind]!;
      if (prec < minPrec) return lhs;
      this.next();
      const rhs = this.parseDuration(op === '^' ? prec : prec + 1, context);
      lhs = { kind: 'binary', op: op as '+', lhs, rhs, pos: lhs.pos, end: rhs.end };
    }
  }

  private parseDurationUnary(context: string): DurationExpr {
    const t = this.peek();
    if (t.kind === 'SUB' || t.kind === 'ADD') {
      this.next();
      const e = this.parseDuration(POW_PRECEDENCE, context);
      return t.kind === 'SUB' ? { kind: 'neg', expr: e, pos: t.pos, end: e.end } : e;
    }
    if (t.kind === 'LPAREN') {
      this.next();
      const e = this.parseDuration(0, context);
      this.expect('RPAREN', context);
      return e;
    }
    if (t.kind === 'IDENT' && (this.isWord(t, 'step') || this.isWord(t, 'range')) && this.peek(1).kind === 'LPAREN') {
      this.next();
      this.next();
      const close = this.expect('RPAREN', context);
      return { kind: 'fn', name: t.text.toLowerCase() as 'step', pos: t.pos, end: close.end };
    }
    if (t.kind === 'IDENT' && (this.isWord(t, 'min_of') || this.isWord(t, 'max_of')) && this.peek(1).kind === 'LPAREN') {
      this.next();
      this.next();
      const args = [this.parseDuration(0, context)];
      while (this.peek().kind === 'COMMA') {
        this.next();
        args.push(this.parseDuration(0, context));
      }
      const close = this.expect('RPAREN', context);
      return { kind: 'minmax', name: t.text.toLowerCase() === 'min_of' ? 'min' : 'max', args, pos: t.pos, end: close.end };
    }
    if (t.kind === 'DURATION' || t.kind === 'NUMBER') return this.durationAtom();
    this.unexpected(t, context);
  }

  private parseRangeOrSubquery(e: Expr): Expr {
    const open = this.next();
    if (this.peek().kind === 'RBRACKET') this.fail(this.peek(), 'unexpected "]" in subquery or range selector, expected number or duration');
    const range = this.parseDuration(0, 'subquery or range selector');
    this.checkDurationRange(range);
    if (this.peek().kind === 'COLON') {
      this.next();
      let step: DurationExpr | undefined;
      if (this.peek().kind !== 'RBRACKET') step = this.parseDuration(0, 'subquery');
      if (step !== undefined) this.checkDurationRange(step);
      const close = this.expect('RBRACKET', 'subquery');
      const sq: SubqueryExpr = { type: 'SubqueryExpr', expr: e, range, step, offset: undefined, at: undefined, pos: e.pos, end: close.end };
      return sq;
    }
    const close = this.expect('RBRACKET', 'range selector');
    if (e.type !== 'VectorSelector') this.fail(open, 'ranges only allowed for vector selectors');
    if (e.offset || e.at) this.fail(open, 'no offset modifiers allowed before range');
    const ms: MatrixSelector = { type: 'MatrixSelector', vector: e, range, anchored: false, smoothed: false, pos: e.pos, end: close.end };
    return ms;
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'NUMBER':
        this.next();
        return { type: 'NumberLiteral', value: parseNumber(t.text), pos: t.pos, end: t.end };
      case 'DURATION': {
        this.next();
        return { type: 'NumberLiteral', value: this.durationMs(t) / 1000, pos: t.pos, end: t.end };
      }
      case 'STRING':
        this.next();
        return { type: 'StringLiteral', value: t.text, pos: t.pos, end: t.end };
      case 'LPAREN': {
        this.next();
        const e = this.parseExpr(0);
        const close = this.expect('RPAREN', 'paren expression');
        return { type: 'ParenExpr', expr: e, pos: t.pos, end: close.end };
      }
      case 'LBRACE':
        return this.parseSelector(undefined, t);
      case 'IDENT':
        return this.parseIdentifier(t);
      case 'EOF':
        this.fail(t, 'unexpected end of input');
      // falls through (fail throws)
      default:
        this.unexpected(t);
    }
  }

  private parseIdentifier(t: Token): Expr {
    const lower = t.text.toLowerCase();
    if (lower === 'inf' || lower === 'nan') {
      this.next();
      return { type: 'NumberLiteral', value: parseNumber(t.text), pos: t.pos, end: t.end };
    }
    const after = this.peek(1);
    if (AGGREGATIONS.has(lower) && (after.kind === 'LPAREN' || this.isWord(after, 'by') || this.isWord(after, 'without'))) return this.parseAggregation(t);
    if (after.kind === 'LPAREN') {
      const fn = FUNCTIONS.get(t.text);
      if (!fn) this.fail(t, `unknown function with name ${JSON.stringify(t.text)}`);
      if (fn.experimental && this.options.experimentalFunctions === false) this.fail(t, `function ${JSON.stringify(t.text)} is not enabled`);
      return this.parseCall(t);
    }
    if (KEYWORDS.has(lower)) this.unexpected(t);
    this.next();
    if (this.peek().kind === 'LBRACE') return this.parseSelector(t.text, t);
    return { type: 'VectorSelector', name: t.text, matchers: [{ type: '=', name: '__name__', value: t.text }], offset: undefined, at: undefined, pos: t.pos, end: t.end };
  }

  private parseCall(t: Token): Call {
    this.next();
    this.next();
    const args: Expr[] = [];
    while (this.peek().kind !== 'RPAREN') {
      args.push(this.parseExpr(0));
      if (this.peek().kind === 'COMMA') {
        this.next();
        if (this.peek().kind === 'RPAREN') this.unexpected(this.peek(), 'function call');
      } else if (this.peek().kind !== 'RPAREN') this.fail(this.peek(), `unexpected ${describe(this.peek())} in function call, expected "," or ")"`);
    }
    const close = this.next();
    return { type: 'Call', name: t.text, args, pos: t.pos, end: close.end };
  }

  private parseAggregation(t: Token): AggregateExpr {
    this.next();
    let grouping: string[] = [];
    let without = false;
    let hasGrouping = false;
    const modifier = (): void => {
      const m = this.peek();
      if (this.isWord(m, 'by') || this.isWord(m, 'without')) {
        this.next();
        without = m.text.toLowerCase() === 'without';
        grouping = this.parseLabelList('grouping opts');
        hasGrouping = true;
      }
    };
    modifier();
    this.expect('LPAREN', 'aggregation');
    const args: Expr[] = [];
    while (this.peek().kind !== 'RPAREN') {
      args.push(this.parseExpr(0));
      if (this.peek().kind === 'COMMA') this.next();
      else if (this.peek().kind !== 'RPAREN') this.fail(this.peek(), `unexpected ${describe(this.peek())} in aggregation, expected "," or ")"`);
    }
    const close = this.next();
    let end = close.end;
    if (!hasGrouping) {
      const before = this.i;
      modifier();
      if (this.i !== before) end = this.tokens[this.i - 1]!.end;
    }
    const op = t.text.toLowerCase();
    const spec = AGGREGATIONS.get(op)!;
    if (spec.experimental && this.options.experimentalFunctions === false) this.fail(t, `${op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions`);
    if (args.length === 0) this.fail(close, 'no arguments for aggregate expression provided');
    const want = spec.param ? 2 : 1;
    if (args.length !== want) this.fail(t, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`);
    const param = spec.param ? args[0] : undefined;
    const expr = args[args.length - 1]!;
    return { type: 'AggregateExpr', op, expr, param, grouping, without, hasGrouping, pos: t.pos, end };
  }

  private parseSelector(name: string | undefined, start: Token): VectorSelector {
    this.expect('LBRACE', 'label matching');
    const matchers: LabelMatcher[] = [];
    let metricName = name;
    while (this.peek().kind !== 'RBRACE') {
      const l = this.next();
      if (l.kind !== 'IDENT' && l.kind !== 'STRING') this.fail(l, `unexpected ${describe(l)} in label matching, expected label`);
      const opTok = this.peek();
      const ops: Partial<Record<TokenKind, MatchType>> = { ASSIGN: '=', NEQ: '!=', EQL_REGEX: '=~', NEQ_REGEX: '!~' };
      const op = ops[opTok.kind];
      if (!op) {
        if (l.kind === 'STRING' && (opTok.kind === 'COMMA' || opTok.kind === 'RBRACE')) {
          // A lone quoted string is the metric name: {"my.metric"}.
          if (metricName !== undefined) this.fail(l, `metric name must not be set twice: ${JSON.stringify(metricName)} or ${JSON.stringify(l.text)}`);
          metricName = l.text;
          matchers.push({ type: '=', name: '__name__', value: l.text });
          if (this.peek().kind === 'COMMA') this.next();
          continue;
        }
        this.fail(opTok, `unexpected ${describe(opTok)} in label matching, expected label matching operator`);
      }
      this.next();
      const v = this.next();
      if (v.kind !== 'STRING') this.fail(v, `unexpected ${describe(v)} in label matching, expected string`);
      if (op === '=~' || op === '!~') {
        try {
          compileAnchored(v.text, { dotAll: true });
        } catch (e) {
          if (e instanceof Re2SyntaxError) this.fail(v, `invalid regular expression ${JSON.stringify(v.text)}: ${e.message}`);
          throw e;
        }
      }
      if (l.text === '__name__' && op === '=' && name !== undefined) this.fail(l, `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(v.text)}`);
      matchers.push({ type: op, name: l.text, value: v.text });
      if (this.peek().kind === 'COMMA') this.next();
      else if (this.peek().kind !== 'RBRACE') this.fail(this.peek(), `unexpected ${describe(this.peek())} in label matching, expected "," or "}"`);
    }
    const close = this.next();
    if (name !== undefined) matchers.unshift({ type: '=', name: '__name__', value: name });
    return { type: 'VectorSelector', name: metricName, matchers, offset: undefined, at: undefined, pos: start.pos, end: close.end };
  }
}

/** Parses and type-checks a PromQL expression. Throws PromQLSyntaxError. */
export function parseExpr(query: string, options: ParseOptions = {}): Expr {
  try {
    const e = new Parser(query, options).parseQuery();
    check(query, e);
    return e;
  } catch (err) {
    // Parsing and checking recurse once per level: thousands of nested parentheses or calls
    // exhaust the stack. Go's stacks grow, so Prometheus parses these; ours refuses them clearly.
    if (isStackOverflow(err)) throw new PromQLSyntaxError(query, 0, 'expression nested too deeply to parse');
    throw err;
  }
}

/** V8's "Maximum call stack size exceeded". */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}
