// digitalocean_sd_configs: droplets (at their public IPv4) or managed database clusters of a
// DigitalOcean account, with Prometheus's `__meta_digitalocean_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort } from '../util.js';

export const DIGITALOCEAN_API = 'https://api.digitalocean.com';

interface Droplet {
  id?: number;
  name?: string;
  image?: { slug?: string; name?: string };
  networks?: { v4?: { ip_address?: string; type?: string }[]; v6?: { ip_address?: string; type?: string }[] } | null;
  region?: { slug?: string };
  size_slug?: string;
  status?: string;
  features?: string[];
  tags?: string[];
  vpc_uuid?: string;
}

interface Database {
  id?: string;
  name?: string;
  engine?: string;
  version?: string;
  status?: string;
  region?: string;
  size?: string;
  num_nodes?: number;
  connection?: { host?: string } | null;
  private_connection?: { host?: string } | null;
  tags?: string[] | null;
}

const P = '__meta_digitalocean_';
const SEP = ',';
const ip = (list: { ip_address?: string; type?: string }[] | undefined, type: string): string => list?.find((n) => n.type === type)?.ip_address ?? '';

export function dropletTargets(droplets: Droplet[], port: number): TargetGroup[] {
  const out: TargetGroup[] = [];
  for (const d of droplets) {
    if ((d.networks?.v4 ?? []).length === 0) continue;
    const publicIPv4 = ip(d.networks?.v4, 'public');
    const l: Labels = {
      [`${P}droplet_id`]: String(d.id ?? 0),
      [`${P}droplet_name`]: d.name ?? '',
      [`${P}image`]: d.image?.slug ?? '',
      [`${P}image_name`]: d.image?.name ?? '',
      [`${P}private_ipv4`]: ip(d.networks?.v4, 'private'),
      [`${P}public_ipv4`]: publicIPv4,
      [`${P}public_ipv6`]: ip(d.networks?.v6, 'public'),
      [`${P}region`]: d.region?.slug ?? '',
      [`${P}size`]: d.size_slug ?? '',
      [`${P}status`]: d.status ?? '',
      [`${P}vpc`]: d.vpc_uuid ?? '',
    };
    if ((d.features ?? []).length > 0) l[`${P}features`] = SEP + d.features!.join(SEP) + SEP;
    if ((d.tags ?? []).length > 0) l[`${P}tags`] = SEP + d.tags!.join(SEP) + SEP;
    out.push({ targets: [joinHostPort(publicIPv4, port)], labels: l, source: `DigitalOcean/${out.length}` });
  }
  return out;
}

/** Database clusters at their private host (else public); one without a host has no address and is dropped when targets are built. */
export function databaseTargets(dbs: Database[], port: number): TargetGroup[] {
  return dbs.map((d, i) => {
    const l: Labels = {
      [`${P}db_id`]: d.id ?? '',
      [`${P}db_name`]: d.name ?? '',
      [`${P}db_engine`]: d.engine ?? '',
      [`${P}db_version`]: d.version ?? '',
      [`${P}db_status`]: d.status ?? '',
      [`${P}db_region`]: d.region ?? '',
      [`${P}db_size`]: d.size ?? '',
      [`${P}db_num_nodes`]: String(d.num_nodes ?? 0),
    };
    let host = '';
    if (d.private_connection) {
      host = d.private_connection.host ?? '';
      l[`${P}db_private_host`] = host;
    }
    if (d.connection) {
      l[`${P}db_host`] = d.connection.host ?? '';
      if (host === '') host = d.connection.host ?? '';
    }
    for (const t of d.tags ?? []) l[`${P}db_tag_${t}`] = 'true';
    return { targets: [host !== '' ? joinHostPort(host, port) : ''], labels: l, source: `DigitalOcean Databases/${i}` };
  });
}

export function digitaloceanRefresh(c: GenericSdConfig, base = DIGITALOCEAN_API): Refresh {
  const s = c.settings as { role: string; port: number; refresh_interval: number };
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  return async (signal) => {
    if (s.role === 'databases') return databaseTargets(((await api.get(`${base}/v2/databases`, signal)) as { databases?: Database[] | null }).databases ?? [], s.port);
    const droplets = await allPages<Droplet>(async (next) => {
      const page = (await api.get(next ?? `${base}/v2/droplets?per_page=200&page=1`, signal)) as { droplets?: Droplet[]; links?: { pages?: { next?: string } } };
      return { items: page.droplets, next: page.links?.pages?.next };
    });
    return dropletTargets(droplets, s.port);
  };
}
