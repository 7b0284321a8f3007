// ec2_sd_configs: EC2 instances (DescribeInstances, with the configured filters, page by page)
// at their private IP (or first IPv6 address), with Prometheus's `__meta_ec2_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, sanitizeLabelName } from '../util.js';
import { AwsService } from './aws.js';
import type { AwsSettings } from './aws.js';

interface Ec2Instance {
  instanceId?: string;
  imageId?: string;
  instanceState?: { name?: string };
  privateDnsName?: string;
  dnsName?: string;
  instanceType?: string;
  placement?: { availabilityZone?: string };
  platform?: string;
  privateIpAddress?: string;
  ipAddress?: string;
  subnetId?: string;
  vpcId?: string;
  architecture?: string;
  instanceLifecycle?: string;
  tagSet?: { item?: { key?: string; value?: string }[] };
  networkInterfaceSet?: { item?: { subnetId?: string; attachment?: { deviceIndex?: string }; ipv6AddressesSet?: { item?: { ipv6Address?: string; isPrimaryIpv6?: string }[] } }[] };
}

interface Reservation {
  ownerId?: string;
  instancesSet?: { item?: Ec2Instance[] };
}

const P = '__meta_ec2_';
const SEP = ',';

/** The instance's IPv6 addresses: the default one, the primary per device index, and all. */
function ipv6Addresses(i: Ec2Instance): { def?: string; primary: string[]; all: string[] } {
  const primary: string[] = [];
  const all: string[] = [];
  if (i.vpcId === undefined) return { primary, all };
  for (const eni of i.networkInterfaceSet?.item ?? []) {
    if (eni.subnetId === undefined) continue;
    for (const a of eni.ipv6AddressesSet?.item ?? []) {
      all.push(a.ipv6Address ?? '');
      if (a.isPrimaryIpv6 === 'true') {
        const idx = Number(eni.attachment?.deviceIndex ?? 0);
        while (primary.length <= idx) primary.push('');
        primary[idx] = a.ipv6Address ?? '';
      }
    }
  }
  return { def: [...primary, ...all].find((a) => a !== ''), primary, all };
}

export function ec2Targets(reservations: Reservation[], region: string, port: number, azIds: Map<string, string>): TargetGroup[] {
  const out: TargetGroup[] = [];
  for (const r of reservations) {
    for (const i of r.instancesSet?.item ?? []) {
      const v6 = ipv6Addresses(i);
      if (i.privateIpAddress === undefined && v6.def === undefined) continue;
      const l: Labels = { [`${P}instance_id`]: i.instanceId ?? '', [`${P}region`]: region };
      if (r.ownerId !== undefined) l[`${P}owner_id`] = r.ownerId;
      if (v6.def !== undefined) l[`${P}default_ipv6_address`] = v6.def;
      if (i.privateIpAddress !== undefined) l[`${P}private_ip`] = i.privateIpAddress;
      if (i.privateDnsName !== undefined) l[`${P}private_dns_name`] = i.privateDnsName;
      if (i.platform) l[`${P}platform`] = i.platform;
      if (i.ipAddress !== undefined) {
        l[`${P}public_ip`] = i.ipAddress;
        l[`${P}public_dns_name`] = i.dnsName ?? '';
      }
      if (v6.primary.length > 0) l[`${P}primary_ipv6_addresses`] = SEP + v6.primary.join(SEP) + SEP;
      if (v6.all.length > 0) l[`${P}ipv6_addresses`] = SEP + v6.all.join(SEP) + SEP;
      const az = i.placement?.availabilityZone ?? '';
      l[`${P}ami`] = i.imageId ?? '';
      l[`${P}availability_zone`] = az;
      l[`${P}availability_zone_id`] = azIds.get(az) ?? '';
      l[`${P}instance_state`] = i.instanceState?.name ?? '';
      l[`${P}instance_type`] = i.instanceType ?? '';
      if (i.instanceLifecycle) l[`${P}instance_lifecycle`] = i.instanceLifecycle;
      if (i.architecture) l[`${P}architecture`] = i.architecture;
      if (i.vpcId !== undefined) {
        l[`${P}vpc_id`] = i.vpcId;
        l[`${P}primary_subnet_id`] = i.subnetId ?? '';
        const subnets = [...new Set((i.networkInterfaceSet?.item ?? []).map((e) => e.subnetId).filter((x): x is string => x !== undefined))];
        l[`${P}subnet_id`] = SEP + subnets.join(SEP) + SEP;
      }
      for (const t of i.tagSet?.item ?? []) if (t.key !== undefined && t.value !== undefined) l[`${P}tag_${sanitizeLabelName(t.key)}`] = t.value;
      out.push({ targets: [joinHostPort(i.privateIpAddress ?? v6.def!, port)], labels: l, source: `${region}/${out.length}` });
    }
  }
  return out;
}

export function ec2Refresh(c: GenericSdConfig): Refresh {
  const s = c.settings as unknown as AwsSettings & { filters: { name: string; values: string[] }[] };
  const aws = new AwsService(s, c.http!, 'EC2');
  const call = (params: Record<string, string>, signal: AbortSignal): Promise<Record<string, unknown>> => aws.query(aws.endpoint('ec2'), 'ec2', { Version: '2016-11-15', ...params }, signal);
  let azIds: Map<string, string> | undefined;
  return async (signal) => {
    await aws.ready(signal);
    if (azIds === undefined) {
      try {
        const doc = (await call({ Action: 'DescribeAvailabilityZones' }, signal)) as { DescribeAvailabilityZonesResponse?: { availabilityZoneInfo?: { item?: { zoneName?: string; zoneId?: string }[] } } };
        azIds = new Map((doc.DescribeAvailabilityZonesResponse?.availabilityZoneInfo?.item ?? []).map((z) => [z.zoneName ?? '', z.zoneId ?? '']));
      } catch {
        // As Prometheus: without zone IDs the label is empty, and they are asked for again next time.
      }
    }
    const filters: Record<string, string> = {};
    s.filters.forEach((f, i) => {
      filters[`Filter.${i + 1}.Name`] = f.name;
      f.values.forEach((v, j) => (filters[`Filter.${i + 1}.Value.${j + 1}`] = v));
    });
    const reservations = await allPages<Reservation>(async (token) => {
      const doc = (await call({ Action: 'DescribeInstances', ...filters, ...(token !== undefined ? { NextToken: token } : {}) }, signal)) as { DescribeInstancesResponse?: { reservationSet?: { item?: Reservation[] }; nextToken?: string } };
      return { items: doc.DescribeInstancesResponse?.reservationSet?.item, next: doc.DescribeInstancesResponse?.nextToken };
    });
    return ec2Targets(reservations, aws.region, s.port, azIds ?? new Map());
  };
}
