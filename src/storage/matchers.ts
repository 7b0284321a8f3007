// Label matchers as PromQL has them, and their resolution to what the native index understands:
// `=~`/`!~` become "value in set" / "value not in set" over the label's known values, so the
// Rust side needs no regex engine.
import { compileAnchored, literalAlternatives } from '../regex/re2.js';
import type { NativeMatcher } from './native.js';

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  type: MatchType;
  name: string;
  value: string;
}

export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}

/** Whether the matcher accepts the empty value (i.e. series without the label). */
export function matchesEmpty(m: LabelMatcher): boolean {
  return matcherFunction(m)('');
}

const regexCache = new Map<string, RegExp>();

function anchored(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    // Prometheus 3.x: `.` matches a newline too.
    re = compileAnchored(pattern, { dotAll: true });
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** A predicate over label values implementing the matcher. */
export function matcherFunction(m: LabelMatcher): (value: string) => boolean {
  switch (m.type) {
    case '=':
      return (v) => v === m.value;
    case '!=':
      return (v) => v !== m.value;
    case '=~': {
      const re = anchored(m.value);
      return (v) => re.test(v);
    }
    case '!~': {
      const re = anchored(m.value);
      return (v) => !re.test(v);
    }
  }
}

/**
 * Turns matchers into native ones. `valuesOf(name)` lists the values a label has in the
 * queried range; it is only called for regex matchers that are not plain alternations.
 */
export function resolveMatchers(matchers: readonly LabelMatcher[], valuesOf: (name: string) => string[]): NativeMatcher[] {
  return matchers.map((m): NativeMatcher => {
    if (m.type === '=' || m.type === '!=') return { type: m.type, name: m.name, value: m.value };
    const test = matcherFunction({ ...m, type: '=~' });
    const literals = literalAlternatives(m.value);
    let values: string[];
    if (literals) {
      values = literals;
    } else {
      values = valuesOf(m.name).filter((v) => test(v));
      // The empty value stands for "label absent"; keep it when the regex accepts it.
      if (test('')) values.push('');
    }
    return { type: m.type === '=~' ? 'in' : 'notin', name: m.name, values };
  });
}
