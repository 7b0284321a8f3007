// Prints a syntax tree back as PromQL, the way Prometheus's expr.String() writes it (used by
// /api/v1/format_query and the rules API).
import type { AtModifier, DurationExpr, Expr, VectorSelector } from './ast.js';
import { formatDuration } from '../../model/duration.js';

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function quote(s: string): string {
  // Lone surrogates stand for bytes that are not UTF-8 (see the lexer): print them as \xNN.
  return JSON.stringify(s).replace(/\\udc([89a-f][0-9a-f])/g, '\\x$1');
}

function labelName(n: string): string {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n) ? n : quote(n);
}

function durationAtom(d: DurationExpr): string {
  return d.kind === 'binary' ? `(${duration(d)})` : duration(d);
}

function duration(d: DurationExpr): string {
  switch (d.kind) {
    case 'number':
      return d.unit && Number.isInteger(d.seconds * 1000) && d.seconds > 0 ? formatDuration(Math.round(d.seconds * 1000)) : num(d.seconds);
    case 'neg':
      return `-${durationAtom(d.expr)}`;
    case 'fn':
      return `${d.name}()`;
    case 'minmax':
      return `${d.name}_of(${d.args.map(duration).join(', ')})`;
    case 'binary':
      return `${durationAtom(d.lhs)} ${d.op} ${durationAtom(d.rhs)}`;
  }
}

function offsetAndAt(offset: DurationExpr | undefined, at: AtModifier | undefined): string {
  let s = '';
  if (at) s += at.kind === 'time' ? ` @ ${num(atSeconds(at.seconds))}` : ` @ ${at.kind}()`;
  if (offset) s += ` offset ${durationAtom(offset)}`;
  return s;
}

function atSeconds(d: DurationExpr): number {
  return d.kind === 'number' ? d.seconds : d.kind === 'neg' ? -atSeconds(d.expr) : NaN;
}

function selector(v: VectorSelector): string {
  const ms = v.matchers.filter((m) => !(m.name === '__name__' && m.type === '=' && m.value === v.name));
  const name = v.name !== undefined && /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(v.name) ? v.name : '';
  const parts = ms.map((m) => `${labelName(m.name)}${m.type}${quote(m.value)}`);
  if (v.name !== undefined && name === '') parts.unshift(quote(v.name));
  const braces = parts.length > 0 || name === '' ? `{${parts.join(', ')}}` : '';
  return name + braces;
}

export function printExpr(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return num(e.value);
    case 'StringLiteral':
      return quote(e.value);
    case 'ParenExpr':
      return `(${printExpr(e.expr)})`;
    case 'UnaryExpr':
      return `${e.op}${printExpr(e.expr)}`;
    case 'VectorSelector':
      return selector(e) + offsetAndAt(e.offset, e.at) + (e.smoothed ? ' smoothed' : e.anchored ? ' anchored' : '');
    case 'MatrixSelector':
      return `${selector(e.vector)}[${duration(e.range)}]${offsetAndAt(e.vector.offset, e.vector.at)}${e.smoothed ? ' smoothed' : e.anchored ? ' anchored' : ''}`;
    case 'SubqueryExpr':
      return `${printExpr(e.expr)}[${duration(e.range)}:${e.step ? duration(e.step) : ''}]${offsetAndAt(e.offset, e.at)}`;
    case 'Call':
      return `${e.name}(${e.args.map(printExpr).join(', ')})`;
    case 'AggregateExpr': {
      const grouping = e.hasGrouping ? ` ${e.without ? 'without' : 'by'} (${e.grouping.map(labelName).join(', ')}) ` : '';
      const args = e.param ? `${printExpr(e.param)}, ${printExpr(e.expr)}` : printExpr(e.expr);
      return `${e.op}${grouping}(${args})`;
    }
    case 'BinaryExpr': {
      let mods = '';
      if (e.returnBool) mods += ' bool';
      const m = e.matching;
      if (m && (m.explicit || m.card === 'many-to-one' || m.card === 'one-to-many')) {
        if (m.explicit) mods += ` ${m.on ? 'on' : 'ignoring'} (${m.labels.map(labelName).join(', ')})`;
        if (m.card === 'many-to-one' || m.card === 'one-to-many') mods += ` ${m.card === 'many-to-one' ? 'group_left' : 'group_right'} (${m.include.map(labelName).join(', ')})`;
      }
      if (e.fillLeft !== undefined && e.fillLeft === e.fillRight) mods += ` fill(${num(e.fillLeft)})`;
      else {
        if (e.fillLeft !== undefined) mods += ` fill_left(${num(e.fillLeft)})`;
        if (e.fillRight !== undefined) mods += ` fill_right(${num(e.fillRight)})`;
      }
      return `${printExpr(e.lhs)} ${e.op}${mods} ${printExpr(e.rhs)}`;
    }
  }
}
