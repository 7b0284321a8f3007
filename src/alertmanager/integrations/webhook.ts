// webhook_configs: POSTs Alertmanager's webhook JSON (version 4) to a URL.
import { readFileSync } from 'node:fs';
import { NotifyError, type Integration, type TemplateData } from '../notify.js';
import { DEFAULT_HTTP, httpFetch, httpHeaders, type HttpClientOptions } from '../../common/http-config/fetch.js';
import type { YamlFile } from '../../config/yaml-reader.js';
import { readHttpConfig, scalarString } from '../config/fields.js';
import { type ReceiverConfigReader, nonNegative } from '../config/receiver-context.js';

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

/** webhook_configs: each entry checked and read as Alertmanager reads it. */
export const webhookConfigReader: ReceiverConfigReader = {
  key: 'webhook_configs',
  typeName: 'config.WebhookConfig',
  fields: ['url', 'url_file', 'send_resolved', 'max_alerts', 'http_config', 'timeout'],
  missing: 'missing webhook config',
  read(ctx, wc, wm, _str, i) {
    const y: YamlFile = ctx.y; // typed, so that y.fail narrows
    let url = scalarString(y, wm.get('url'), 'url');
    const urlFile = scalarString(y, wm.get('url_file'), 'url_file');
    if (url !== '' && urlFile !== '') y.fail(wc, 'at most one of url & url_file must be configured');
    if (url === '' && urlFile === '') y.fail(wc, 'one of url or url_file must be configured');
    if (urlFile !== '') url = readFileSync(urlFile, 'utf8').trim();
    return webhookIntegration({ url, sendResolved: y.bool(wm.get('send_resolved'), 'send_resolved', true), maxAlerts: nonNegative(y, wm.get('max_alerts'), 'max_alerts'), timeoutMs: y.duration(wm.get('timeout'), 'timeout', 10_000), http: readHttpConfig(y, wm.get('http_config')) }, i);
  },
};
