// Label sets as the TypeScript side passes them around: objects keyed by label name, which is also
// how the HTTP API prints them (`"metric": {"__name__": "up", ...}`). Empty values mean "no label"
// as in Prometheus and are never stored.
//
// Label names come from scraped targets, so a set must not be a plain `{}`: there `__proto__` is
// the prototype accessor (assigning it drops the label) and `constructor` or `hasOwnProperty` read
// Object.prototype's members when the label is absent. Sets built from user input are made with
// `newLabels()` / `copyLabels()`: objects without a prototype, where every name is just a key.

export type Labels = Record<string, string>;

/** An empty label set without a prototype: any label name is an ordinary key. */
export function newLabels(): Labels {
  return Object.create(null) as Labels;
}

/** A copy of `labels` without a prototype (own enumerable keys only, `__proto__` included). */
export function copyLabels(labels: Labels): Labels {
  const out = newLabels();
  for (const k of Object.keys(labels)) out[k] = labels[k]!;
  return out;
}

/**
 * Sets label `name` on a set that may be a plain object (sets handed to callers that compare or
 * spread them): there assigning `__proto__` would set the prototype and lose the label, so that
 * one name is defined as an own property instead.
 */
export function setLabel(labels: Labels, name: string, value: string): void {
  if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  else labels[name] = value;
}

/** The value of label `name`, if the set has it as its own key. */
export function labelValue(labels: Labels, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(labels, name) ? labels[name] : undefined;
}

export const METRIC_NAME = '__name__';

/** Pairs sorted by name (Prometheus's canonical order), empty values dropped. */
export function sortedPairs(labels: Labels): [string, string][] {
  return Object.entries(labels)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `{a="1", b="2"}` with the metric name in front when there is one, as Prometheus prints series. */
export function formatLabels(labels: Labels): string {
  const name = labelValue(labels, METRIC_NAME);
  const rest = sortedPairs(labels)
    .filter(([k]) => k !== METRIC_NAME)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return `${name ?? ''}{${rest}}`;
}

/**
 * A string that is equal for equal label sets (for maps keyed by series): `name\xffvalue` pairs in
 * name order joined by `\xfe`, empty values left out. Made for every series of a result, so it
 * builds no pair arrays, and sorts the names only when they are not in order already (sets
 * decoded from the storage, and most derived from them, are).
 */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels);
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! > names[i]!) {
      names.sort();
      break;
    }
  }
  let key = '';
  let first = true;
  for (const name of names) {
    const value = labels[name]!;
    if (value === '') continue;
    key += first ? `${name}\xff${value}` : `\xfe${name}\xff${value}`;
    first = false;
  }
  return key;
}

/** A label name of the legacy scheme (Prometheus 2, the Alertmanager, Prometheus 3's `legacy` validation). */
export const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A metric name of the legacy scheme. */
export const LEGACY_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * A label name Prometheus 3 accepts (UTF-8 names): non-empty and well-formed UTF-16, i.e. no lone
 * surrogates, which could not be stored or printed as UTF-8. The legacy scheme's
 * `[a-zA-Z_][a-zA-Z0-9_]*` is checked where that scheme applies.
 */
export function isValidLabelName(n: string): boolean {
  if (n.length === 0) return false;
  try {
    encodeURIComponent(n);
    return true;
  } catch {
    return false;
  }
}
