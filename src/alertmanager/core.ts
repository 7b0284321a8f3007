// The Alertmanager's state and behaviour behind the API: the alert store (deduplicated by
// fingerprint, resolved at endsAt or after resolve_timeout), silences, inhibition, the dispatcher and
// the notification pipeline. The HTTP layer and the CLI only call into this.
import { fingerprint, isResolved, putAlert, type Alert } from './alert.js';
import { Dispatcher } from './dispatch.js';
import { Inhibitor, type InhibitRule } from './inhibit.js';
import { NotificationLog } from './nflog.js';
import { createPipeline, type Integration, type NotifyMetrics } from './notify.js';
import type { RouteNode } from './route.js';
import { Silences } from './silences.js';
import type { Labels } from '../model/labels.js';
import { labelSetOf } from './labelset.js';
import type { Logger } from '../util/logger.js';
import { LEGACY_LABEL_NAME } from '../model/labels.js';

/** What a configuration gives the core (built from alertmanager.yml by the config layer). */
export interface CoreConfig {
  route: RouteNode;
  inhibitRules: InhibitRule[];
  receivers: Map<string, Integration[]>;
  resolveTimeoutMs: number;
  /** Whether a route's mute/active time intervals mute notifications now. */
  timeMuted: (mute: string[], active: string[], now: number) => boolean;
  /** The configuration's text (status page, `amtool config show`). */
  original: string;
}

export interface PostedAlert {
  labels: Labels;
  annotations?: Labels;
  startsAt?: number;
  endsAt?: number;
  generatorURL?: string;
}

export interface AlertStatus {
  state: 'active' | 'suppressed' | 'unprocessed';
  silencedBy: string[];
  inhibitedBy: string[];
}

export interface CoreOptions {
  storagePath: string | undefined;
  retentionMs: number;
  externalUrl: string;
  logger: Logger;
  metrics: NotifyMetrics & { received(status: 'firing' | 'resolved'): void; invalid(): void };
  now?: () => number;
  backoff?: (attempt: number) => number;
}

export class AlertmanagerCore {
  readonly alerts = new Map<string, Alert>();
  readonly silences: Silences;
  readonly nflog: NotificationLog;
  private readonly inhibitor: Inhibitor;
  private readonly dispatcher: Dispatcher;
  private config: CoreConfig;
  private readonly now: () => number;
  private gcTimer: NodeJS.Timeout;
  private compactTimer: NodeJS.Timeout;
  private readonly stopping = new AbortController();

  constructor(config: CoreConfig, private readonly o: CoreOptions) {
    this.config = config;
    this.now = o.now ?? Date.now;
    this.silences = new Silences(o.storagePath, o.retentionMs, o.logger);
    this.nflog = new NotificationLog(o.storagePath, o.retentionMs, o.logger);
    this.inhibitor = new Inhibitor(config.inhibitRules, () => this.alerts.values());
    const pipeline = createPipeline({
      stopped: this.stopping.signal,
      receivers: () => this.config.receivers,
      muted: (labels, now) => this.silences.mutedBy(labels, now).length > 0 || this.inhibitor.inhibitedBy(labels, now).length > 0,
      timeMuted: (m, a, now) => this.config.timeMuted(m, a, now),
      nflog: this.nflog,
      externalUrl: o.externalUrl,
      logger: o.logger,
      metrics: o.metrics,
      backoff: o.backoff,
    });
    this.dispatcher = new Dispatcher(config.route, pipeline, this.now);
    // Resolved alerts stay visible to inhibition and grouping for a while; then they go.
    this.gcTimer = setInterval(() => this.gc(), 30 * 60 * 1000);
    this.gcTimer.unref();
    // The state logs are folded into their snapshots every 15 minutes (Alertmanager's maintenance interval).
    this.compactTimer = setInterval(() => this.compactState(), 15 * 60 * 1000);
    this.compactTimer.unref();
  }

  get currentConfig(): CoreConfig {
    return this.config;
  }

  /** Applies a new configuration: routes and receivers change, alerts and silences stay. */
  applyConfig(config: CoreConfig): void {
    this.config = config;
    this.inhibitor.setRules(config.inhibitRules);
    this.dispatcher.reset(config.route, [...this.alerts.values()].filter((a) => !isResolved(a, this.now())));
  }

  /** Validates and stores posted alerts; throws with the reasons of invalid ones (others are kept). */
  receive(posted: PostedAlert[]): void {
    const now = this.now();
    const errors: string[] = [];
    for (const p of posted) {
      // Labels and annotations become null-prototype sets: their names are the sender's.
      const labels = labelSetOf(Object.entries(p.labels ?? {}), (_k, v) => typeof v === 'string' && v !== '');
      const problem = validateAlert(labels, p);
      if (problem !== undefined) {
        errors.push(problem);
        this.o.metrics.invalid();
        continue;
      }
      let endsAt = p.endsAt ?? 0;
      // An alert that only says when it ended started then, as far as we know.
      const startsAt = p.startsAt ?? (endsAt === 0 ? now : endsAt);
      let timeout = false;
      if (endsAt === 0) {
        endsAt = now + this.config.resolveTimeoutMs;
        timeout = true;
      }
      const alert: Alert = { labels, annotations: labelSetOf(Object.entries(p.annotations ?? {}), (_k, v) => typeof v === 'string'), startsAt, endsAt, generatorURL: p.generatorURL ?? '', updatedAt: now, timeout };
      const fp = fingerprint(labels);
      const stored = putAlert(this.alerts.get(fp), alert, now);
      this.alerts.set(fp, stored);
      this.o.metrics.received(isResolved(stored, now) ? 'resolved' : 'firing');
      this.dispatcher.ingest(stored);
    }
    if (errors.length > 0) throw new Error(errors.join('; '));
  }

  status(labels: Labels): AlertStatus {
    const now = this.now();
    const silencedBy = this.silences.mutedBy(labels, now);
    const inhibitedBy = this.inhibitor.inhibitedBy(labels, now);
    return { state: silencedBy.length > 0 || inhibitedBy.length > 0 ? 'suppressed' : 'active', silencedBy, inhibitedBy };
  }

  receiversFor(labels: Labels): string[] {
    return this.dispatcher.receiversFor(labels);
  }

  groups(): ReturnType<Dispatcher['views']> {
    return this.dispatcher.views();
  }

  /** Drops resolved alerts from the store, old silences and notification log entries. */
  gc(): void {
    const now = this.now();
    for (const [fp, a] of this.alerts) if (isResolved(a, now)) this.alerts.delete(fp);
    this.silences.gc(now);
    this.nflog.gc(now);
  }

  stop(): void {
    this.stopping.abort();
    clearInterval(this.gcTimer);
    clearInterval(this.compactTimer);
    this.dispatcher.stop();
    this.compactState(true);
  }

  /** Folds the state logs into their snapshots; a failure is logged (the logs stay and are replayed). */
  private compactState(close = false): void {
    try {
      if (close) this.silences.close();
      else this.silences.compact();
    } catch (e) {
      this.o.logger.error('Compacting the silences failed', { err: e as Error });
    }
    if (close) this.nflog.close();
    else this.nflog.compact();
  }
}

function validateAlert(labels: Labels, p: PostedAlert): string | undefined {
  if (Object.keys(labels).length === 0) return 'at least one label pair required';
  for (const k of Object.keys(labels)) if (!LEGACY_LABEL_NAME.test(k)) return `invalid label set: invalid name "${k}"`;
  if (p.startsAt !== undefined && p.endsAt !== undefined && p.endsAt !== 0 && p.endsAt < p.startsAt) return 'start time must be before end time';
  return undefined;
}
