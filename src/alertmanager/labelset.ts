// Label sets whose names come from users (alerts posted to the API, matchers, config keys): always
// null-prototype objects, read through own-property checks, so that `__proto__`, `constructor` or
// `toString` are ordinary label names (both upstreams keep them) and never reach Object.prototype.
import type { Labels } from '../model/labels.js';

/** A new empty label set with no prototype. */
export function emptyLabels(): Labels {
  return Object.create(null) as Labels;
}

/** A null-prototype copy of name/value pairs; `keep` filters them (e.g. dropping empty values). */
export function labelSetOf(pairs: Iterable<[string, string]>, keep: (name: string, value: string) => boolean = () => true): Labels {
  const out = emptyLabels();
  for (const [k, v] of pairs) if (keep(k, v)) out[k] = v;
  return out;
}

/** A label's value, '' when the set does not have it (never an inherited property). */
export function labelValue(labels: Labels, name: string): string {
  return Object.hasOwn(labels, name) ? labels[name]! : '';
}

export function hasLabel(labels: Labels, name: string): boolean {
  return Object.hasOwn(labels, name);
}
