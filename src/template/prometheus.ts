// Prometheus's template functions (humanize*, query, label, ...) and the alert template expander
// that rules use for labels and annotations ($labels, $value, $externalLabels, $externalURL).
import { compile } from '../regex/re2.js';
import { expandTemplate } from '../regex/expand.js';
import { parsePromDuration } from '../model/duration.js';
import { Template, TemplateError } from './template.js';
import { queryEscape } from './builtins.js';
import { anyMap, field, goStruct, indexValue, kindOf, stringArg, stringMap, typeName } from './values.js';
import type { TemplateFunc } from './values.js';

/** Go's %.{prec}g: `prec` significant digits, trailing zeros dropped, exponent form when needed. */
export function goG(v: number, prec = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(v.toPrecision(prec)))));
  if (exp < -4 || exp >= prec) {
    const [m, e] = v.toExponential(prec - 1).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/\.?0+$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = v.toFixed(Math.max(0, prec - 1 - exp));
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    if (Number.isNaN(n) && !/^[+-]?nan$/i.test(v)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return n;
  }
  throw new Error(`can't convert ${typeof v} to float`);
}

export function humanize(x: unknown): string {
  let v = toNumber(x);
  if (v === 0 || !Number.isFinite(v)) return goG(v);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return goG(v) + prefix;
  }
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return goG(v) + prefix;
}

export function humanize1024(x: unknown): string {
  let v = toNumber(x);
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return goG(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return goG(v) + prefix;
}

export function humanizeDuration(x: unknown): string {
  let v = toNumber(x);
  if (!Number.isFinite(v)) return goG(v);
  if (v === 0) return `${goG(v)}s`;
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const d = Math.trunc(v);
    const seconds = d % 60;
    const minutes = Math.trunc(d / 60) % 60;
    const hours = Math.trunc(d / 3600) % 24;
    const days = Math.trunc(d / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${goG(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${goG(v)}${prefix}s`;
}

/** Go's time.Time.String() for UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
function goTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  const iso = d.toISOString();
  let frac = iso.slice(20, 23).replace(/0+$/, '');
  if (frac) frac = '.' + frac;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac} +0000 UTC`;
}

export interface QueryResultSample {
  Labels: Record<string, string>;
  Value: number;
}

export interface TemplateContext {
  /** For the `query` function; absent where queries are not allowed. */
  query?: (q: string) => QueryResultSample[];
  externalURL: string;
}

/** A query result sample as templates see it: Go's `sample{Labels map[string]string; Value float64}`. */
function sample(s: QueryResultSample): Record<string, unknown> {
  return goStruct({ Labels: stringMap(s.Labels), Value: s.Value });
}

function sampleField(s: unknown, name: 'Labels' | 'Value', fn: string): unknown {
  if (kindOf(s) !== 'struct') throw new TemplateError(`error calling ${fn}: wrong type for value; expected template.sample; got ${typeName(s)}`);
  const f = field(s, name);
  return 'value' in f ? f.value : undefined;
}

function labelOf(s: unknown, name: unknown, fn: string): string {
  const v = indexValue(sampleField(s, 'Labels', fn), stringArg(name));
  return typeof v === 'string' ? v : '';
}

/** Prometheus 2.42's template functions (template/template.go), no more, no fewer. */
export function prometheusFuncs(ctx: TemplateContext): Map<string, TemplateFunc> {
  return new Map<string, TemplateFunc>([
    [
      'query',
      (q) => {
        if (!ctx.query) throw new Error('query is not allowed here');
        return ctx.query(stringArg(q)).map(sample);
      },
    ],
    [
      'first',
      (v) => {
        if (kindOf(v) === 'slice' && (v as unknown[]).length > 0) return (v as unknown[])[0];
        throw new Error('first() called on vector with no elements');
      },
    ],
    ['label', (name, s) => labelOf(s, name, 'label')],
    ['value', (s) => sampleField(s, 'Value', 'value')],
    ['strvalue', (s) => labelOf(s, '__value__', 'strvalue')],
    ['args', (...a) => anyMap(a.map((x, i) => [`arg${i}`, x]))],
    [
      'reReplaceAll',
      (re, repl, text) => {
        const r = compile(stringArg(re), {});
        const g = new RegExp(r.source, r.flags.includes('g') ? r.flags : r.flags + 'g');
        return stringArg(text).replace(g, (...m) => expandTemplate(stringArg(repl), Object.assign([...m.slice(0, -2)] as unknown as RegExpExecArray, { groups: typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as Record<string, string>) : undefined })));
      },
    ],
    ['safeHtml', (s) => stringArg(s)],
    ['match', (re, s) => compile(stringArg(re)).test(stringArg(s))],
    ['title', (s) => stringArg(s).replace(/\b\w/g, (c) => c.toUpperCase())],
    ['toUpper', (s) => stringArg(s).toUpperCase()],
    ['toLower', (s) => stringArg(s).toLowerCase()],
    ['graphLink', (expr) => `/graph?g0.expr=${queryEscape(stringArg(expr))}&g0.tab=0`],
    ['tableLink', (expr) => `/graph?g0.expr=${queryEscape(stringArg(expr))}&g0.tab=1`],
    [
      'sortByLabel',
      (name, v) => {
        if (kindOf(v) !== 'slice') throw new Error(`sortByLabel: expected a list of samples, got ${typeName(v)}`);
        const key = (s: unknown): string => labelOf(s, name, 'sortByLabel');
        return [...(v as unknown[])].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      },
    ],
    ['humanize', humanize],
    ['humanize1024', humanize1024],
    ['humanizeDuration', humanizeDuration],
    ['humanizePercentage', (x) => `${goG(toNumber(x) * 100)}%`],
    [
      'humanizeTimestamp',
      (x) => {
        const v = toNumber(x);
        return Number.isFinite(v) ? goTime(v) : goG(v);
      },
    ],
    ['toTime', (x) => new Date(toNumber(x) * 1000)],
    ['pathPrefix', () => new URL(ctx.externalURL || 'http://localhost/').pathname.replace(/\/$/, '')],
    ['externalURL', () => ctx.externalURL],
    ['parseDuration', (s) => parsePromDuration(stringArg(s)) / 1000],
    [
      'stripPort',
      (s) => {
        const t = stringArg(s);
        const m = /^\[(.*)\]:\d+$/.exec(t) ?? /^([^:]*):\d+$/.exec(t);
        return m ? m[1]! : t;
      },
    ],
    [
      'stripDomain',
      (s) => {
        const t = stringArg(s);
        const m = /^([^.:]+)[^:]*(:\d+)?$/.exec(t);
        return m && !/^\d+\.\d+\.\d+\.\d+/.test(t) ? m[1]! + (m[2] ?? '') : t;
      },
    ],
  ]);
}

export interface AlertTemplateData {
  labels: Record<string, string>;
  externalLabels: Record<string, string>;
  externalURL: string;
  value: number;
}

const PREAMBLE = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

/** Checks that a label or annotation template parses (rule file validation). */
export function checkAlertTemplate(name: string, text: string): void {
  try {
    new Template(name, PREAMBLE + text, prometheusFuncs({ externalURL: '' }));
  } catch (e) {
    // The rule file checker puts `template: <name>:` in front itself (promtool's wording), so
    // only what follows it here: `1: function "x" not defined`.
    if (e instanceof TemplateError && e.message.startsWith(`template: ${name}:`)) throw new TemplateError(e.message.slice(`template: ${name}:`.length));
    throw e;
  }
}

/**
 * Expands a rule's label or annotation template. Errors do not throw: like Prometheus, the
 * result is `<error expanding template: ...>` so a broken template shows in the alert.
 */
export function expandAlertTemplate(name: string, text: string, data: AlertTemplateData, ctx: TemplateContext): string {
  try {
    const t = new Template(name, PREAMBLE + text, prometheusFuncs(ctx));
    // Prometheus's template data struct; label maps are null-prototype maps, so a label named
    // `__proto__` or `constructor` is just a label.
    return t.execute(goStruct({ Labels: stringMap(data.labels), ExternalLabels: stringMap(data.externalLabels), ExternalURL: data.externalURL, Value: data.value }));
  } catch (e) {
    if (e instanceof TemplateError) return `<error expanding template: ${e.message}>`;
    return `<error expanding template: ${(e as Error).message}>`;
  }
}
