// webhook_configs: POSTs Alertmanager's webhook JSON (version 4) to a URL.
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import { DEFAULT_HTTP, httpFetch, httpHeaders, type HttpClientOptions } from '../../common/http-config/fetch.js';

export interface WebhookOptions {
  url: string;
  sendResolved: boolean;
  /** 0 = all alerts. */
  maxAlerts: number;
  timeoutMs: number;
  http?: HttpClientOptions;
}

export interface WebhookMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

/** Go's zero time, which Alertmanager prints for an unset end. */
function goTime(d: Date): string {
  return d.getTime() <= 0 ? '0001-01-01T00:00:00Z' : d.toISOString();
}

export function webhookMessage(data: TemplateData, groupKey: string, maxAlerts: number): WebhookMessage {
  const alerts = maxAlerts > 0 ? data.Alerts.slice(0, maxAlerts) : data.Alerts;
  return {
    version: '4',
    groupKey,
    truncatedAlerts: data.Alerts.length - alerts.length,
    status: data.Status,
    // The raw receiver name (the template data quotes it for regexps).
    receiver: data.Receiver.replace(/\\(.)/g, '$1'),
    groupLabels: data.GroupLabels,
    commonLabels: data.CommonLabels,
    commonAnnotations: data.CommonAnnotations,
    externalURL: data.ExternalURL,
    alerts: alerts.map((a) => ({
      status: a.Status,
      labels: a.Labels,
      annotations: a.Annotations,
      startsAt: goTime(a.StartsAt),
      endsAt: goTime(a.EndsAt),
      generatorURL: a.GeneratorURL,
      fingerprint: a.Fingerprint,
    })),
  };
}

export function webhookIntegration(o: WebhookOptions, index: number): Integration {
  return {
    name: 'webhook',
    index,
    sendResolved: o.sendResolved,
    async notify(data, groupKey) {
      const http = o.http ?? DEFAULT_HTTP;
      const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'Alertmanager/Promethium', ...(await httpHeaders(http)) };
      let res: Response;
      try {
        res = await httpFetch(o.url, { method: 'POST', headers, body: JSON.stringify(webhookMessage(data, groupKey, o.maxAlerts)), signal: AbortSignal.timeout(o.timeoutMs) }, http);
      } catch (e) {
        throw new NotifyError(`Post "${o.url}": ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, true);
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) {
        // Server errors may pass; client errors will not.
        throw new NotifyError(`unexpected status code ${res.status}: ${o.url}`, res.status >= 500);
      }
    },
  };
}
