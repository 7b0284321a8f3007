// The notification pipeline for one flush of one aggregation group, per Alertmanager: mute
// (inhibited and silenced alerts out; time intervals) -> per integration of the receiver: dedup
// against the notification log -> send with retries and backoff until the next group_interval ->
// log what was sent.
import { isResolved, type Alert } from './alert.js';
import type { GroupFlush } from './dispatch.js';
import { needsUpdate, type NotificationLog } from './nflog.js';
import type { Labels } from '../model/labels.js';
import { emptyLabels, hasLabel, labelSetOf } from './labelset.js';
import type { Logger } from '../util/logger.js';

export interface TemplateAlert {
  Status: 'firing' | 'resolved';
  Labels: Labels;
  Annotations: Labels;
  StartsAt: Date;
  EndsAt: Date;
  GeneratorURL: string;
  Fingerprint: string;
}

/** Alertmanager's notification template data (`.Receiver`, `.Status`, `.Alerts`, ...). */
export interface TemplateData {
  Receiver: string;
  Status: 'firing' | 'resolved';
  Alerts: TemplateAlert[];
  GroupLabels: Labels;
  CommonLabels: Labels;
  CommonAnnotations: Labels;
  ExternalURL: string;
}

/** A notifier (one email_configs or webhook_configs entry). Throws NotifyError on failure. */
export interface Integration {
  /** `email`, `webhook`: the `integration` label of the metrics. */
  name: string;
  /** Position among the receiver's integrations (the notification log keys on it). */
  index: number;
  sendResolved: boolean;
  notify(data: TemplateData, groupKey: string): Promise<void>;
}

export class NotifyError extends Error {
  constructor(
    message: string,
    /** Whether trying again may help (network errors, 5xx), as opposed to e.g. a 4xx. */
    readonly retry: boolean,
  ) {
    super(message);
    this.name = 'NotifyError';
  }
}

export interface NotifyMetrics {
  sent(integration: string): void;
  failed(integration: string): void;
  latency(integration: string, seconds: number): void;
}

export interface PipelineDeps {
  receivers: () => Map<string, Integration[]>;
  /** Whether an alert with these labels is muted (silenced or inhibited). */
  muted: (labels: Labels, now: number) => boolean;
  /** Whether the route's time intervals mute notifications now. */
  timeMuted: (muteIntervals: string[], activeIntervals: string[], now: number) => boolean;
  nflog: NotificationLog;
  externalUrl: string;
  logger: Logger;
  metrics: NotifyMetrics;
  /** Tests shorten backoff; production uses Alertmanager-like delays. */
  backoff?: (attempt: number) => number;
  /** Aborted when the Alertmanager stops: pending retries end instead of holding the process. */
  stopped?: AbortSignal;
}

function commonOf(maps: Labels[]): Labels {
  if (maps.length === 0) return emptyLabels();
  const out = labelSetOf(Object.entries(maps[0]!));
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (!hasLabel(m, k) || m[k] !== out[k]) delete out[k];
  return out;
}

export function templateData(receiver: string, groupLabels: Labels, alerts: { fingerprint: string; alert: Alert }[], externalUrl: string, now: number): TemplateData {
  const tAlerts: TemplateAlert[] = alerts.map(({ fingerprint, alert }) => ({
    Status: isResolved(alert, now) ? 'resolved' : 'firing',
    Labels: alert.labels,
    Annotations: alert.annotations,
    StartsAt: new Date(alert.startsAt),
    EndsAt: new Date(alert.endsAt),
    GeneratorURL: alert.generatorURL,
    Fingerprint: fingerprint,
  }));
  return {
    // Alertmanager quotes regexp metacharacters here (it builds silence links from it).
    Receiver: receiver.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'),
    Status: tAlerts.some((a) => a.Status === 'firing') ? 'firing' : 'resolved',
    Alerts: tAlerts,
    GroupLabels: groupLabels,
    CommonLabels: commonOf(tAlerts.map((a) => a.Labels)),
    CommonAnnotations: commonOf(tAlerts.map((a) => a.Annotations)),
    ExternalURL: externalUrl,
  };
}

const defaultBackoff = (attempt: number): number => Math.min(500 * 1.5 ** attempt, 60_000);

/** Builds the NotifyFn that the dispatcher calls on each flush. */
export function createPipeline(deps: PipelineDeps): (flush: GroupFlush) => Promise<boolean> {
  const backoff = deps.backoff ?? defaultBackoff;
  return async (flush) => {
    const { route, now } = flush;
    if (deps.timeMuted(route.muteTimeIntervals, route.activeTimeIntervals, now)) return true;
    const alerts = flush.alerts.filter(({ alert }) => !deps.muted(alert.labels, now));
    const integrations = deps.receivers().get(route.receiver) ?? [];
    if (integrations.length === 0) return true;
    const results = await Promise.all(
      integrations.map(async (integration) => {
        const firing = new Set(alerts.filter(({ alert }) => !isResolved(alert, now)).map((a) => a.fingerprint));
        const resolved = new Set(alerts.filter(({ alert }) => isResolved(alert, now)).map((a) => a.fingerprint));
        const entry = deps.nflog.get(flush.groupKey, route.receiver, `${integration.name}/${integration.index}`);
        if (!needsUpdate(entry, firing, resolved, integration.sendResolved, route.repeatIntervalMs, now)) return true;
        // Without send_resolved, resolved alerts are not sent, but the log still records them.
        const toSend = integration.sendResolved ? alerts : alerts.filter(({ alert }) => !isResolved(alert, now));
        if (toSend.length > 0) {
          const data = templateData(route.receiver, flush.groupLabels, toSend, deps.externalUrl, now);
          const ok = await sendWithRetry(integration, data, flush.groupKey, now + route.groupIntervalMs, deps, backoff);
          if (!ok) return false;
        }
        deps.nflog.log(flush.groupKey, route.receiver, `${integration.name}/${integration.index}`, [...firing], [...resolved], Date.now());
        return true;
      }),
    );
    return results.every(Boolean);
  };
}

async function sendWithRetry(integration: Integration, data: TemplateData, groupKey: string, deadline: number, deps: PipelineDeps, backoff: (n: number) => number): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const start = Date.now();
    try {
      await integration.notify(data, groupKey);
      deps.metrics.latency(integration.name, (Date.now() - start) / 1000);
      deps.metrics.sent(integration.name);
      return true;
    } catch (e) {
      deps.metrics.latency(integration.name, (Date.now() - start) / 1000);
      deps.metrics.failed(integration.name);
      const err = e as Error;
      const retry = !(e instanceof NotifyError) || e.retry;
      const delay = backoff(attempt);
      if (!retry || Date.now() + delay >= deadline || deps.stopped?.aborted) {
        deps.logger.error('Notify for alerts failed', { component: 'dispatcher', integration: integration.name, receiver: data.Receiver, aggrGroup: groupKey, attempts: attempt + 1, err });
        return false;
      }
      deps.logger.warn('Notify attempt failed, will retry later', { component: 'dispatcher', integration: integration.name, receiver: data.Receiver, attempts: attempt + 1, err });
      // The wait ends early when the Alertmanager stops (the retry loop then ends above).
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        deps.stopped?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
      if (deps.stopped?.aborted) return false;
    }
  }
}
