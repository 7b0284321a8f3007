// RE2 regular expressions (Go's regexp syntax, as Prometheus and Alertmanager use it) translated to
// JavaScript RegExps.
//
// Every regex in the project goes through here: PromQL `=~`/`!~`, relabeling, Alertmanager matchers,
// template functions. The translation is a small scanner rather than a pass-through because the two
// dialects differ in ways that change answers:
//   - RE2 has inline flags (`(?i)`, `(?s:...)`, `(?U)`) that Node 20's RegExp lacks; we emulate them
//     per scope (letters become `[aA]`, `.` becomes `[^\n]` or `[\s\S]`, greediness is swapped).
//   - RE2 refuses backreferences and lookaround; JavaScript would silently accept them.
//   - RE2 treats an unmatched `{` or `]` as a literal; JavaScript's unicode mode refuses them.
//   - `\pL`, `\p{Greek}`, `\Q...\E`, `[[:alpha:]]`, `\z`, `\A`, octal and `\x{...}` escapes.
// The result has NO `u` flag, yet `.` and classes work on code points like Go's runes: astral
// characters are emitted as surrogate pairs (code-point-sets.ts). Without `u`, V8 can re-run a
// regex that backtracks too much on its linear-time engine (linear-engine.ts), which is what keeps
// RE2's guarantee: no pattern stalls the event loop. Counted repetitions are unrolled for the same
// reason (that engine refuses repetition counts over 16).
import './linear-engine.js';
import type { CodePointRange } from './code-point-sets.js';
import { anyCodePointSource, complement, literalCodePointSource, normalize, toUtf16Source, unicodeProperty } from './code-point-sets.js';

/** A pattern that RE2 would refuse, or that JavaScript cannot express. Message in Go's style. */
export class Re2SyntaxError extends Error {
  constructor(message: string) {
    super(`error parsing regexp: ${message}`);
    this.name = 'Re2SyntaxError';
  }
}

export interface Re2Options {
  /**
   * Whether `.` matches a newline by default. Prometheus 3 compiles PromQL and relabel regexes as
   * `(?s:...)`; Alertmanager and Go's default do not. An inline `(?s)` in the pattern overrides it.
   */
  dotAll?: boolean;
}

interface Flags {
  caseInsensitive: boolean;
  dotAll: boolean;
  multiLine: boolean;
  ungreedy: boolean;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

// Characters that must be escaped to be literal in JavaScript's unicode mode, which refuses
// escaping anything else: outside classes, and inside them (where `-` joins the set).
const JS_SYNTAX_OUTSIDE = new Set('^$\\.*+?()[]{}|/'.split(''));
const JS_SYNTAX = new Set([...JS_SYNTAX_OUTSIDE, '-']);
const MAX_REPEAT = 1000;
// Unrolled counted repetitions multiply; Go refuses nestings whose counts multiply past 1000, and
// we refuse translations past this size rather than hand V8 a megabyte regex.
const MAX_SOURCE_LENGTH = 1 << 20;

const DIGIT: CodePointRange[] = [[0x30, 0x39]];
const WORD: CodePointRange[] = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const SPACE: CodePointRange[] = [[0x09, 0x0a], [0x0c, 0x0d], [0x20, 0x20]];

/** Compiles an RE2 pattern, unanchored (matches anywhere, like Go's MatchString). */
export function compile(pattern: string, options: Re2Options = {}): RegExp {
  return build(translate(pattern, options));
}

/**
 * Compiles an RE2 pattern that must match the whole string, as Prometheus anchors its regexes
 * (`^(?:pattern)$`).
 */
export function compileAnchored(pattern: string, options: Re2Options = {}): RegExp {
  return build(`^(?:${translate(pattern, options)})$`);
}

function build(source: string): RegExp {
  try {
    if (source.length > MAX_SOURCE_LENGTH) throw new Re2SyntaxError('expression too large');
    return new RegExp(source, '');
  } catch (e) {
    // The scanner catches RE2's own errors first; what is left is JavaScript refusing a form it
    // cannot express (e.g. a nested repetition such as `a**`).
    throw new Re2SyntaxError((e as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

/** Translates RE2 syntax to an equivalent JavaScript (non-unicode-mode) source string. */
export function translate(pattern: string, options: Re2Options = {}): string {
  return new Translator(pattern, {
    caseInsensitive: false,
    dotAll: options.dotAll ?? true,
    multiLine: false,
    ungreedy: false,
  }).run();
}

class Translator {
  private pos = 0;
  private out = '';
  private readonly flagStack: Flags[] = [];
  private depth = 0;
  // Whether the last emitted item can take a repetition operator.
  private repeatable = false;
  // Where in `out` the last emitted item starts, so a counted repetition can unroll it.
  private atomStart = 0;
  private readonly groupStarts: number[] = [];

  constructor(
    private readonly src: string,
    private flags: Flags,
  ) {}

  run(): string {
    while (this.pos < this.src.length) this.step();
    if (this.depth > 0) throw new Re2SyntaxError(`missing closing ): \`${this.src}\``);
    return this.out;
  }

  private step(): void {
    const c = this.src[this.pos]!;
    switch (c) {
      case '\\':
        this.escape();
        return;
      case '[':
        this.charClass();
        return;
      case '(':
        this.openGroup();
        return;
      case ')':
        this.closeGroup();
        return;
      case '|':
        this.out += '|';
        this.pos++;
        this.repeatable = false;
        return;
      case '.':
        this.atomStart = this.out.length;
        this.out += anyCodePointSource(this.flags.dotAll);
        this.pos++;
        this.repeatable = true;
        return;
      case '^':
        // Multi-line anchors need lookaround, which Node 20's linear-time engine refuses (Node 22
        // and 24 accept it, measured): under `(?m)` a pattern stays on the backtracking engine.
        this.out += this.flags.multiLine ? '(?:^|(?<=\\n))' : '^';
        this.pos++;
        this.repeatable = false;
        return;
      case '$':
        this.out += this.flags.multiLine ? '(?:$|(?=\\n))' : '$';
        this.pos++;
        this.repeatable = false;
        return;
      case '*':
      case '+':
      case '?':
        this.repetition(c, 1);
        return;
      case '{': {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
        if (m === null) {
          // Not a valid repetition: RE2 takes `{` literally.
          this.literal('{');
          this.pos++;
          return;
        }
        const min = Number(m[1]);
        const max = m[3] === undefined || m[3] === '' ? min : Number(m[3]);
        if (min > MAX_REPEAT || max > MAX_REPEAT || (m[3] !== undefined && m[3] !== '' && max < min)) {
          throw new Re2SyntaxError(`invalid repeat count: \`${m[0]}\``);
        }
        this.repetition(m[0], m[0].length);
        return;
      }
      default: {
        // A whole code point: an astral character is two code units but one RE2 rune.
        const ch = String.fromCodePoint(this.src.codePointAt(this.pos)!);
        this.literal(ch);
        this.pos += ch.length;
      }
    }
  }

  private repetition(op: string, len: number): void {
    if (!this.repeatable) {
      throw new Re2SyntaxError(`missing argument to repetition operator: \`${op}\``);
    }
    this.pos += len;
    let lazy = false;
    if (this.src[this.pos] === '?') {
      lazy = true;
      this.pos++;
    }
    if (this.flags.ungreedy) lazy = !lazy;
    const next = this.src[this.pos];
    if (next === '*' || next === '+' || next === '?' || (next === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.pos)))) {
      throw new Re2SyntaxError(`invalid nested repetition operator: \`${op}${next}\``);
    }
    this.repeatable = false;
    const counted = /^\{(\d+)(,(\d*))?\}$/.exec(op);
    const atom = this.out.slice(this.atomStart);
    if (counted !== null) {
      const min = Number(counted[1]);
      const max = counted[2] === undefined ? min : counted[3] === '' ? undefined : Number(counted[3]);
      this.out = this.out.slice(0, this.atomStart) + unrollRepetition(atom, min, max, lazy);
      if (this.out.length > MAX_SOURCE_LENGTH) throw new Re2SyntaxError(`expression too large: \`${op}\``);
      return;
    }
    this.out += op + (lazy ? '?' : '');
  }

  /** Emits one literal code point, honouring case-insensitivity. */
  private literal(ch: string): void {
    this.atomStart = this.out.length;
    this.out += this.literalSource(ch);
    this.repeatable = true;
  }

  private literalSource(ch: string): string {
    if (this.flags.caseInsensitive) {
      const lower = ch.toLowerCase();
      const upper = ch.toUpperCase();
      if (lower !== upper && lower.length === 1 && upper.length === 1) return `[${lower}${upper}]`;
    }
    return JS_SYNTAX_OUTSIDE.has(ch) ? `\\${ch}` : literalCodePointSource(ch);
  }

  private openGroup(): void {
    const rest = this.src.slice(this.pos);
    this.flagStack.push({ ...this.flags });
    this.groupStarts.push(this.out.length);
    if (rest.startsWith('(?')) {
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named !== null) {
        this.out += `(?<${named[1]}>`;
        this.pos += named[0].length;
      } else if (/^\(\?(=|!|<=|<!)/.test(rest)) {
        throw new Re2SyntaxError(`invalid or unsupported Perl syntax: \`${rest.slice(0, 3)}\``);
      } else {
        const m = /^\(\?([imsU]*)(?:-([imsU]*))?(:|\))/.exec(rest);
        if (m === null) throw new Re2SyntaxError(`invalid or unsupported Perl syntax: \`${rest.slice(0, 3)}\``);
        const next = this.applyFlags(m[1] ?? '', m[2] ?? '');
        this.pos += m[0].length;
        if (m[3] === ')') {
          // `(?i)`: the flags hold until the end of the enclosing group; no group is opened.
          this.flagStack.pop();
          this.groupStarts.pop();
          this.flags = next;
          return;
        }
        this.flags = next;
        this.out += '(?:';
      }
    } else {
      this.out += '(';
      this.pos++;
    }
    this.depth++;
    this.repeatable = false;
  }

  private applyFlags(on: string, off: string): Flags {
    const f = { ...this.flags };
    const set = (chars: string, value: boolean): void => {
      for (const ch of chars) {
        if (ch === 'i') f.caseInsensitive = value;
        else if (ch === 's') f.dotAll = value;
        else if (ch === 'm') f.multiLine = value;
        else if (ch === 'U') f.ungreedy = value;
      }
    };
    set(on, true);
    set(off, false);
    return f;
  }

  private closeGroup(): void {
    if (this.depth === 0) throw new Re2SyntaxError(`unexpected ): \`${this.src}\``);
    this.depth--;
    this.flags = this.flagStack.pop()!;
    this.atomStart = this.groupStarts.pop()!;
    this.out += ')';
    this.pos++;
    this.repeatable = true;
  }

  private escape(): void {
    const { source, consumed, repeatable } = this.escapeSource(false);
    this.atomStart = this.out.length;
    this.out += source;
    this.pos += consumed;
    this.repeatable = repeatable;
  }

  /**
   * Translates the escape at `pos`. Inside a character class only character-valued escapes are
   * allowed. Returns the JavaScript source and how many characters of the pattern it used.
   */
  private escapeSource(inClass: boolean): EscapeTranslation {
    const rest = this.src.slice(this.pos);
    const c = rest[1];
    if (c === undefined) throw new Re2SyntaxError('trailing backslash at end of expression: ``');
    const ch = (s: string, consumed: number): EscapeTranslation => ({ source: s, consumed, repeatable: true });
    // A class escape: its code points (for classes) and its pair-aware source (outside them).
    const set = (codePoints: CodePointRange[], consumed: number): EscapeTranslation => ({
      source: toUtf16Source(codePoints),
      consumed,
      repeatable: true,
      set: codePoints,
    });
    switch (c) {
      case 'd':
        return set(DIGIT, 2);
      case 'D':
        return set(complement(DIGIT), 2);
      case 'w':
        return set(WORD, 2);
      case 'W':
        return set(complement(WORD), 2);
      case 's':
        return set(SPACE, 2);
      case 'S':
        if (inClass) throw new Re2SyntaxError('\\S inside a character class is not supported by Promethium');
        return set(complement(SPACE), 2);
      case 'b':
      case 'B':
        if (inClass) throw new Re2SyntaxError(`invalid escape sequence: \`\\${c}\``);
        return { source: `\\${c}`, consumed: 2, repeatable: false };
      case 'A':
        if (inClass) throw new Re2SyntaxError('invalid escape sequence: `\\A`');
        return { source: '^', consumed: 2, repeatable: false };
      case 'z':
        if (inClass) throw new Re2SyntaxError('invalid escape sequence: `\\z`');
        return { source: '$', consumed: 2, repeatable: false };
      case 'a':
        return ch('\\x07', 2);
      case 'f':
      case 't':
      case 'n':
      case 'r':
      case 'v':
        return ch(`\\${c}`, 2);
      case 'Q': {
        if (inClass) throw new Re2SyntaxError('invalid escape sequence: `\\Q`');
        const end = rest.indexOf('\\E', 2);
        const quoted = end === -1 ? rest.slice(2) : rest.slice(2, end);
        let s = '';
        for (const q of quoted) s += this.literalSource(q);
        // A quoted run repeats as a whole only when it is one character; group it to be safe.
        return { source: `(?:${s})`, consumed: end === -1 ? rest.length : end + 2, repeatable: true };
      }
      case 'x': {
        const braced = /^\\x\{([0-9A-Fa-f]{1,6})\}/.exec(rest);
        const short = /^\\x([0-9A-Fa-f]{2})/.exec(rest);
        const m = braced ?? short;
        if (m === null) throw new Re2SyntaxError(`invalid escape sequence: \`${rest.slice(0, 4)}\``);
        const cp = parseInt(m[1]!, 16);
        if (cp > 0x10ffff) throw new Re2SyntaxError(`invalid escape sequence: \`${m[0]}\``);
        return ch(this.codePointSource(cp, inClass), m[0].length);
      }
      case 'p':
      case 'P': {
        const m = /^\\[pP](\{\^?([A-Za-z_]+)\}|([A-Za-z]))/.exec(rest);
        if (m === null) throw new Re2SyntaxError(`invalid character class range: \`${rest.slice(0, 3)}\``);
        const name = m[2] ?? m[3]!;
        const negated = (c === 'P') !== (m[1]!.startsWith('{^'));
        const members = this.unicodeClass(name);
        return set(negated ? complement(members) : members, m[0].length);
      }
      default:
        break;
    }
    if (c >= '0' && c <= '7') {
      const m = /^\\([0-7]{1,3})/.exec(rest)!;
      // A single non-zero digit is a backreference, which RE2 does not support.
      if (m[1]!.length === 1 && c !== '0') throw new Re2SyntaxError(`invalid escape sequence: \`\\${c}\``);
      return ch(this.codePointSource(parseInt(m[1]!, 8), inClass), m[0].length);
    }
    if (c === '8' || c === '9') throw new Re2SyntaxError(`invalid escape sequence: \`\\${c}\``);
    // RE2 allows escaping any punctuation; letters and digits not handled above are errors.
    if (/[A-Za-z0-9]/.test(c)) throw new Re2SyntaxError(`invalid escape sequence: \`\\${c}\``);
    if (inClass) return ch(JS_SYNTAX.has(c) ? `\\${c}` : c, 2);
    return ch(this.literalSource(c), 2);
  }

  private codePointSource(cp: number, inClass: boolean): string {
    // Inside a class the caller uses the code point itself (classAtom), not this source.
    if (inClass) return '';
    return this.literalSource(String.fromCodePoint(cp));
  }

  private unicodeClass(name: string): CodePointRange[] {
    try {
      return unicodeProperty(unicodeClassName(name));
    } catch {
      throw new Re2SyntaxError(`invalid character class range: \`\\p{${name}}\``);
    }
  }

  private charClass(): void {
    const start = this.pos;
    this.pos++; // [
    let negated = false;
    if (this.src[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const members: CodePointRange[] = [];
    let first = true;
    for (;;) {
      if (this.pos >= this.src.length) {
        throw new Re2SyntaxError(`missing closing ]: \`${this.src.slice(start)}\``);
      }
      const c = this.src[this.pos]!;
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos));
      if (posix !== null) {
        const body = POSIX_CLASSES[posix[2]!];
        if (body === undefined) throw new Re2SyntaxError(`invalid character class range: \`${posix[0]}\``);
        if (posix[1] === '^') throw new Re2SyntaxError(`negated POSIX class \`${posix[0]}\` is not supported by Promethium`);
        members.push(...posixClassRanges(body));
        this.pos += posix[0].length;
        continue;
      }
      const lo = this.classAtom();
      if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
        this.pos++; // -
        const hi = this.classAtom();
        if (lo.codePoint === undefined || hi.codePoint === undefined) {
          throw new Re2SyntaxError(`invalid character class range: \`${this.src.slice(start, this.pos)}\``);
        }
        if (hi.codePoint < lo.codePoint) {
          throw new Re2SyntaxError(`invalid character class range: \`${this.src.slice(start, this.pos)}\``);
        }
        members.push([lo.codePoint, hi.codePoint]);
        if (this.flags.caseInsensitive) members.push(...caseFoldedRanges(lo.codePoint, hi.codePoint));
        continue;
      }
      if (lo.codePoint === undefined) {
        members.push(...lo.set);
        continue;
      }
      members.push([lo.codePoint, lo.codePoint]);
      if (this.flags.caseInsensitive) members.push(...caseFoldedRanges(lo.codePoint, lo.codePoint));
    }
    // Only `.` depends on the s flag: a negated class such as `[^a]` matches a newline in RE2 as in
    // JavaScript. The class is negated here, over code points, so its UTF-16 form needs no `u`.
    this.atomStart = this.out.length;
    this.out += toUtf16Source(negated ? complement(members) : normalize(members));
    this.repeatable = true;
  }

  /** One class member: one code point (a literal or escape), or an escape's set (`\d`, `\pL`). */
  private classAtom(): { codePoint: number } | { codePoint?: undefined; set: CodePointRange[] } {
    const c = this.src[this.pos]!;
    if (c === '\\') {
      const rest = this.src.slice(this.pos);
      const { consumed, set } = this.escapeSource(true);
      this.pos += consumed;
      const text = rest.slice(0, consumed);
      const single = /^\\([\s\S])$/.exec(text);
      if (single !== null && !/[A-Za-z0-9]/.test(single[1]!)) return { codePoint: single[1]!.codePointAt(0)! };
      const hex = /^\\x\{?([0-9A-Fa-f]+)\}?$/.exec(text);
      if (hex !== null) return { codePoint: parseInt(hex[1]!, 16) };
      const oct = /^\\([0-7]{1,3})$/.exec(text);
      if (oct !== null) return { codePoint: parseInt(oct[1]!, 8) };
      const control = consumed === 2 ? CONTROL_ESCAPES.get(rest[1]!) : undefined;
      if (control !== undefined) return { codePoint: control };
      if (set === undefined) throw new Re2SyntaxError(`invalid escape sequence in character class: \`${text}\``);
      return { set };
    }
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += String.fromCodePoint(cp).length;
    return { codePoint: cp };
  }
}

const CONTROL_ESCAPES = new Map([
  ['a', 7],
  ['f', 12],
  ['t', 9],
  ['n', 10],
  ['r', 13],
  ['v', 11],
]);

interface EscapeTranslation {
  source: string;
  consumed: number;
  repeatable: boolean;
  /** For class escapes (`\d`, `\W`, `\pL`, ...): the code points, which a class merges. */
  set?: CodePointRange[];
}

/** The ASCII code points of a POSIX class body (a JavaScript class body over ASCII). */
function posixClassRanges(body: string): CodePointRange[] {
  const re = new RegExp(`[${body}]`);
  const out: CodePointRange[] = [];
  for (let cp = 0; cp < 0x80; cp++) if (re.test(String.fromCharCode(cp))) out.push([cp, cp]);
  return normalize(out);
}

/**
 * A counted repetition written out, so that no repetition count reaches V8's linear engine (which
 * refuses counts over 16): `x{2,4}` becomes `(?:xx(?:x(?:x)?)?)`, `x{2,}` becomes `(?:xxx*)`.
 */
function unrollRepetition(atom: string, min: number, max: number | undefined, lazy: boolean): string {
  if (hasCapturingGroup(atom)) {
    // A group keeps the text of its last iteration, and must not be duplicated (that would
    // renumber the groups after it): all iterations but the last are non-capturing copies, which
    // tries the same alternatives in the same order as `x{min,max}`.
    if (max === 0) return '(?:)';
    const copies = unrollRepetition(withoutCaptures(atom), Math.max(min - 1, 0), max === undefined ? undefined : max - 1, lazy);
    return min === 0 ? `(?:${copies}${atom})${lazy ? '??' : '?'}` : `(?:${copies}${atom})`;
  }
  let tail = '';
  if (max === undefined) tail = atom + (lazy ? '*?' : '*');
  else for (let i = min; i < max; i++) tail = `(?:${atom}${tail})${lazy ? '??' : '?'}`;
  return `(?:${atom.repeat(min)}${tail})`;
}

/** Where a translated source opens capturing groups (plain or named), outside classes. */
function capturingGroups(source: string): { at: number; length: number }[] {
  const out: { at: number; length: number }[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' && source[i + 1] !== '?') out.push({ at: i, length: 1 });
    else if (c === '(') {
      const named = /^\(\?<[A-Za-z_][A-Za-z0-9_]*>/.exec(source.slice(i, i + 64));
      if (named !== null) out.push({ at: i, length: named[0].length });
    }
  }
  return out;
}

function hasCapturingGroup(source: string): boolean {
  return capturingGroups(source).length > 0;
}

function withoutCaptures(source: string): string {
  let out = '';
  let from = 0;
  for (const { at, length } of capturingGroups(source)) {
    out += `${source.slice(from, at)}(?:`;
    from = at + length;
  }
  return out + source.slice(from);
}

/** For case-insensitive classes: the other-case counterparts of the ASCII letters in [lo, hi]. */
function caseFoldedRanges(lo: number, hi: number): CodePointRange[] {
  const out: CodePointRange[] = [];
  const add = (from: number, to: number, shift: number): void => {
    const a = Math.max(lo, from);
    const b = Math.min(hi, to);
    if (a <= b) out.push([a + shift, b + shift]);
  };
  add(0x61, 0x7a, -32); // a-z -> A-Z
  add(0x41, 0x5a, 32); // A-Z -> a-z
  return out;
}

const GENERAL_CATEGORY = /^(L|Lu|Ll|Lt|Lm|Lo|M|Mn|Mc|Me|N|Nd|Nl|No|P|Pc|Pd|Ps|Pe|Pi|Pf|Po|S|Sm|Sc|Sk|So|Z|Zs|Zl|Zp|C|Cc|Cf|Cs|Co)$/;

function unicodeClassName(name: string): string {
  if (name === 'Any') return 'Any';
  if (GENERAL_CATEGORY.test(name)) return name;
  return `Script=${name}`;
}

/**
 * The literal strings a pattern can match when it is a plain alternation of literals (`a|b|c`), or
 * undefined. Lets callers skip scanning every label value for the common `=~"a|b"` form.
 */
export function literalAlternatives(pattern: string): string[] | undefined {
  if (pattern === '') return [''];
  if (/[\\.^$*+?()[\]{}]/.test(pattern)) return undefined;
  return pattern.split('|');
}
