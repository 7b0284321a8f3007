// Notification templates: the data receivers render (with Alertmanager's methods such as
// .Alerts.Firing and .CommonLabels.SortedPairs), Alertmanager's template functions, and Alertmanager's
// own default templates, loaded as data.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Template, TemplateError } from '../template/template.js';
import { goStruct, kindOf, stringArg, stringMap, typeName, withMethods, mapEntries } from '../template/values.js';
import type { TemplateFunc } from '../template/values.js';
import { compile } from '../regex/re2.js';
import { expandTemplate } from '../regex/expand.js';
import type { Labels } from '../model/labels.js';
import type { TemplateData } from './notify.js';

type KV = Record<string, string>;

function stringList(v: unknown, what: string): string[] {
  if (kindOf(v) !== 'slice' || !(v as unknown[]).every((x) => typeof x === 'string')) throw new TemplateError(`${what}: expected []string, got ${typeName(v)}`);
  return v as string[];
}

/** Alertmanager's Pairs ([]Pair with Names and Values). */
function pairs(list: [string, string][]): Record<string, string>[] {
  return withMethods(
    list.map(([Name, Value]) => goStruct({ Name, Value })),
    { Names: () => list.map(([k]) => k), Values: () => list.map(([, v]) => v) },
  );
}

function sortedEntries(kv: KV): [string, string][] {
  return mapEntries(kv) as [string, string][];
}

/** A label set with Alertmanager's KV methods (SortedPairs, Names, Values, Remove); keys are plain data. */
export function kv(labels: Labels | KV | Iterable<[string, string]>): KV {
  return withMethods(stringMap(labels), {
    SortedPairs: (m: KV) => pairs(sortedEntries(m)),
    Names: (m: KV) => sortedEntries(m).map(([k]) => k),
    Values: (m: KV) => sortedEntries(m).map(([, v]) => v),
    Remove: (m: KV, keys: unknown) => {
      const drop = new Set(stringList(keys, 'Remove'));
      return kv(sortedEntries(m).filter(([k]) => !drop.has(k)));
    },
  });
}

type Alerts = Record<string, unknown>[];

function alertList(list: Alerts): Alerts {
  return withMethods(list, {
    Firing: (l: Alerts) => alertList(l.filter((a) => a['Status'] === 'firing')),
    Resolved: (l: Alerts) => alertList(l.filter((a) => a['Status'] === 'resolved')),
  });
}

/** The data a receiver template sees: Alertmanager's template.Data, with its Go methods. */
export function templateContext(d: TemplateData): Record<string, unknown> {
  const alerts = d.Alerts.map((a) =>
    goStruct({ Status: a.Status, Labels: kv(a.Labels), Annotations: kv(a.Annotations), StartsAt: a.StartsAt, EndsAt: a.EndsAt, GeneratorURL: a.GeneratorURL, Fingerprint: a.Fingerprint }),
  );
  return goStruct({
    Receiver: d.Receiver,
    Status: d.Status,
    Alerts: alertList(alerts),
    GroupLabels: kv(d.GroupLabels),
    CommonLabels: kv(d.CommonLabels),
    CommonAnnotations: kv(d.CommonAnnotations),
    ExternalURL: d.ExternalURL,
  });
}

/** Go's strings.Title: the first letter of each word upper-cased. */
function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

/** Alertmanager 0.25's template functions (template/template.go DefaultFuncs), no more, no fewer. */
export const ALERTMANAGER_FUNCS: ReadonlyMap<string, TemplateFunc> = new Map<string, TemplateFunc>([
  ['toUpper', (s) => stringArg(s).toUpperCase()],
  ['toLower', (s) => stringArg(s).toLowerCase()],
  ['title', (s) => title(stringArg(s))],
  ['join', (sep, list) => stringList(list, 'join').join(stringArg(sep))],
  ['match', (re, s) => compile(stringArg(re)).test(stringArg(s))],
  ['safeHtml', (s) => stringArg(s)],
  [
    'reReplaceAll',
    (re, repl, text) => {
      const r = compile(stringArg(re), {});
      const g = new RegExp(r.source, r.flags.includes('g') ? r.flags : r.flags + 'g');
      const replacement = stringArg(repl);
      return stringArg(text).replace(g, (...m) => expandTemplate(replacement, Object.assign([...m.slice(0, -2)] as unknown as RegExpExecArray, { groups: typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as Record<string, string>) : undefined })));
    },
  ],
  ['stringSlice', (...a) => a.map((x) => stringArg(x))],
]);

/**
 * Alertmanager's own built-in templates (`templates/default.tmpl`, `templates/email.tmpl`, kept as
 * data), so configurations that refer to them (`{{ template "email.default.subject" . }}`) work and
 * the default subject and body are Alertmanager's: `[FIRING:2] InstanceDown node (host:9100 page)`.
 */
export const DEFAULT_TEMPLATES = ['default.tmpl', 'email.tmpl'].map((f) => readFileSync(new URL(`./templates/${f}`, import.meta.url), 'utf8')).join('\n');

/**
 * A renderer over the default templates plus the configuration's template files. Every file is
 * parsed here, under its own name, so a broken one fails the (re)load with Go's
 * `template: <file>:<line>: ...` error and the running configuration stays.
 */
export function makeRenderer(templateFiles: string[]): (text: string, data: TemplateData) => string {
  const defines = new Template('default.tmpl', DEFAULT_TEMPLATES, ALERTMANAGER_FUNCS).defines;
  for (const file of templateFiles) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new TemplateError(`template: ${basename(file)}: ${(e as Error).message}`);
    }
    for (const [name, body] of new Template(basename(file), text, ALERTMANAGER_FUNCS).defines) defines.set(name, body);
  }
  const cache = new Map<string, Template>();
  return (text, data) => {
    let t = cache.get(text);
    if (!t) {
      t = new Template('notification', text, ALERTMANAGER_FUNCS, defines);
      if (cache.size > 200) cache.clear();
      cache.set(text, t);
    }
    return t.execute(templateContext(data));
  };
}
