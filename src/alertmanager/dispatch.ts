// The dispatcher: every alert is routed down the tree and put into an aggregation group (route +
// group_by labels). A new group waits group_wait before its first notification (at once if its alert
// is already older than that), then flushes every group_interval; each flush hands the group's
// alerts to the notification pipeline, which decides (dedup, repeat_interval) what to send. Resolved
// alerts leave the group once a flush that included them succeeded.
import { fingerprint, isResolved, type Alert } from './alert.js';
import { groupLabels, labelSetString, matchRoutes, type RouteNode } from './route.js';
import type { Labels } from '../model/labels.js';

export interface GroupFlush {
  groupKey: string;
  route: RouteNode;
  groupLabels: Labels;
  /** Alerts with their fingerprints, firing and resolved as of `now`. */
  alerts: { fingerprint: string; alert: Alert }[];
  now: number;
}

/** Sends a group's notification; resolves true when every integration succeeded. */
export type NotifyFn = (flush: GroupFlush) => Promise<boolean>;

export interface AggregationGroupView {
  groupKey: string;
  route: RouteNode;
  labels: Labels;
  fingerprints: string[];
}

class AggregationGroup {
  readonly alerts = new Map<string, Alert>();
  private timer: NodeJS.Timeout | undefined;
  private flushed = false;
  private flushing = false;
  private stopped = false;

  constructor(
    readonly key: string,
    readonly route: RouteNode,
    readonly labels: Labels,
    private readonly notify: NotifyFn,
    private readonly now: () => number,
    private readonly onEmpty: (key: string) => void,
  ) {
    this.schedule(route.groupWaitMs);
  }

  insert(fp: string, alert: Alert): void {
    this.alerts.set(fp, alert);
    // An alert older than group_wait needs no waiting: notify right away.
    if (!this.flushed && alert.startsAt + this.route.groupWaitMs < this.now()) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), ms);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.stopped) return;
    this.flushing = true;
    try {
      const now = this.now();
      const snapshot = [...this.alerts.entries()].map(([fp, a]) => ({ fingerprint: fp, alert: a }));
      if (snapshot.length > 0) {
        // A failure inside the pipeline must not take the process down: the group retries at
        // the next group_interval, as after a failed notification.
        const ok = await this.notify({ groupKey: this.key, route: this.route, groupLabels: this.labels, alerts: snapshot, now }).catch(() => false);
        this.flushed = true;
        if (ok) {
          // Resolved alerts that did not change during the notification are done.
          for (const { fingerprint: fp, alert } of snapshot) {
            const cur = this.alerts.get(fp);
            if (cur === alert && isResolved(alert, now)) this.alerts.delete(fp);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
    if (this.alerts.size === 0) {
      this.stop();
      this.onEmpty(this.key);
      return;
    }
    this.schedule(this.route.groupIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

export class Dispatcher {
  private readonly groups = new Map<string, AggregationGroup>();

  constructor(
    private route: RouteNode,
    private readonly notify: NotifyFn,
    private readonly now: () => number = Date.now,
  ) {}

  /** Routes an alert (new or updated) into its groups. */
  ingest(alert: Alert): void {
    const fp = fingerprint(alert.labels);
    for (const node of matchRoutes(this.route, alert.labels)) {
      const gl = groupLabels(node, alert.labels);
      const key = `${node.key}:${labelSetString(gl)}`;
      let g = this.groups.get(key);
      if (g === undefined) {
        g = new AggregationGroup(key, node, gl, this.notify, this.now, (k) => this.groups.delete(k));
        this.groups.set(key, g);
      }
      g.insert(fp, alert);
    }
  }

  /** Replaces the routing tree (config reload): groups start over, alerts are re-routed. */
  reset(route: RouteNode, alerts: Iterable<Alert>): void {
    this.stop();
    this.route = route;
    for (const a of alerts) this.ingest(a);
  }

  views(): AggregationGroupView[] {
    return [...this.groups.values()].map((g) => ({ groupKey: g.key, route: g.route, labels: g.labels, fingerprints: [...g.alerts.keys()] }));
  }

  /** The receivers an alert is routed to (for the API's `receivers` field). */
  receiversFor(labels: Labels): string[] {
    return [...new Set(matchRoutes(this.route, labels).map((r) => r.receiver))];
  }

  stop(): void {
    for (const g of this.groups.values()) g.stop();
    this.groups.clear();
  }
}
