// The routing tree: an alert walks down from the root; a node matches when its matchers do, the
// first matching child wins unless it says `continue`, and a node none of whose children match is
// itself the destination (Alertmanager's Route.Match).
import type { Labels } from '../model/labels.js';
import { labelSetOf, labelValue } from './labelset.js';

export interface RouteNode {
  /** Alertmanager's route key: the parent's key, `/`, and this node's matchers (`{}` at the root). */
  key: string;
  receiver: string;
  /** Labels to group by; `all` is `group_by: ['...']`. */
  groupBy: string[] | 'all';
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  matches: (labels: Labels) => boolean;
  continue: boolean;
  routes: RouteNode[];
  muteTimeIntervals: string[];
  activeTimeIntervals: string[];
}

/** The nodes an alert with these labels is routed to (possibly several, with `continue`). */
export function matchRoutes(node: RouteNode, labels: Labels): RouteNode[] {
  if (!node.matches(labels)) return [];
  const all: RouteNode[] = [];
  for (const child of node.routes) {
    const m = matchRoutes(child, labels);
    all.push(...m);
    if (m.length > 0 && !child.continue) break;
  }
  return all.length > 0 ? all : [node];
}

/** The labels that identify an alert's group under a route. */
export function groupLabels(node: RouteNode, labels: Labels): Labels {
  if (node.groupBy === 'all') return labelSetOf(Object.entries(labels));
  return labelSetOf(node.groupBy.map((name) => [name, labelValue(labels, name)]), (_k, v) => v !== '');
}

/** A label set as Alertmanager prints it in group keys: `{a="1", b="2"}`, sorted by name. */
export function labelSetString(labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(', ')}}`;
}

/** Every receiver name used in the tree (for /api/v2/receivers and validation). */
export function routeReceivers(node: RouteNode): Set<string> {
  const out = new Set<string>([node.receiver]);
  for (const c of node.routes) for (const r of routeReceivers(c)) out.add(r);
  return out;
}
