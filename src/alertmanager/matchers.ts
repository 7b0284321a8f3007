// Alertmanager's matcher syntax: `name="value"`, `name=~"regex"`, `name!="value"`, `name!~"re"`,
// with or without quotes, alone or as a `{a="b", c=~"d"}` list (routes, inhibit rules, silences,
// amtool). Regexes are fully anchored.
import { compileAnchored, Re2SyntaxError } from '../regex/re2.js';
import type { Labels } from '../model/labels.js';
import { labelValue } from './labelset.js';
import type { SilenceMatcher } from './silences.js';

export class MatcherError extends Error {}

const OPS = ['=~', '!~', '!=', '='] as const;

function unquote(s: string, src: string): string {
  const t = s.trim();
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new MatcherError(`${src}: unterminated quoted value`);
    try {
      return JSON.parse(t) as string;
    } catch {
      throw new MatcherError(`${src}: invalid escape in quoted value`);
    }
  }
  return t;
}

/** One matcher. */
export function parseMatcher(input: string): SilenceMatcher {
  const s = input.trim();
  let at = -1;
  let op = '';
  // The first operator outside quotes.
  for (let i = 0; i < s.length && at < 0; i++) {
    if (s[i] === '"') break;
    for (const o of OPS) {
      if (s.startsWith(o, i)) {
        at = i;
        op = o;
        break;
      }
    }
  }
  if (at <= 0) throw new MatcherError(`bad matcher format: ${input}`);
  const name = unquote(s.slice(0, at), input);
  // Alertmanager 0.25 takes label names of Prometheus's syntax only (`a-b="x"` is refused).
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new MatcherError(`bad matcher format: ${input}`);
  const value = unquote(s.slice(at + op.length), input);
  const isRegex = op === '=~' || op === '!~';
  if (isRegex) {
    try {
      compileAnchored(value, { dotAll: true });
    } catch (e) {
      if (e instanceof Re2SyntaxError) throw new MatcherError(`invalid regular expression in matcher ${input}: ${e.message}`);
      throw e;
    }
  }
  return { name, value, isRegex, isEqual: op === '=' || op === '=~' };
}

/** `{a="b", c=~"d"}` or `a="b", c=~"d"`: a list split on commas outside quotes. */
export function parseMatchers(input: string): SilenceMatcher[] {
  let s = input.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw new MatcherError(`missing closing "}" in ${input}`);
    s = s.slice(1, -1);
  }
  const out: SilenceMatcher[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && quoted) {
      cur += c + (s[++i] ?? '');
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      if (cur.trim() !== '') out.push(parseMatcher(cur));
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim() !== '') out.push(parseMatcher(cur));
  return out;
}

/** A predicate over label sets; a missing label matches as the empty value. */
export function matcherPredicate(ms: SilenceMatcher[]): (l: Labels) => boolean {
  const tests = ms.map((m) => {
    const re = m.isRegex ? compileAnchored(m.value, { dotAll: true }) : undefined;
    return (l: Labels): boolean => {
      const v = labelValue(l, m.name);
      const hit = re ? re.test(v) : v === m.value;
      return m.isEqual ? hit : !hit;
    };
  });
  return (l) => tests.every((t) => t(l));
}

export function formatMatcher(m: SilenceMatcher): string {
  return `${m.name}${m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!='}${JSON.stringify(m.value)}`;
}
