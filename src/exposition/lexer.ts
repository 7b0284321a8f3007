// Shared pieces of the exposition parsers: a cursor over one line, metric names, label sets
// (with escapes), and number syntax.
import type { Labels } from '../model/labels.js';
import { newLabels } from '../model/labels.js';

export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'ExpositionError';
  }
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

export class LineCursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly line: number,
  ) {}

  fail(detail: string): never {
    throw new ExpositionError(this.line, detail);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  /** A metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), or undefined if none starts here. */
  metricName(): string | undefined {
    if (!NAME_START.test(this.peek())) return undefined;
    const start = this.pos;
    while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  labelName(): string | undefined {
    if (this.peek() === '"') return this.quoted();
    if (!LABEL_START.test(this.peek())) return undefined;
    const start = this.pos;
    while (this.pos < this.text.length && LABEL_CHAR.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A double-quoted string with \\, \" and \n escapes (other escapes are kept as written). */
  quoted(): string {
    if (this.peek() !== '"') this.fail(`expected '"', got ${JSON.stringify(this.peek() || 'end of line')}`);
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length) this.fail('unterminated quoted string');
      const c = this.text[this.pos++]!;
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.text[this.pos++];
        if (e === undefined) this.fail('unterminated quoted string');
        if (e === 'n') out += '\n';
        else if (e === '\\' || e === '"') out += e;
        else out += `\\${e}`;
        continue;
      }
      out += c;
    }
  }

  /**
   * `{name="value",...}` after the metric name (the cursor is on `{`). In the quoted-name form
   * a lone quoted string is the metric name; it is returned as `name`.
   */
  labels(strictCommas: boolean): { labels: Labels; name?: string } {
    this.pos++; // {
    const labels = newLabels(); // names are the target's: `__proto__` is a label like any other
    let name: string | undefined;
    let first = true;
    for (;;) {
      this.skipSpaces(strictCommas);
      if (this.peek() === '}') {
        this.pos++;
        return { labels, name };
      }
      if (!first && this.peek() === ',') {
        this.pos++;
        this.skipSpaces(strictCommas);
        if (this.peek() === '}') {
          if (strictCommas) this.fail('trailing comma in label set');
          this.pos++;
          return { labels, name };
        }
        if (this.peek() === ',') this.fail('empty label in label set');
      } else if (!first && (strictCommas || (this.peek() !== '"' && !LABEL_START.test(this.peek())))) {
        // The text format's lexer (Prometheus 2.42) takes a label name right after a value, so
        // the comma is optional there; OpenMetrics requires it.
        this.fail(`expected ',' or '}' in label set, got ${JSON.stringify(this.peek() || 'end of line')}`);
      }
      first = false;
      const isQuoted = this.peek() === '"';
      const ln = this.labelName();
      if (ln === undefined) this.fail(`invalid label name starting with ${JSON.stringify(this.peek() || 'end of line')}`);
      this.skipSpaces(strictCommas);
      if (isQuoted && (this.peek() === ',' || this.peek() === '}')) {
        if (name !== undefined) this.fail('metric name given twice');
        name = ln;
        continue;
      }
      if (this.peek() !== '=') this.fail(`expected '=' after label name ${JSON.stringify(ln)}`);
      this.pos++;
      this.skipSpaces(strictCommas);
      if (this.peek() !== '"') this.fail(`expected a quoted value for label ${JSON.stringify(ln)}`);
      const value = this.quoted();
      if (Object.prototype.hasOwnProperty.call(labels, ln)) this.fail(`duplicate label name ${JSON.stringify(ln)}`);
      labels[ln] = value;
    }
  }

  skipSpaces(strict: boolean): void {
    if (strict) return;
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  /** The next run of non-blank characters. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.text.length && this.text[this.pos] !== ' ' && this.text[this.pos] !== '\t') this.pos++;
    return this.text.slice(start, this.pos);
  }
}

export { parseOmFloat } from './numbers.js';
