// From discovered target groups to scrape targets, as Prometheus builds them: meta labels
// (`__address__`, `__scheme__`, `__metrics_path__`, `__param_*`, `__scrape_interval__`,
// `__scrape_timeout__`), then relabel_configs, then `instance` defaulting to the address, the URL
// from what is left, and every `__`-prefixed label removed. Kept pure so it is easy to test.
import type { Labels } from '../model/labels.js';
import { newLabels } from '../model/labels.js';
import { formatDuration, parseLooseDuration } from '../model/duration.js';
import type { TargetGroup } from '../discovery/target-group.js';

export interface TargetDefaults {
  jobName: string;
  scheme: string;
  metricsPath: string;
  params: Record<string, string[]>;
  intervalMs: number;
  timeoutMs: number;
}

export interface BuiltTarget {
  /** Labels after relabeling, without `__` labels: what every scraped series gets. */
  labels: Labels;
  /** Labels before relabeling (the service-discovery page and `discoveredLabels` in the API). */
  discoveredLabels: Labels;
  url: URL;
  intervalMs: number;
  timeoutMs: number;
}

export type TargetResult = { kind: 'target'; target: BuiltTarget } | { kind: 'dropped'; discoveredLabels: Labels } | { kind: 'error'; discoveredLabels: Labels; error: string };

export function buildTargets(groups: TargetGroup[], d: TargetDefaults, relabel: (l: Labels) => Labels | null): TargetResult[] {
  const out: TargetResult[] = [];
  for (const g of groups) {
    for (const address of g.targets) out.push(buildTarget(address, g.labels, d, relabel));
  }
  return out;
}

export function buildTarget(address: string, groupLabels: Labels, d: TargetDefaults, relabel: (l: Labels) => Labels | null): TargetResult {
  // The job's settings fill in what the discovered group did not set (Prometheus lets a target
  // group override e.g. `__metrics_path__` or `job`).
  const discovered: Labels = {
    job: d.jobName,
    __scheme__: d.scheme,
    __metrics_path__: d.metricsPath,
    __scrape_interval__: formatDuration(d.intervalMs),
    __scrape_timeout__: formatDuration(d.timeoutMs),
    ...dropEmpty(groupLabels),
    __address__: address,
  };
  for (const [k, vals] of Object.entries(d.params)) {
    if (vals.length > 0 && discovered[`__param_${k}`] === undefined) discovered[`__param_${k}`] = vals[0]!;
  }
  const relabeled = relabel({ ...discovered });
  if (relabeled === null) return { kind: 'dropped', discoveredLabels: discovered };
  const l = relabeled;
  const addr = l.__address__;
  if (addr === undefined || addr === '') return { kind: 'error', discoveredLabels: discovered, error: 'no address' };
  if (addr.includes('/')) return { kind: 'error', discoveredLabels: discovered, error: `${addr} is not a valid hostname` };
  const intervalMs = parseLooseDuration(l.__scrape_interval__ ?? '');
  const timeoutMs = parseLooseDuration(l.__scrape_timeout__ ?? '');
  if (intervalMs === undefined || intervalMs === 0) return { kind: 'error', discoveredLabels: discovered, error: `error parsing scrape interval: ${l.__scrape_interval__ ?? ''}` };
  if (timeoutMs === undefined || timeoutMs === 0) return { kind: 'error', discoveredLabels: discovered, error: `error parsing scrape timeout: ${l.__scrape_timeout__ ?? ''}` };
  if (timeoutMs > intervalMs) {
    return { kind: 'error', discoveredLabels: discovered, error: `scrape timeout cannot be greater than scrape interval (${l.__scrape_timeout__} > ${l.__scrape_interval__})` };
  }
  const scheme = l.__scheme__ ?? 'http';
  let url: URL;
  try {
    url = new URL(`${scheme}://${addr}${l.__metrics_path__ ?? '/metrics'}`);
  } catch {
    return { kind: 'error', discoveredLabels: discovered, error: `invalid URL for address ${addr}` };
  }
  // URL parameters: the configured ones, overridden by (relabeled) __param_* labels.
  const params = new URLSearchParams();
  for (const [k, vals] of Object.entries(d.params)) for (const v of vals) params.append(k, v);
  for (const [k, v] of Object.entries(l)) {
    if (k.startsWith('__param_')) params.set(k.slice('__param_'.length), v);
  }
  const query = params.toString();
  if (query !== '') url.search = query;

  const labels: Labels = {};
  for (const [k, v] of Object.entries(l)) {
    if (!k.startsWith('__') && v !== '') labels[k] = v;
  }
  if (labels.instance === undefined) labels.instance = addr;
  return { kind: 'target', target: { labels, discoveredLabels: discovered, url, intervalMs, timeoutMs } };
}

function dropEmpty(l: Labels): Labels {
  const out = newLabels(); // discovered names are user input: `__proto__` stays a key

  for (const [k, v] of Object.entries(l)) if (v !== '') out[k] = v;
  return out;
}
