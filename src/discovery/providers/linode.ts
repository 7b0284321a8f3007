// linode_sd_configs: Linode instances (optionally of one region) at their public IPv4, with
// their IP details and IPv6 ranges, as Prometheus's `__meta_linode_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort } from '../util.js';

export const LINODE_API = 'https://api.linode.com/v4';

interface Instance {
  id?: number;
  label?: string;
  image?: string | null;
  ipv4?: string[];
  ipv6?: string | null;
  region?: string;
  type?: string;
  status?: string;
  group?: string;
  hypervisor?: string;
  tags?: string[];
  backups?: { enabled?: boolean };
  specs?: { disk?: number; memory?: number; vcpus?: number; transfer?: number; gpus?: number };
}

interface IpAddress {
  address?: string;
  public?: boolean;
  rdns?: string | null;
}

interface Ipv6Range {
  range?: string;
  prefix?: number;
  route_target?: string | null;
}

const P = '__meta_linode_';
const rdns = (ip: IpAddress): string => (ip.rdns && ip.rdns !== 'null' ? ip.rdns : '');
const mib = (n: number | undefined): string => String((n ?? 0) * 1024 * 1024);

export function linodeTargets(instances: Instance[], ips: IpAddress[], ranges: Ipv6Range[], port: number, sep: string): TargetGroup[] {
  const out: TargetGroup[] = [];
  for (const inst of instances) {
    if ((inst.ipv4 ?? []).length === 0) continue;
    let privateIPv4 = '';
    let publicIPv4 = '';
    let publicIPv6 = '';
    let privateRdns = '';
    let publicRdns = '';
    let publicV6Rdns = '';
    const extra: string[] = [];
    const v6Ranges: string[] = [];
    for (const addr of inst.ipv4!) {
      for (const d of ips.filter((x) => x.address === addr)) {
        if (d.public === true && publicIPv4 === '') {
          publicIPv4 = d.address!;
          publicRdns = rdns(d);
        } else if (d.public !== true && privateIPv4 === '') {
          privateIPv4 = d.address!;
          privateRdns = rdns(d);
        } else extra.push(d.address!);
      }
    }
    if (inst.ipv6) {
      const slaac = inst.ipv6.split('/')[0]!;
      for (const d of ips.filter((x) => x.address === slaac)) {
        publicIPv6 = d.address!;
        publicV6Rdns = rdns(d);
      }
      for (const r of ranges) if (r.route_target === slaac) v6Ranges.push(`${r.range ?? ''}/${r.prefix ?? 0}`);
    }
    const l: Labels = {
      [`${P}instance_id`]: String(inst.id ?? 0),
      [`${P}instance_label`]: inst.label ?? '',
      [`${P}image`]: inst.image ?? '',
      [`${P}private_ipv4`]: privateIPv4,
      [`${P}public_ipv4`]: publicIPv4,
      [`${P}public_ipv6`]: publicIPv6,
      [`${P}private_ipv4_rdns`]: privateRdns,
      [`${P}public_ipv4_rdns`]: publicRdns,
      [`${P}public_ipv6_rdns`]: publicV6Rdns,
      [`${P}region`]: inst.region ?? '',
      [`${P}type`]: inst.type ?? '',
      [`${P}status`]: inst.status ?? '',
      [`${P}group`]: inst.group ?? '',
      [`${P}gpus`]: String(inst.specs?.gpus ?? 0),
      [`${P}hypervisor`]: inst.hypervisor ?? '',
      [`${P}backups`]: inst.backups?.enabled === true ? 'enabled' : 'disabled',
      [`${P}specs_disk_bytes`]: mib(inst.specs?.disk),
      [`${P}specs_memory_bytes`]: mib(inst.specs?.memory),
      [`${P}specs_vcpus`]: String(inst.specs?.vcpus ?? 0),
      [`${P}specs_transfer_bytes`]: mib(inst.specs?.transfer),
    };
    if ((inst.tags ?? []).length > 0) l[`${P}tags`] = sep + inst.tags!.join(sep) + sep;
    if (extra.length > 0) l[`${P}extra_ips`] = sep + extra.join(sep) + sep;
    if (v6Ranges.length > 0) l[`${P}ipv6_ranges`] = sep + v6Ranges.join(sep) + sep;
    out.push({ targets: [joinHostPort(publicIPv4, port)], labels: l, source: `Linode/${out.length}` });
  }
  return out;
}

export function linodeRefresh(c: GenericSdConfig, base = LINODE_API): Refresh {
  const s = c.settings as { port: number; refresh_interval: number; tag_separator: string; region: string };
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  const all = async <T>(path: string, signal: AbortSignal): Promise<T[]> => {
    const out: T[] = [];
    const headers = s.region !== '' ? { 'X-Filter': JSON.stringify({ region: s.region }) } : undefined;
    for (let page = 1, pages = 1; page <= pages; page++) {
      const doc = (await api.get(`${base}${path}?page_size=500&page=${page}`, signal, headers)) as { data?: T[]; pages?: number };
      out.push(...(doc.data ?? []));
      pages = doc.pages ?? 1;
    }
    return out;
  };
  return async (signal) => linodeTargets(await all<Instance>('/linode/instances', signal), await all<IpAddress>('/networking/ips', signal), await all<Ipv6Range>('/networking/ipv6/ranges', signal), s.port, s.tag_separator);
}
