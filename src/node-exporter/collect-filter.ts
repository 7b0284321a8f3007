// `?collect[]=cpu&collect[]=meminfo` on the metrics path: node_exporter 1.5 then runs only those
// collectors, and answers 400 when one is not there ("missing collector") or not enabled
// ("disabled collector"), naming the first such collector in request order.
import type { Collector } from './collectors/index.js';

export type CollectorSelection = { ok: true; collectors: readonly Collector[] } | { ok: false; error: string };

/** The collectors a request's `collect[]` parameters select among `enabled` (all of them when there are none). */
export function selectCollectors(requested: readonly string[], enabled: readonly Collector[], known: readonly Collector[]): CollectorSelection {
  if (requested.length === 0) return { ok: true, collectors: enabled };
  const wanted = new Set<string>();
  for (const name of requested) {
    if (!known.some((c) => c.name === name)) return { ok: false, error: `missing collector: ${name}` };
    if (!enabled.some((c) => c.name === name)) return { ok: false, error: `disabled collector: ${name}` };
    wanted.add(name);
  }
  return { ok: true, collectors: enabled.filter((c) => wanted.has(c.name)) };
}

/** The `collect[]` values of a request URL (decoded as Go's url.Query decodes them). */
export function requestedCollectors(url: string): string[] {
  const q = url.indexOf('?');
  return q === -1 ? [] : new URLSearchParams(url.slice(q + 1)).getAll('collect[]');
}
