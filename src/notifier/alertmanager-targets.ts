// Alertmanagers from discovered target groups, as Prometheus derives them: each target becomes
// the label set { __address__, __scheme__, __alerts_path__ } plus its group's labels, the
// alertmanager config's relabel_configs run on it (and may drop it), and the result names the URL
// alerts are posted to: <__scheme__>://<__address__><__alerts_path__>.
import { posix } from 'node:path';
import type { AlertmanagerConfig } from '../config/index.js';
import type { Labels } from '../model/labels.js';
import type { TargetGroup } from '../discovery/target-group.js';
import type { Dispatcher } from 'undici';
import type { AlertmanagerTarget } from './notifier.js';

export interface AlertmanagerSet {
  active: AlertmanagerTarget[];
  /** Alerts URLs of the Alertmanagers that relabeling dropped (/api/v1/alertmanagers). */
  dropped: string[];
}

export interface AlertmanagerOptions {
  relabel: (labels: Labels) => Labels | null;
  /** alert_relabel_configs of this alertmanager config (after the global ones). */
  alertRelabel?: (labels: Labels) => Labels | null;
  /** Authorization and other headers from its http config. */
  headers?: Record<string, string>;
  /** Connections with its proxy_url and tls_config. */
  dispatcher?: Dispatcher;
  /** Its oauth2 token source. */
  oauth2?: { authorization(): Promise<string> };
}

/** The API v2 path under a path_prefix: path.Join("/", prefix, "/api/v2/alerts"). */
export function alertsPath(pathPrefix: string): string {
  return posix.join('/', pathPrefix, '/api/v2/alerts');
}

function alertsUrl(l: Labels): string {
  return `${l.__scheme__ ?? 'http'}://${l.__address__ ?? ''}${l.__alerts_path__ ?? ''}`;
}

export function alertmanagersFromGroups(am: AlertmanagerConfig, groups: readonly TargetGroup[], o: AlertmanagerOptions): AlertmanagerSet {
  const out: AlertmanagerSet = { active: [], dropped: [] };
  for (const g of groups) {
    for (const target of g.targets) {
      const labels: Labels = { ...g.labels, __address__: target };
      labels.__scheme__ ??= am.scheme;
      labels.__alerts_path__ ??= alertsPath(am.pathPrefix);
      const kept = o.relabel(labels);
      if (kept === null) {
        out.dropped.push(alertsUrl(labels));
        continue;
      }
      const address = kept.__address__ ?? '';
      if (address === '' || address.includes('/')) continue; // not a host:port; Prometheus refuses such targets too
      const t: AlertmanagerTarget = { alertsUrl: alertsUrl(kept), timeoutMs: am.timeoutMs };
      if (o.headers !== undefined && Object.keys(o.headers).length > 0) t.headers = o.headers;
      if (o.alertRelabel !== undefined) t.relabel = o.alertRelabel;
      if (o.dispatcher !== undefined) t.dispatcher = o.dispatcher;
      if (o.oauth2 !== undefined) t.oauth2 = o.oauth2;
      out.active.push(t);
    }
  }
  return out;
}
