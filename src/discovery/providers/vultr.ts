// vultr_sd_configs: Vultr instances at their main IP, with Prometheus's `__meta_vultr_instance_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort } from '../util.js';

export const VULTR_API = 'https://api.vultr.com';

interface Instance {
  id?: string;
  label?: string;
  os?: string;
  os_id?: number;
  region?: string;
  plan?: string;
  vcpu_count?: number;
  ram?: number;
  allowed_bandwidth?: number;
  disk?: number;
  main_ip?: string;
  v6_main_ip?: string;
  internal_ip?: string;
  hostname?: string;
  server_status?: string;
  features?: string[];
  tags?: string[];
}

const SEP = ',';

export function vultrTargets(instances: Instance[], port: number): TargetGroup[] {
  const P = '__meta_vultr_instance_';
  return instances.map((i, n) => {
    const l: Labels = {
      [`${P}id`]: i.id ?? '',
      [`${P}label`]: i.label ?? '',
      [`${P}os`]: i.os ?? '',
      [`${P}os_id`]: String(i.os_id ?? 0),
      [`${P}region`]: i.region ?? '',
      [`${P}plan`]: i.plan ?? '',
      [`${P}vcpu_count`]: String(i.vcpu_count ?? 0),
      [`${P}ram_mb`]: String(i.ram ?? 0),
      [`${P}allowed_bandwidth_gb`]: String(i.allowed_bandwidth ?? 0),
      [`${P}disk_gb`]: String(i.disk ?? 0),
      [`${P}main_ip`]: i.main_ip ?? '',
      [`${P}main_ipv6`]: i.v6_main_ip ?? '',
      [`${P}internal_ip`]: i.internal_ip ?? '',
      [`${P}hostname`]: i.hostname ?? '',
      [`${P}server_status`]: i.server_status ?? '',
    };
    if ((i.features ?? []).length > 0) l[`${P}features`] = SEP + i.features!.join(SEP) + SEP;
    if ((i.tags ?? []).length > 0) l[`${P}tags`] = SEP + i.tags!.join(SEP) + SEP;
    return { targets: [joinHostPort(i.main_ip ?? '', port)], labels: l, source: `Vultr/${n}` };
  });
}

export function vultrRefresh(c: GenericSdConfig, base = VULTR_API): Refresh {
  const s = c.settings as { port: number; refresh_interval: number };
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  return async (signal) => {
    const instances = await allPages<Instance>(async (cursor) => {
      const doc = (await api.get(`${base}/v2/instances?per_page=100${cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, signal)) as { instances?: Instance[]; meta?: { links?: { next?: string } } };
      return { items: doc.instances, next: doc.meta?.links?.next };
    });
    return vultrTargets(instances, s.port);
  };
}
