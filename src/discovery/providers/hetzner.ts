// hetzner_sd_configs: Hetzner Cloud servers (role hcloud) or dedicated Robot servers (role
// robot), at their public IPv4, with Prometheus's `__meta_hetzner_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, sanitizeLabelName } from '../util.js';

export const HCLOUD_API = 'https://api.hetzner.cloud/v1';
export const ROBOT_API = 'https://robot-ws.your-server.de';

interface Location {
  name?: string;
  network_zone?: string;
}

interface HcloudServer {
  id?: number;
  name?: string;
  status?: string;
  public_net?: { ipv4?: { ip?: string } | null; ipv6?: { ip?: string } | null };
  private_net?: { network?: number; ip?: string }[];
  server_type?: { name?: string; cores?: number; cpu_type?: string; memory?: number; disk?: number };
  location?: Location;
  datacenter?: { location?: Location };
  image?: { name?: string; description?: string; os_version?: string; os_flavor?: string } | null;
  labels?: Record<string, string>;
}

interface RobotServer {
  server?: { server_ip?: string; server_number?: number; server_name?: string; dc?: string; status?: string; product?: string; cancelled?: boolean; subnet?: { ip?: string; mask?: string }[] | null };
}

const P = '__meta_hetzner_';

export function hcloudTargets(servers: HcloudServer[], networks: { id?: number; name?: string }[], port: number): TargetGroup[] {
  return servers.map((s, i) => {
    const ipv4 = s.public_net?.ipv4?.ip ?? '';
    const loc = s.location ?? s.datacenter?.location ?? {};
    const l: Labels = {
      [`${P}role`]: 'hcloud',
      [`${P}server_id`]: String(s.id ?? 0),
      [`${P}server_name`]: s.name ?? '',
      [`${P}public_ipv4`]: ipv4,
      [`${P}public_ipv6_network`]: s.public_net?.ipv6?.ip ?? '',
      [`${P}server_status`]: s.status ?? '',
      [`${P}hcloud_location`]: loc.name ?? '',
      [`${P}hcloud_location_network_zone`]: loc.network_zone ?? '',
      [`${P}hcloud_datacenter_location`]: loc.name ?? '',
      [`${P}hcloud_datacenter_location_network_zone`]: loc.network_zone ?? '',
      [`${P}hcloud_server_type`]: s.server_type?.name ?? '',
      [`${P}hcloud_cpu_cores`]: String(s.server_type?.cores ?? 0),
      [`${P}hcloud_cpu_type`]: s.server_type?.cpu_type ?? '',
      [`${P}hcloud_memory_size_gb`]: String(Math.trunc(s.server_type?.memory ?? 0)),
      [`${P}hcloud_disk_size_gb`]: String(s.server_type?.disk ?? 0),
    };
    if (s.image) {
      l[`${P}hcloud_image_name`] = s.image.name ?? '';
      l[`${P}hcloud_image_description`] = s.image.description ?? '';
      l[`${P}hcloud_image_os_version`] = s.image.os_version ?? '';
      l[`${P}hcloud_image_os_flavor`] = s.image.os_flavor ?? '';
    }
    for (const pn of s.private_net ?? []) {
      const net = networks.find((n) => n.id === pn.network);
      if (net !== undefined) l[`${P}hcloud_private_ipv4_${sanitizeLabelName(net.name ?? '')}`] = pn.ip ?? '';
    }
    for (const [k, v] of Object.entries(s.labels ?? {})) {
      l[`${P}hcloud_labelpresent_${sanitizeLabelName(k)}`] = 'true';
      l[`${P}hcloud_label_${sanitizeLabelName(k)}`] = v;
    }
    return { targets: [joinHostPort(ipv4, port)], labels: l, source: `hetzner/${i}` };
  });
}

export function robotTargets(servers: RobotServer[], port: number): TargetGroup[] {
  return servers.map((r, i) => {
    const s = r.server ?? {};
    const dc = (s.dc ?? '').toLowerCase();
    const l: Labels = {
      [`${P}role`]: 'robot',
      [`${P}server_id`]: String(s.server_number ?? 0),
      [`${P}server_name`]: s.server_name ?? '',
      [`${P}datacenter`]: dc,
      [`${P}public_ipv4`]: s.server_ip ?? '',
      [`${P}server_status`]: s.status ?? '',
      [`${P}robot_datacenter`]: dc,
      [`${P}robot_product`]: s.product ?? '',
      [`${P}robot_cancelled`]: String(s.cancelled === true),
    };
    const v6 = (s.subnet ?? []).find((n) => (n.ip ?? '').includes(':'));
    if (v6 !== undefined) l[`${P}public_ipv6_network`] = `${v6.ip ?? ''}/${v6.mask ?? ''}`;
    return { targets: [joinHostPort(s.server_ip ?? '', port)], labels: l, source: `hetzner/${i}` };
  });
}

export function hetznerRefresh(c: GenericSdConfig, hcloudBase = HCLOUD_API, robotBase = ROBOT_API): Refresh {
  const s = c.settings as { role: string; port: number; refresh_interval: number; label_selector: string };
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  return async (signal) => {
    if (s.role === 'robot') return robotTargets((await api.get(`${robotBase}/server`, signal)) as RobotServer[], s.port);
    /** Every page of an hcloud list (`meta.pagination.next_page`). */
    const all = <T>(path: string, key: string, query: Record<string, string> = {}): Promise<T[]> =>
      allPages<T, number>(async (page) => {
        const u = new URL(`${hcloudBase}${path}`);
        for (const [k, v] of Object.entries({ ...query, per_page: '50', page: String(page ?? 1) })) if (v !== '') u.searchParams.set(k, v);
        const doc = (await api.get(u, signal)) as Record<string, unknown> & { meta?: { pagination?: { next_page?: number | null } } };
        return { items: doc[key] as T[] | undefined, next: doc.meta?.pagination?.next_page };
      });
    return hcloudTargets(await all<HcloudServer>('/servers', 'servers', { label_selector: s.label_selector }), await all<{ id?: number; name?: string }>('/networks', 'networks'), s.port);
  };
}
