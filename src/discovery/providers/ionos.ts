// ionos_sd_configs: the servers of an IONOS Cloud data center (Cloud API v6, depth 3), at the
// first IP of their NICs, with Prometheus's `__meta_ionos_server_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, sanitizeLabelName } from '../util.js';

export const IONOS_API = 'https://api.ionos.com';

interface IonosServer {
  id?: string;
  metadata?: { state?: string };
  properties?: { name?: string; availabilityZone?: string; cpuFamily?: string; vmState?: string; type?: string; bootCdrom?: { id?: string } | null; bootVolume?: { id?: string } | null };
  entities?: { nics?: { items?: { properties?: { name?: string | null; ips?: string[] | null } }[] }; volumes?: { items?: { properties?: { image?: string | null } }[] } };
}

const join = (xs: string[]): string => `,${xs.join(',')},`;

export function ionosTargets(doc: { id?: string; items?: IonosServer[] }, port: number): TargetGroup[] {
  const P = '__meta_ionos_server_';
  const out: TargetGroup[] = [];
  for (const s of doc.items ?? []) {
    let ips: string[] = [];
    const byNic = new Map<string, string[]>();
    for (const nic of s.entities?.nics?.items ?? []) {
      if (nic.properties === undefined) continue;
      const name = nic.properties.name ?? 'unnamed';
      const nicIps = nic.properties.ips ?? [];
      // As upstream: each NIC's addresses go before the ones seen so far.
      ips = [...nicIps, ...ips];
      byNic.set(name, [...nicIps, ...(byNic.get(name) ?? [])]);
    }
    if (ips.length === 0) continue;
    const p = s.properties ?? {};
    const l: Labels = { [`${P}ip`]: join(ips) };
    if (p.availabilityZone !== undefined) l[`${P}availability_zone`] = p.availabilityZone;
    if (p.cpuFamily !== undefined) l[`${P}cpu_family`] = p.cpuFamily;
    if (doc.id !== undefined) l[`${P}servers_id`] = doc.id;
    if (s.id !== undefined) l[`${P}id`] = s.id;
    if (s.metadata?.state !== undefined) l[`${P}lifecycle`] = s.metadata.state;
    if (p.name !== undefined) l[`${P}name`] = p.name;
    if (p.vmState !== undefined) l[`${P}state`] = p.vmState;
    if (p.type !== undefined) l[`${P}type`] = p.type;
    for (const [name, nicIps] of byNic) l[`${P}nic_ip_${sanitizeLabelName(name)}`] = join(nicIps);
    if (p.bootCdrom?.id !== undefined) l[`${P}boot_cdrom_id`] = p.bootCdrom.id;
    if (p.bootVolume?.id !== undefined) l[`${P}boot_volume_id`] = p.bootVolume.id;
    const image = s.entities?.volumes?.items?.[0]?.properties?.image;
    if (image !== undefined && image !== null) l[`${P}boot_image_id`] = image;
    out.push({ targets: [joinHostPort(ips[0]!, port)], labels: l, source: `ionos/${out.length}` });
  }
  return out;
}

export function ionosRefresh(c: GenericSdConfig, base = IONOS_API): Refresh {
  const s = c.settings as { datacenter_id: string; port: number; refresh_interval: number };
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  return async (signal) => ionosTargets((await api.get(`${base}/cloudapi/v6/datacenters/${encodeURIComponent(s.datacenter_id)}/servers?depth=3`, signal)) as { id?: string; items?: IonosServer[] }, s.port);
}
