// Label sets as the TypeScript side passes them around: plain objects, which is also how the HTTP
// API prints them (`"metric": {"__name__": "up", ...}`). Empty values mean "no label" as in
// Prometheus and are never stored.

export type Labels = Record<string, string>;

export const METRIC_NAME = '__name__';

/** Pairs sorted by name (Prometheus's canonical order), empty values dropped. */
export function sortedPairs(labels: Labels): [string, string][] {
  return Object.entries(labels)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `{a="1", b="2"}` with the metric name in front when there is one, as Prometheus prints series. */
export function formatLabels(labels: Labels): string {
  const name = labels[METRIC_NAME];
  const rest = sortedPairs(labels)
    .filter(([k]) => k !== METRIC_NAME)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
  return `${name ?? ''}{${rest}}`;
}

/** A string that is equal for equal label sets (for maps keyed by series). */
export function labelsKey(labels: Labels): string {
  return sortedPairs(labels)
    .map(([k, v]) => `${k}\xff${v}`)
    .join('\xfe');
}
