// nomad_sd_configs: the services registered in Nomad's service catalog (namespace and region as
// configured), one target per instance, with Prometheus's `__meta_nomad_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort } from '../util.js';

interface NomadSettings {
  allow_stale: boolean;
  namespace: string;
  refresh_interval: number;
  region: string;
  server: string;
  tag_separator: string;
}

interface Instance {
  ID?: string;
  ServiceName?: string;
  Namespace?: string;
  NodeID?: string;
  Datacenter?: string;
  Address?: string;
  Port?: number;
  Tags?: string[] | null;
}

export function nomadTargets(instances: Instance[], sep: string): TargetGroup[] {
  return instances.map((i, n) => {
    const labels: Record<string, string> = {
      __meta_nomad_address: i.Address ?? '',
      __meta_nomad_dc: i.Datacenter ?? '',
      __meta_nomad_node_id: i.NodeID ?? '',
      __meta_nomad_namespace: i.Namespace ?? '',
      __meta_nomad_service_address: i.Address ?? '',
      __meta_nomad_service_id: i.ID ?? '',
      __meta_nomad_service_port: String(i.Port ?? 0),
      __meta_nomad_service: i.ServiceName ?? '',
    };
    if ((i.Tags ?? []).length > 0) labels.__meta_nomad_tags = sep + i.Tags!.join(sep) + sep;
    return { targets: [joinHostPort(i.Address ?? '', i.Port ?? 0)], labels, source: `Nomad/${n}` };
  });
}

export function nomadRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as unknown as NomadSettings;
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  const url = (path: string): URL => {
    const u = new URL(s.server.replace(/\/$/, '') + path);
    u.searchParams.set('namespace', s.namespace);
    u.searchParams.set('region', s.region);
    if (s.allow_stale) u.searchParams.set('stale', '');
    return u;
  };
  return async (signal) => {
    const stubs = (await api.get(url('/v1/services'), signal)) as { Services?: { ServiceName?: string }[] }[];
    const instances: Instance[] = [];
    for (const stub of stubs ?? []) {
      for (const svc of stub.Services ?? []) instances.push(...(((await api.get(url(`/v1/service/${encodeURIComponent(svc.ServiceName ?? '')}`), signal)) as Instance[]) ?? []));
    }
    return nomadTargets(instances, s.tag_separator);
  };
}
