// consul_sd_configs: the services of a Consul catalog and their instances (health API), with
// Prometheus's `__meta_consul_*` labels. Asked every refresh_interval (Prometheus also uses
// Consul's blocking queries to hear of changes sooner; here a change shows at the next refresh).
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { joinHostPort, sanitizeLabelName } from '../util.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';

export interface ConsulSettings {
  server: string;
  path_prefix: string;
  token: string;
  datacenter: string;
  namespace: string;
  partition: string;
  tag_separator: string;
  scheme: string;
  username: string;
  password: string;
  allow_stale: boolean;
  refresh_interval: number;
  services: string[];
  tags: string[];
  node_meta: Record<string, string>;
  filter: string;
  health_filter: string;
}

interface ServiceEntry {
  Node?: { Node?: string; Address?: string; Meta?: Record<string, string>; TaggedAddresses?: Record<string, string> };
  Service?: { ID?: string; Service?: string; Tags?: string[] | null; Address?: string; Port?: number; Meta?: Record<string, string>; Namespace?: string; Partition?: string };
  Checks?: { CheckID?: string; Status?: string }[];
}

/** Consul's AggregatedStatus: maintenance, then critical, then warning, else passing. */
export function aggregatedStatus(checks: ServiceEntry['Checks']): string {
  let maintenance = false;
  let critical = false;
  let warning = false;
  for (const c of checks ?? []) {
    if (c.CheckID === '_node_maintenance' || (c.CheckID ?? '').startsWith('_service_maintenance:')) {
      maintenance = true;
      continue;
    }
    if (c.Status === 'critical') critical = true;
    else if (c.Status === 'warning') warning = true;
    else if (c.Status === 'maintenance') maintenance = true;
  }
  return maintenance ? 'maintenance' : critical ? 'critical' : warning ? 'warning' : 'passing';
}

/** One service's instances as a target group. */
export function consulGroup(name: string, dc: string, entries: ServiceEntry[], sep: string): TargetGroup[] {
  const groupLabels: Labels = { __meta_consul_service: name, __meta_consul_dc: dc };
  return entries.map((e, i) => {
    const svc = e.Service ?? {};
    const node = e.Node ?? {};
    const port = String(svc.Port ?? 0);
    const l: Labels = {
      ...groupLabels,
      __meta_consul_address: node.Address ?? '',
      __meta_consul_node: node.Node ?? '',
      __meta_consul_namespace: svc.Namespace ?? '',
      __meta_consul_partition: svc.Partition ?? '',
      __meta_consul_tags: sep + (svc.Tags ?? []).join(sep) + sep,
      __meta_consul_service_address: svc.Address ?? '',
      __meta_consul_service_port: port,
      __meta_consul_service_id: svc.ID ?? '',
      __meta_consul_health: aggregatedStatus(e.Checks),
    };
    for (const [k, v] of Object.entries(node.Meta ?? {})) l[`__meta_consul_metadata_${sanitizeLabelName(k)}`] = v;
    for (const [k, v] of Object.entries(svc.Meta ?? {})) l[`__meta_consul_service_metadata_${sanitizeLabelName(k)}`] = v;
    for (const [k, v] of Object.entries(node.TaggedAddresses ?? {})) l[`__meta_consul_tagged_address_${sanitizeLabelName(k)}`] = v;
    const host = svc.Address ? svc.Address : (node.Address ?? '');
    return { targets: [joinHostPort(host, port)], labels: l, source: `${name}/${i}` };
  });
}

export function consulRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as unknown as ConsulSettings;
  const headers: Record<string, string> = {};
  if (s.token !== '') headers['X-Consul-Token'] = s.token;
  if (s.username !== '' || s.password !== '') headers.Authorization = 'Basic ' + Buffer.from(`${s.username}:${s.password}`).toString('base64');
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000), headers);
  const base = `${s.scheme}://${s.server}${s.path_prefix}`;
  const url = (path: string, extra: [string, string][] = [], filter = ''): URL => {
    const u = new URL(base.replace(/\/$/, '') + path);
    if (s.allow_stale) u.searchParams.set('stale', '');
    for (const [k, v] of Object.entries(s.node_meta)) u.searchParams.append('node-meta', `${k}:${v}`);
    if (filter !== '') u.searchParams.set('filter', filter);
    if (s.namespace !== '') u.searchParams.set('ns', s.namespace);
    if (s.partition !== '') u.searchParams.set('partition', s.partition);
    for (const [k, v] of extra) u.searchParams.append(k, v);
    return u;
  };
  let datacenter = s.datacenter;
  return async (signal) => {
    if (datacenter === '') {
      const self = (await api.get(url('/v1/agent/self'), signal)) as { Config?: { Datacenter?: unknown } };
      const dc = self.Config?.Datacenter;
      if (typeof dc !== 'string') throw new Error(`invalid value '${String(dc)}' for Config.Datacenter`);
      datacenter = dc;
    }
    const dcParam: [string, string][] = [['dc', datacenter]];
    const services = (await api.get(url('/v1/catalog/services', dcParam, s.filter), signal)) as Record<string, string[] | null>;
    const wanted = Object.entries(services ?? {}).filter(([name, tags]) => (s.services.length === 0 || s.services.includes(name)) && s.tags.every((t) => (tags ?? []).includes(t)));
    const groups: TargetGroup[] = [];
    for (const [name] of wanted.sort(([a], [b]) => (a < b ? -1 : 1))) {
      const entries = (await api.get(url(`/v1/health/service/${encodeURIComponent(name)}`, [...dcParam, ...s.tags.map((t): [string, string] => ['tag', t])], s.health_filter), signal)) as ServiceEntry[];
      groups.push(...consulGroup(name, datacenter, entries ?? [], s.tag_separator));
    }
    return groups;
  };
}
