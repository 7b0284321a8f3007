// Go text/template's predefined functions and the part of fmt.Sprintf they need. They read values
// only through ./values.ts, so no builtin reaches a prototype, an accessor or an unregistered function.

import { TemplateError } from './errors.js';
import { goString, indexValue, isRegisteredFunc, kindOf, lengthOf, sliceOf, truth, typeName } from './values.js';
import type { TemplateFunc } from './values.js';

/** fmt refuses widths and precisions above this (`%!(BADWIDTH)`), and so do we: no huge paddings. */
const MAX_FMT_WIDTH = 1e6;

function fixed(n: number, p: number): string {
  return p <= 100 ? n.toFixed(p) : n.toFixed(100) + '0'.repeat(p - 100);
}

function exponent(n: number, p: number): string {
  return n.toExponential(Math.min(p, 100)).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** A subset of Go's fmt.Sprintf verbs: %s %v %d %f %e %g %q %x %X %t %T %% with width/precision/flags. */
export function sprintf(format: string, ...args: unknown[]): string {
  let ai = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdfegqxXtT%])/g, (_all, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (width !== undefined && Number(width) > MAX_FMT_WIDTH) return '%!(BADWIDTH)';
    if (prec !== undefined && Number(prec) > MAX_FMT_WIDTH) return '%!(BADPREC)';
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const a = args[ai++];
    // fmt prints a nil operand as <nil> under %v and as a bad-verb note otherwise.
    if (a === null || a === undefined) return verb === 'v' ? '<nil>' : verb === 'T' ? '<nil>' : `%!${verb}(<nil>)`;
    const isNum = typeof a === 'number';
    let s: string;
    const p = prec !== undefined ? Number(prec) : undefined;
    switch (verb) {
      case 'd':
        s = isNum ? String(Math.trunc(a)) : `%!d(${typeName(a)}=${goString(a)})`;
        break;
      case 'f':
        s = isNum ? (Number.isFinite(a) ? fixed(a, p ?? 6) : goString(a)) : `%!f(${typeName(a)}=${goString(a)})`;
        break;
      case 'e':
        s = isNum ? (Number.isFinite(a) ? exponent(a, p ?? 6) : goString(a)) : `%!e(${typeName(a)}=${goString(a)})`;
        break;
      case 'g':
        s = isNum ? (p !== undefined && Number.isFinite(a) ? Number(a.toPrecision(Math.min(Math.max(p, 1), 100))).toString() : goString(a)) : `%!g(${typeName(a)}=${goString(a)})`;
        break;
      case 'q':
        s = JSON.stringify(goString(a));
        break;
      case 'x':
      case 'X':
        s = isNum && Number.isFinite(a) ? Math.trunc(a).toString(16) : Buffer.from(goString(a)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 't':
        s = typeof a === 'boolean' ? String(a) : `%!t(${typeName(a)}=${goString(a)})`;
        break;
      case 'T':
        s = typeName(a);
        break;
      default:
        s = goString(a);
        if (p !== undefined) s = s.slice(0, p);
    }
    if (flags.includes('+') && isNum && a >= 0 && 'dfeg'.includes(verb)) s = '+' + s;
    const w = width !== undefined ? Number(width) : 0;
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') && isNum ? s.padStart(w, '0') : s.padStart(w);
    return s;
  });
}

type Basic = 'number' | 'string' | 'bool';

function basicKind(op: string, v: unknown): Basic {
  const k = kindOf(v);
  if (k === 'number' || k === 'string' || k === 'bool') return k;
  throw new TemplateError(`error calling ${op}: invalid type for comparison`);
}

function compare(op: 'lt' | 'le' | 'gt' | 'ge', a: unknown, b: unknown): boolean {
  const ka = basicKind(op, a);
  if (ka !== basicKind(op, b)) throw new TemplateError(`error calling ${op}: incompatible types for comparison`);
  if (ka === 'bool') throw new TemplateError(`error calling ${op}: invalid type for comparison`);
  const x = a as number | string;
  const y = b as number | string;
  return op === 'lt' ? x < y : op === 'le' ? x <= y : op === 'gt' ? x > y : x >= y;
}

function equal(op: string, a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a === b;
  if (basicKind(op, a) !== basicKind(op, b)) throw new TemplateError(`error calling ${op}: incompatible types for comparison`);
  return a === b;
}

const HTML_ESCAPES = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&#34;'],
  ["'", '&#39;'],
]);

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go's `print`: spaces between operands when neither side is a string. */
function print(...a: unknown[]): string {
  return a.map((x, i) => (i > 0 && typeof x !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + goString(x)).join('');
}

/** The predefined functions (`and` and `or` short-circuit, so the engine evaluates them itself). */
export const BUILTINS: ReadonlyMap<string, TemplateFunc> = new Map<string, TemplateFunc>([
  ['print', print],
  ['println', (...a) => a.map(goString).join(' ') + '\n'],
  ['printf', (f, ...a) => sprintf(goString(f), ...a)],
  ['len', (x) => lengthOf(x)],
  ['index', (x, ...keys) => keys.reduce((acc: unknown, k) => indexValue(acc, k), x)],
  ['slice', (x, ...idx) => sliceOf(x, ...idx)],
  ['not', (x) => !truth(x)],
  [
    'eq',
    (a, ...bs) => {
      if (bs.length === 0) throw new TemplateError('error calling eq: missing argument for comparison');
      return bs.some((b) => equal('eq', a, b));
    },
  ],
  ['ne', (a, b) => !equal('ne', a, b)],
  ['lt', (a, b) => compare('lt', a, b)],
  ['le', (a, b) => compare('le', a, b)],
  ['gt', (a, b) => compare('gt', a, b)],
  ['ge', (a, b) => compare('ge', a, b)],
  ['html', (...a) => print(...a).replace(/[&<>"']/g, (c) => HTML_ESCAPES.get(c)!)],
  ['js', (...a) => JSON.stringify(print(...a)).slice(1, -1).replace(/[<>&=']/g, (c) => (c === "'" ? "\\'" : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`))],
  ['urlquery', (...a) => queryEscape(print(...a))],
  [
    'call',
    (f, ...a) => {
      // Only functions the engine registered; data never carries JS functions a template may run.
      if (!isRegisteredFunc(f)) throw new TemplateError(`error calling call: non-function of type ${typeName(f)}`);
      return f(...a);
    },
  ],
]);
