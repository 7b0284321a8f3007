// Notification templates: the data receivers render (with Alertmanager's methods such as
// .Alerts.Firing and .CommonLabels.SortedPairs), Alertmanager's template functions, and Alertmanager's
// own default templates, loaded as data.
import { readFileSync } from 'node:fs';
import { Template, goString } from '../template/template.js';
import type { TemplateFunc } from '../template/template.js';
import { humanizeDuration } from '../template/prometheus.js';
import { compile } from '../regex/re2.js';
import type { Labels } from '../model/labels.js';
import type { TemplateData } from './notify.js';

interface Pair {
  Name: string;
  Value: string;
}

function hidden<T extends object>(o: T, methods: Record<string, (this: T, ...a: never[]) => unknown>): T {
  for (const [k, f] of Object.entries(methods)) Object.defineProperty(o, k, { value: f, enumerable: false });
  return o;
}

function pairs(list: Pair[]): Pair[] {
  return hidden(list, {
    Names(this: Pair[]) {
      return this.map((p) => p.Name);
    },
    Values(this: Pair[]) {
      return this.map((p) => p.Value);
    },
  });
}

/** A label set with Alertmanager's KV methods (SortedPairs, Names, Values, Remove). */
export function kv(labels: Labels): Labels {
  const o: Labels = { ...labels };
  return hidden(o, {
    SortedPairs(this: Labels) {
      return pairs(Object.keys(this).sort().map((k) => ({ Name: k, Value: this[k]! })));
    },
    Names(this: Labels) {
      return Object.keys(this).sort();
    },
    Values(this: Labels) {
      return Object.keys(this).sort().map((k) => this[k]!);
    },
    Remove(this: Labels, ...names: never[]) {
      const drop = new Set((names as unknown as (string | string[])[]).flat());
      const rest: Labels = {};
      for (const [k, v] of Object.entries(this)) if (!drop.has(k)) rest[k] = v;
      return kv(rest);
    },
  });
}

/** The data a receiver template sees, with Go's methods attached. */
export function templateContext(d: TemplateData): Record<string, unknown> {
  const alerts = d.Alerts.map((a) => ({ ...a, Labels: kv(a.Labels), Annotations: kv(a.Annotations) }));
  const withMethods = <T extends { Status: string }[]>(list: T): T =>
    hidden(list, {
      Firing(this: T) {
        return withMethods(this.filter((a) => a.Status === 'firing') as T);
      },
      Resolved(this: T) {
        return withMethods(this.filter((a) => a.Status === 'resolved') as T);
      },
    });
  return { ...d, Alerts: withMethods(alerts), GroupLabels: kv(d.GroupLabels), CommonLabels: kv(d.CommonLabels), CommonAnnotations: kv(d.CommonAnnotations) };
}

/** Alertmanager's template functions. */
export const ALERTMANAGER_FUNCS: Record<string, TemplateFunc> = {
  toUpper: (s) => String(s).toUpperCase(),
  toLower: (s) => String(s).toLowerCase(),
  title: (s) => String(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  trimSpace: (s) => String(s).trim(),
  join: (sep, list) => (Array.isArray(list) ? list.map(goString).join(String(sep)) : goString(list)),
  match: (re, s) => compile(String(re)).test(String(s)),
  safeHtml: (s) => String(s),
  safeUrl: (s) => String(s),
  urlUnescape: (s) => decodeURIComponent(String(s)),
  reReplaceAll: (re, repl, text) => String(text).replace(new RegExp(compile(String(re)).source, 'g'), String(repl).replace(/\$(\d+)/g, '$$$1')),
  stringSlice: (...a) => a.map(String),
  date: (layout, t) => (t instanceof Date ? t.toISOString() : String(t)) + (layout ? '' : ''),
  tz: (_name, t) => t,
  since: (t) => (Date.now() - (t instanceof Date ? t.getTime() : Number(t))) / 1000,
  humanizeDuration,
};

/**
 * Alertmanager's own built-in templates (`templates/default.tmpl`, `templates/email.tmpl`, kept as
 * data), so configurations that refer to them (`{{ template "email.default.subject" . }}`) work and
 * the default subject and body are Alertmanager's: `[FIRING:2] InstanceDown node (host:9100 page)`.
 */
export const DEFAULT_TEMPLATES = ['default.tmpl', 'email.tmpl'].map((f) => readFileSync(new URL(`./templates/${f}`, import.meta.url), 'utf8')).join('\n');

/** A renderer over the default templates plus the configuration's template files. */
export function makeRenderer(templateFiles: string[]): (text: string, data: TemplateData) => string {
  const library = new Template('default.tmpl', DEFAULT_TEMPLATES + templateFiles.map((f) => readFileSync(f, 'utf8')).join('\n'), ALERTMANAGER_FUNCS);
  const cache = new Map<string, Template>();
  return (text, data) => {
    let t = cache.get(text);
    if (!t) {
      t = new Template('notification', text, ALERTMANAGER_FUNCS, library.defines);
      if (cache.size > 200) cache.clear();
      cache.set(text, t);
    }
    return t.execute(templateContext(data));
  };
}
