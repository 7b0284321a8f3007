// scaleway_sd_configs: Scaleway Instances (role instance; private NIC addresses from IPAM when a
// server has no other) or Elastic Metal servers (role baremetal) of a project and zone, with
// Prometheus's `__meta_scaleway_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, secretSetting } from '../util.js';

interface ScalewaySettings {
  project_id: string;
  api_url: string;
  zone: string;
  access_key: string;
  secret_key: string;
  secret_key_file: string;
  name_filter: string;
  tags_filter: string[];
  refresh_interval: number;
  port: number;
  role: 'instance' | 'baremetal';
}

interface Ip {
  address?: string;
  family?: string;
}

interface InstanceServer {
  id?: string;
  name?: string;
  hostname?: string;
  organization?: string;
  project?: string;
  state?: string;
  commercial_type?: string;
  zone?: string;
  boot_type?: string;
  image?: { id?: string; name?: string; arch?: string } | null;
  location?: { cluster_id?: string; hypervisor_id?: string; node_id?: string } | null;
  security_group?: { id?: string; name?: string } | null;
  tags?: string[];
  public_ips?: Ip[] | null;
  public_ip?: Ip | null;
  ipv6?: { address?: string } | null;
  private_ip?: string | null;
  private_nics?: ({ id?: string } | null)[] | null;
}

interface BaremetalServer {
  id?: string;
  name?: string;
  zone?: string;
  status?: string;
  project_id?: string;
  offer_id?: string;
  install?: { os_id?: string } | null;
  tags?: string[];
  ips?: { address?: string; version?: string }[];
}

const SEP = ',';
/** The region of a zone (`fr-par-1` -> `fr-par`). */
export const regionOf = (zone: string): string => zone.replace(/-\d+$/, '');

export function instanceTargets(servers: InstanceServer[], privateNicIps: Map<string, string>, port: number): TargetGroup[] {
  const P = '__meta_scaleway_instance_';
  const out: TargetGroup[] = [];
  for (const s of servers) {
    const l: Labels = {
      [`${P}boot_type`]: s.boot_type ?? '',
      [`${P}hostname`]: s.hostname ?? '',
      [`${P}id`]: s.id ?? '',
      [`${P}name`]: s.name ?? '',
      [`${P}organization_id`]: s.organization ?? '',
      [`${P}project_id`]: s.project ?? '',
      [`${P}status`]: s.state ?? '',
      [`${P}type`]: s.commercial_type ?? '',
      [`${P}zone`]: s.zone ?? '',
    };
    if (s.image) Object.assign(l, { [`${P}image_arch`]: s.image.arch ?? '', [`${P}image_id`]: s.image.id ?? '', [`${P}image_name`]: s.image.name ?? '' });
    if (s.location) Object.assign(l, { [`${P}location_cluster_id`]: s.location.cluster_id ?? '', [`${P}location_hypervisor_id`]: s.location.hypervisor_id ?? '', [`${P}location_node_id`]: s.location.node_id ?? '' });
    if (s.security_group) Object.assign(l, { [`${P}security_group_id`]: s.security_group.id ?? '', [`${P}security_group_name`]: s.security_group.name ?? '' });
    if (s.zone) l[`${P}region`] = regionOf(s.zone);
    if ((s.tags ?? []).length > 0) l[`${P}tags`] = SEP + s.tags!.join(SEP) + SEP;
    let addr = '';
    const v4 = (s.public_ips ?? []).filter((ip) => ip.family === 'inet').map((ip) => ip.address ?? '');
    const v6 = (s.public_ips ?? []).filter((ip) => ip.family === 'inet6').map((ip) => ip.address ?? '');
    if (v6.length > 0) l[`${P}public_ipv6_addresses`] = SEP + v6.join(SEP) + SEP;
    if (v4.length > 0) l[`${P}public_ipv4_addresses`] = SEP + v4.join(SEP) + SEP;
    if (s.ipv6) {
      l[`${P}public_ipv6`] = s.ipv6.address ?? '';
      addr = s.ipv6.address ?? '';
    }
    if (s.public_ip) {
      if (s.public_ip.family !== 'inet6') l[`${P}public_ipv4`] = s.public_ip.address ?? '';
      addr = s.public_ip.address ?? '';
    }
    if (s.private_ip) {
      l[`${P}private_ipv4`] = s.private_ip;
      addr = s.private_ip;
    }
    if (addr === '') {
      for (const nic of s.private_nics ?? []) {
        const ip = nic?.id !== undefined ? privateNicIps.get(nic.id) : undefined;
        if (ip) {
          l[`${P}private_ipv4`] = ip;
          addr = ip;
          break;
        }
      }
    }
    if (addr !== '') out.push({ targets: [joinHostPort(addr, port)], labels: l, source: `scaleway/${out.length}` });
  }
  return out;
}

export function baremetalTargets(servers: BaremetalServer[], offers: { id?: string; name?: string }[], oses: { id?: string; name?: string; version?: string }[], port: number): TargetGroup[] {
  const P = '__meta_scaleway_baremetal_';
  return servers.map((s, i) => {
    const l: Labels = { [`${P}id`]: s.id ?? '', [`${P}name`]: s.name ?? '', [`${P}zone`]: s.zone ?? '', [`${P}status`]: s.status ?? '', [`${P}project_id`]: s.project_id ?? '' };
    const offer = offers.find((o) => o.id === s.offer_id);
    if (offer !== undefined) l[`${P}type`] = offer.name ?? '';
    const os = s.install ? oses.find((o) => o.id === s.install!.os_id) : undefined;
    if (os !== undefined) Object.assign(l, { [`${P}os_name`]: os.name ?? '', [`${P}os_version`]: os.version ?? '' });
    if ((s.tags ?? []).length > 0) l[`${P}tags`] = SEP + s.tags!.join(SEP) + SEP;
    let addr = '';
    for (const ip of s.ips ?? []) {
      if (ip.version === 'IPv4' && l[`${P}public_ipv4`] === undefined) {
        l[`${P}public_ipv4`] = ip.address ?? '';
        addr = joinHostPort(ip.address ?? '', port);
      } else if (ip.version === 'IPv6' && l[`${P}public_ipv6`] === undefined) {
        l[`${P}public_ipv6`] = ip.address ?? '';
        if (addr === '') addr = joinHostPort(ip.address ?? '', port);
      } else if (ip.version !== 'IPv4' && ip.version !== 'IPv6') throw new Error(`unknown IP version: ${ip.version ?? ''}`);
    }
    return { targets: [addr], labels: l, source: `scaleway/${i}` };
  });
}

export function scalewayRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as unknown as ScalewaySettings;
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  const base = s.api_url.replace(/\/$/, '');
  return async (signal) => {
    const headers = { 'X-Auth-Token': secretSetting(s.secret_key, s.secret_key_file) };
    /** Every page of a list. */
    const all = async <T>(path: string, key: string, query: Record<string, string | string[]> = {}): Promise<T[]> => {
      const out: T[] = [];
      for (let page = 1; ; page++) {
        const u = new URL(`${base}${path}`);
        // Lists go as repeated parameters, as Scaleway's SDK sends them.
        for (const [k, v] of Object.entries({ ...query, page: String(page), per_page: '100' })) for (const x of Array.isArray(v) ? v : [v]) if (x !== '') u.searchParams.append(k, x);
        const doc = (await api.get(u, signal, headers)) as Record<string, unknown>;
        const items = (doc[key] as T[] | undefined) ?? [];
        out.push(...items);
        if (items.length === 0 || out.length >= Number(doc.total_count ?? out.length)) return out;
      }
    };
    const filters = { project: s.project_id, name: s.name_filter, tags: s.tags_filter.join(',') };
    if (s.role === 'baremetal') {
      const zone = `/baremetal/v1/zones/${s.zone}`;
      return baremetalTargets(await all<BaremetalServer>(`${zone}/servers`, 'servers', { project_id: s.project_id, name: s.name_filter, tags: s.tags_filter.join(',') }), await all(`${zone}/offers`, 'offers'), await all(`${zone}/os`, 'os'), s.port);
    }
    const servers = await all<InstanceServer>(`/instance/v1/zones/${s.zone}/servers`, 'servers', filters);
    const nicIds = servers.filter((x) => !x.private_ip && !x.public_ip && !x.ipv6).flatMap((x) => (x.private_nics ?? []).map((n) => n?.id ?? '').filter((id) => id !== ''));
    const nicIps = new Map<string, string>();
    if (nicIds.length > 0) {
      const ips = await all<{ address?: string; is_ipv6?: boolean; resource?: { id?: string } }>(`/ipam/v1/regions/${regionOf(s.zone)}/ips`, 'ips', { resource_type: 'instance_private_nic', resource_ids: nicIds });
      for (const ip of ips) if (!ip.is_ipv6 && ip.resource?.id && ip.address) nicIps.set(ip.resource.id, ip.address.replace(/\/\d+$/, ''));
    }
    return instanceTargets(servers, nicIps, s.port);
  };
}
