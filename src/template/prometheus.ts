// Prometheus's template functions (humanize*, query, label, ...) and the alert template expander
// that rules use for labels and annotations ($labels, $value, $externalLabels, $externalURL).
import { compile } from '../regex/re2.js';
import { expandTemplate } from '../regex/expand.js';
import { parsePromDuration } from '../model/duration.js';
import { Template, TemplateError } from './template.js';
import type { TemplateFunc } from './template.js';

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

export function prometheusFuncs(ctx: TemplateContext): Record<string, TemplateFunc> {
  return {
    humanize,
    humanize1024,
    humanizeDuration,
    humanizePercentage: (x) => `${goG(toNumber(x) * 100)}%`,
    humanizeTimestamp: (x) => {
      const v = toNumber(x);
      return Number.isFinite(v) ? goTime(v) : goG(v);
    },
    toTime: (x) => new Date(toNumber(x) * 1000),
    toDuration: (x) => toNumber(x) * 1000,
    parseDuration: (s) => parsePromDuration(String(s)) / 1000,
    title: (s) => String(s).replace(/\b\w/g, (c) => c.toUpperCase()),
    toUpper: (s) => String(s).toUpperCase(),
    toLower: (s) => String(s).toLowerCase(),
    match: (re, s) => compile(String(re)).test(String(s)),
    reReplaceAll: (re, repl, text) => {
      const r = compile(String(re), {});
      const g = new RegExp(r.source, r.flags.includes('g') ? r.flags : r.flags + 'g');
      return String(text).replace(g, (...m) => expandTemplate(String(repl), Object.assign([...m.slice(0, -2)] as unknown as RegExpExecArray, { groups: typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as Record<string, string>) : undefined })));
    },
    safeHtml: (s) => String(s),
    stripPort: (s) => {
      const t = String(s);
      const m = /^\[(.*)\]:\d+$/.exec(t) ?? /^([^:]*):\d+$/.exec(t);
      return m ? m[1]! : t;
    },
    stripDomain: (s) => {
      const t = String(s);
      const m = /^([^.:]+)[^:]*(:\d+)?$/.exec(t);
      return m && !/^\d+\.\d+\.\d+\.\d+/.test(t) ? m[1]! + (m[2] ?? '') : t;
    },
    query: (q) => {
      if (!ctx.query) throw new Error('query is not allowed here');
      return ctx.query(String(q));
    },
    first: (v) => {
      if (Array.isArray(v) && v.length > 0) return v[0];
      throw new Error('first() called on vector with no elements');
    },
    label: (name, s) => ((s as QueryResultSample | undefined)?.Labels ?? {})[String(name)] ?? '',
    value: (s) => (s as QueryResultSample).Value,
    strvalue: (s) => ((s as QueryResultSample).Labels ?? {})['__value__'] ?? '',
    sortByLabel: (name, v) => [...(v as QueryResultSample[])].sort((a, b) => ((a.Labels[String(name)] ?? '') < (b.Labels[String(name)] ?? '') ? -1 : 1)),
    args: (...a) => Object.fromEntries(a.map((x, i) => [`arg${i}`, x])),
    pathPrefix: () => new URL(ctx.externalURL || 'http://localhost/').pathname.replace(/\/$/, ''),
    externalURL: () => ctx.externalURL,
    now: () => Date.now() / 1000,
  };
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
  new Template(name, PREAMBLE + text, prometheusFuncs({ externalURL: '' }));
}

/**
 * Expands a rule's label or annotation template. Errors do not throw: like Prometheus, the
 * result is `<error expanding template: ...>` so a broken template shows in the alert.
 */
export function expandAlertTemplate(name: string, text: string, data: AlertTemplateData, ctx: TemplateContext): string {
  try {
    const t = new Template(name, PREAMBLE + text, prometheusFuncs(ctx));
    return t.execute({ Labels: data.labels, ExternalLabels: data.externalLabels, ExternalURL: data.externalURL, Value: data.value });
  } catch (e) {
    if (e instanceof TemplateError) return `<error expanding template: ${e.message}>`;
    return `<error expanding template: ${(e as Error).message}>`;
  }
}
