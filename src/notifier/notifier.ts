// The notifier: alerts from the rule manager go into one bounded queue and are sent in batches to
// every configured Alertmanager with `POST /api/v2/alerts` (Prometheus's behaviour: external
// labels added, alert_relabel_configs applied, the oldest alerts dropped when the queue is full,
// and every drop, send and error counted).
import client from 'prom-client';
import type { Dispatcher } from 'undici';
import { undici } from '../util/undici.js';
import type { Labels } from '../model/labels.js';
import type { Logger } from '../util/logger.js';

export interface NotifierAlert {
  labels: Labels;
  annotations: Labels;
  /** ms since epoch. */
  startsAt: number;
  /** ms since epoch; 0 when unset. */
  endsAt: number;
  generatorURL: string;
}

export interface AlertmanagerTarget {
  /** Where alerts are posted, e.g. `http://localhost:9093/api/v2/alerts`. */
  alertsUrl: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  /** This Alertmanager's own alert_relabel_configs (after the global ones): null drops the alert. */
  relabel?: (labels: Labels) => Labels | null;
  /** Connections with its proxy_url and tls_config (CA, client certificate, server name, verification). */
  dispatcher?: Dispatcher;
  /** oauth2: the Authorization header comes from this token source. */
  oauth2?: { authorization(): Promise<string> };
}

export interface NotifierOptions {
  queueCapacity: number;
  /** Prometheus sends at most this many alerts per request. */
  maxBatchSize?: number;
  externalLabels: Labels;
  /** alert_relabel_configs: null drops the alert. */
  relabel?: (labels: Labels) => Labels | null;
  logger: Logger;
  registry: client.Registry;
}

export interface NotifierMetrics {
  sent: client.Counter<'alertmanager'>;
  errors: client.Counter<'alertmanager'>;
  dropped: client.Counter;
  queueLength: client.Gauge;
  queueCapacity: client.Gauge;
  discovered: client.Gauge;
  latency: client.Summary<'alertmanager'>;
}

function createMetrics(registry: client.Registry): NotifierMetrics {
  return {
    sent: new client.Counter({ name: 'prometheus_notifications_sent_total', help: 'Total number of alerts sent.', labelNames: ['alertmanager'], registers: [registry] }),
    errors: new client.Counter({ name: 'prometheus_notifications_errors_total', help: 'Total number of sent alerts affected by errors.', labelNames: ['alertmanager'], registers: [registry] }),
    dropped: new client.Counter({ name: 'prometheus_notifications_dropped_total', help: 'Total number of alerts dropped due to errors when sending to Alertmanager.', registers: [registry] }),
    queueLength: new client.Gauge({ name: 'prometheus_notifications_queue_length', help: 'The number of alert notifications in the queue.', registers: [registry] }),
    queueCapacity: new client.Gauge({ name: 'prometheus_notifications_queue_capacity', help: 'The capacity of the alert notifications queue.', registers: [registry] }),
    discovered: new client.Gauge({ name: 'prometheus_notifications_alertmanagers_discovered', help: 'The number of alertmanagers discovered and active.', registers: [registry] }),
    latency: new client.Summary({
      name: 'prometheus_notifications_latency_seconds',
      help: 'Latency quantiles for sending alert notifications.',
      labelNames: ['alertmanager'],
      percentiles: [0.5, 0.9, 0.99],
      registers: [registry],
    }),
  };
}

/** Alertmanager's JSON for one alert (API v2 PostableAlert). */
export function postableAlert(a: NotifierAlert): Record<string, unknown> {
  const out: Record<string, unknown> = { labels: a.labels, annotations: a.annotations, startsAt: new Date(a.startsAt).toISOString(), generatorURL: a.generatorURL };
  if (a.endsAt > 0) out.endsAt = new Date(a.endsAt).toISOString();
  return out;
}

export class Notifier {
  private queue: NotifierAlert[] = [];
  private targets: AlertmanagerTarget[] = [];
  private sending: Promise<void> | undefined;
  private stopped = false;
  readonly metrics: NotifierMetrics;

  constructor(private o: NotifierOptions) {
    this.metrics = createMetrics(o.registry);
    this.metrics.queueCapacity.set(o.queueCapacity);
  }

  /** Applies a new configuration (reload): targets, external labels, relabeling. */
  configure(targets: AlertmanagerTarget[], externalLabels: Labels, relabel: ((l: Labels) => Labels | null) | undefined): void {
    this.targets = targets;
    this.o = { ...this.o, externalLabels, relabel };
    this.metrics.discovered.set(targets.length);
    for (const t of targets) {
      this.metrics.sent.inc({ alertmanager: apiUrl(t) }, 0);
      this.metrics.errors.inc({ alertmanager: apiUrl(t) }, 0);
    }
  }

  /** Queues alerts; when the queue would overflow, the oldest are dropped (and counted). */
  send(alerts: NotifierAlert[]): void {
    const prepared: NotifierAlert[] = [];
    for (const a of alerts) {
      let labels: Labels = { ...a.labels };
      for (const [k, v] of Object.entries(this.o.externalLabels)) if (labels[k] === undefined) labels[k] = v;
      if (this.o.relabel !== undefined) {
        const r = this.o.relabel(labels);
        if (r === null) continue;
        labels = r;
      }
      prepared.push({ ...a, labels });
    }
    let batch = prepared;
    if (batch.length > this.o.queueCapacity) {
      this.metrics.dropped.inc(batch.length - this.o.queueCapacity);
      batch = batch.slice(batch.length - this.o.queueCapacity);
    }
    const overflow = this.queue.length + batch.length - this.o.queueCapacity;
    if (overflow > 0) {
      this.queue = this.queue.slice(overflow);
      this.metrics.dropped.inc(overflow);
      this.o.logger.warn('Alert notification queue full, dropping alerts', { component: 'notifier', num_dropped: overflow });
    }
    this.queue.push(...batch);
    this.metrics.queueLength.set(this.queue.length);
    this.kick();
  }

  private kick(): void {
    if (this.sending !== undefined || this.stopped) return;
    this.sending = this.drain().finally(() => {
      this.sending = undefined;
      if (this.queue.length > 0 && !this.stopped) this.kick();
    });
  }

  private async drain(): Promise<void> {
    const max = this.o.maxBatchSize ?? 256;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, max);
      this.metrics.queueLength.set(this.queue.length);
      if (this.targets.length === 0) continue;
      const shared = JSON.stringify(batch.map(postableAlert));
      const results = await Promise.all(
        this.targets.map((t) => {
          if (t.relabel === undefined) return this.post(t, shared, batch.length);
          const own = relabelBatch(batch, t.relabel);
          return own.length === 0 ? Promise.resolve(true) : this.post(t, JSON.stringify(own.map(postableAlert)), own.length);
        }),
      );
      // Alerts count as dropped only when no Alertmanager took them.
      if (!results.some(Boolean)) this.metrics.dropped.inc(batch.length);
    }
  }

  private async post(t: AlertmanagerTarget, body: string, count: number): Promise<boolean> {
    const url = apiUrl(t);
    const start = Date.now();
    try {
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'Promethium', ...t.headers };
      if (t.oauth2 !== undefined) headers.Authorization = await t.oauth2.authorization();
      const init = { method: 'POST', headers, body, signal: AbortSignal.timeout(t.timeoutMs) };
      const res = t.dispatcher !== undefined ? await undici().fetch(url, { ...init, dispatcher: t.dispatcher }) : await fetch(url, init);
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) throw new Error(`bad response status ${res.status} ${res.statusText}`);
      this.metrics.sent.inc({ alertmanager: url }, count);
      return true;
    } catch (e) {
      this.metrics.errors.inc({ alertmanager: url }, count);
      this.metrics.sent.inc({ alertmanager: url }, count);
      const err = e as Error;
      this.o.logger.error('Error sending alert', { component: 'notifier', alertmanager: url, count, err: err.cause instanceof Error ? err.cause.message : err.message });
      return false;
    } finally {
      this.metrics.latency.observe({ alertmanager: url }, (Date.now() - start) / 1000);
    }
  }

  /** The Alertmanagers in use (`/api/v1/alertmanagers`). */
  activeAlertmanagers(): string[] {
    return this.targets.map(apiUrl);
  }

  /** Stops after trying to send what is queued. */
  async stop(): Promise<void> {
    await this.sending;
    this.stopped = true;
  }
}

function apiUrl(t: AlertmanagerTarget): string {
  return t.alertsUrl;
}

function relabelBatch(batch: NotifierAlert[], relabel: (labels: Labels) => Labels | null): NotifierAlert[] {
  const out: NotifierAlert[] = [];
  for (const a of batch) {
    const labels = relabel({ ...a.labels });
    if (labels !== null) out.push({ ...a, labels });
  }
  return out;
}
