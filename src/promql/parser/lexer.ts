// PromQL tokens. Positions are byte-free character offsets into the query; errors report them
// as line:column like Prometheus does.

export type TokenKind =
  | 'EOF'
  | 'IDENT' // metric names, label names, function names, keywords (the parser decides)
  | 'NUMBER'
  | 'DURATION'
  | 'STRING'
  | 'LPAREN'
  | 'RPAREN'
  | 'LBRACE'
  | 'RBRACE'
  | 'LBRACKET'
  | 'RBRACKET'
  | 'COMMA'
  | 'COLON'
  | 'AT'
  | 'ASSIGN' // =
  | 'EQLC' // ==
  | 'NEQ' // !=
  | 'EQL_REGEX' // =~
  | 'NEQ_REGEX' // !~
  | 'LSS'
  | 'LTE'
  | 'GTR'
  | 'GTE'
  | 'ADD'
  | 'SUB'
  | 'MUL'
  | 'DIV'
  | 'MOD'
  | 'POW'
  | 'TRIM_UPPER' // </ (native histograms)
  | 'TRIM_LOWER'; // >/

export interface Token {
  kind: TokenKind;
  /** The source text (for STRING: the unquoted value). */
  text: string;
  /** The raw source text, quotes included. */
  raw: string;
  pos: number;
  end: number;
}

export class PromQLSyntaxError extends Error {
  constructor(
    readonly query: string,
    readonly pos: number,
    readonly detail: string,
  ) {
    super(`${positionText(query, pos)}: parse error: ${detail}`);
    this.name = 'PromQLSyntaxError';
  }
}

/** "line:col" of a character offset (1-based), as Prometheus prints positions. */
export function positionText(query: string, pos: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < query.length; i++) {
    if (query[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return `${line}:${col}`;
}

const DURATION_UNITS = /^(?:[0-9]+(?:ms|s|m|h|d|w|y))+/;

function isIdentStart(c: string): boolean {
  return /[a-zA-Z_:]/.test(c);
}

function isIdentPart(c: string): boolean {
  return /[a-zA-Z0-9_:]/.test(c);
}

/** Go's string escapes (as PromQL uses them in double and single quotes). */
/** Bytes from \x and octal escapes, decoded as UTF-8; bytes that are not valid UTF-8 become lone
 * surrogates (U+DC80..U+DCFF), so the string stays detectably invalid like Go's. */
function decodeBytes(bytes: number[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return bytes.map((b) => (b < 0x80 ? String.fromCharCode(b) : String.fromCharCode(0xdc00 + b))).join('');
  }
}

function unescape(query: string, body: string, quote: string, pos: number): string {
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) out += decodeBytes(bytes);
    bytes = [];
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      flush();
      out += c;
      continue;
    }
    const e = body[++i];
    if (e !== 'x' && !(e !== undefined && /[0-7]/.test(e))) flush();
    const at = pos + 1 + i;
    switch (e) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
      case "'":
        if (e !== quote) throw new PromQLSyntaxError(query, at, `unknown escape sequence U+${e.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} '${e}'`);
        out += e;
        break;
      case 'x': {
        const h = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new PromQLSyntaxError(query, at, 'illegal character in escape sequence');
        bytes.push(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8;
        const h = body.slice(i + 1, i + 1 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new PromQLSyntaxError(query, at, 'illegal character in escape sequence');
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new PromQLSyntaxError(query, at, 'escape sequence is an invalid Unicode code point');
        out += String.fromCodePoint(cp);
        i += n;
        break;
      }
      default:
        if (e !== undefined && /[0-7]/.test(e)) {
          const o = body.slice(i, i + 3);
          if (!/^[0-7]{3}$/.test(o)) throw new PromQLSyntaxError(query, at, 'illegal character in escape sequence');
          const v = parseInt(o, 8);
          if (v > 255) throw new PromQLSyntaxError(query, at, 'escape sequence is invalid Unicode code point');
          bytes.push(v);
          i += 2;
          break;
        }
        throw new PromQLSyntaxError(query, at, `unknown escape sequence U+${(e ?? '').charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} '${e ?? ''}'`);
    }
  }
  flush();
  return out;
}

/** Splits a query into tokens; comments (# to end of line) and blanks are skipped. */
export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  // Inside [...] a colon separates range and resolution; elsewhere it may start a metric name.
  let brackets = 0;
  const push = (kind: TokenKind, start: number, end: number, text?: string): void => {
    const raw = query.slice(start, end);
    tokens.push({ kind, text: text ?? raw, raw, pos: start, end });
  };
  while (i < query.length) {
    const c = query[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < query.length && query[i] !== '\n') i++;
      continue;
    }
    const start = i;
    // Numbers and durations.
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(query[i + 1] ?? ''))) {
      const rest = query.slice(i);
      const identPart = (ch: string): boolean => isIdentPart(ch) && !(ch === ':' && brackets > 0);
      const dur = DURATION_UNITS.exec(rest);
      if (dur && !identPart(rest[dur[0].length] ?? '')) {
        i += dur[0].length;
        push('DURATION', start, i);
        continue;
      }
      const num = /^(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)/.exec(rest);
      if (!num) throw new PromQLSyntaxError(query, i, `bad number or duration syntax: "${rest.slice(0, 10)}"`);
      i += num[0].length;
      if (identPart(query[i] ?? '') || query[i] === '.') {
        let j = i;
        while (j < query.length && (identPart(query[j]!) || query[j] === '.')) j++;
        throw new PromQLSyntaxError(query, start, `bad number or duration syntax: "${query.slice(start, j)}"`);
      }
      push('NUMBER', start, i);
      continue;
    }
    if (isIdentStart(c) && !(c === ':' && brackets > 0)) {
      while (i < query.length && isIdentPart(query[i]!)) i++;
      push('IDENT', start, i);
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < query.length && query[i] !== c) {
        if (query[i] === '\\' && c !== '`') i++;
        else if (query[i] === '\n' && c !== '`') throw new PromQLSyntaxError(query, start, 'unterminated quoted string');
        i++;
      }
      if (i >= query.length) throw new PromQLSyntaxError(query, start, 'unterminated quoted string');
      i++;
      const body = query.slice(start + 1, i - 1);
      push('STRING', start, i, c === '`' ? body : unescape(query, body, c, start));
      continue;
    }
    const two = query.slice(i, i + 2);
    const twoKinds: Record<string, TokenKind> = { '</': 'TRIM_UPPER', '>/': 'TRIM_LOWER', '==': 'EQLC', '!=': 'NEQ', '=~': 'EQL_REGEX', '!~': 'NEQ_REGEX', '<=': 'LTE', '>=': 'GTE' };
    const k2 = twoKinds[two];
    if (k2) {
      i += 2;
      push(k2, start, i);
      continue;
    }
    const oneKinds: Record<string, TokenKind> = {
      '(': 'LPAREN',
      ')': 'RPAREN',
      '{': 'LBRACE',
      '}': 'RBRACE',
      '[': 'LBRACKET',
      ']': 'RBRACKET',
      ',': 'COMMA',
      ':': 'COLON',
      '@': 'AT',
      '=': 'ASSIGN',
      '<': 'LSS',
      '>': 'GTR',
      '+': 'ADD',
      '-': 'SUB',
      '*': 'MUL',
      '/': 'DIV',
      '%': 'MOD',
      '^': 'POW',
    };
    const k1 = oneKinds[c];
    if (k1) {
      if (k1 === 'LBRACKET') brackets++;
      if (k1 === 'RBRACKET') brackets = Math.max(0, brackets - 1);
      i++;
      push(k1, start, i);
      continue;
    }
    if (c === '!') throw new PromQLSyntaxError(query, i, "unexpected character after '!': " + JSON.stringify(query[i + 1] ?? ''));
    throw new PromQLSyntaxError(query, i, `unexpected character: ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: 'EOF', text: '', raw: '', pos: query.length, end: query.length });
  return tokens;
}
