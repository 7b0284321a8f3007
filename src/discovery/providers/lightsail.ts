// lightsail_sd_configs: Lightsail instances (GetInstances) at their private IP, with
// Prometheus's `__meta_lightsail_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, sanitizeLabelName } from '../util.js';
import { AwsService } from './aws.js';
import type { AwsSettings } from './aws.js';

interface LightsailInstance {
  name?: string;
  privateIpAddress?: string;
  publicIpAddress?: string;
  ipv6Addresses?: string[];
  location?: { availabilityZone?: string };
  blueprintId?: string;
  bundleId?: string;
  state?: { name?: string };
  supportCode?: string;
  tags?: { key?: string; value?: string }[];
}

export function lightsailTargets(instances: LightsailInstance[], region: string, port: number): TargetGroup[] {
  const P = '__meta_lightsail_';
  const out: TargetGroup[] = [];
  for (const i of instances) {
    if (i.privateIpAddress === undefined) continue;
    const l: Labels = { [`${P}private_ip`]: i.privateIpAddress, [`${P}region`]: region };
    if (i.location?.availabilityZone !== undefined) l[`${P}availability_zone`] = i.location.availabilityZone;
    if (i.blueprintId !== undefined) l[`${P}blueprint_id`] = i.blueprintId;
    if (i.bundleId !== undefined) l[`${P}bundle_id`] = i.bundleId;
    if (i.name !== undefined) l[`${P}instance_name`] = i.name;
    if (i.state?.name !== undefined) l[`${P}instance_state`] = i.state.name;
    if (i.supportCode !== undefined) l[`${P}instance_support_code`] = i.supportCode;
    if (i.publicIpAddress !== undefined) l[`${P}public_ip`] = i.publicIpAddress;
    if ((i.ipv6Addresses ?? []).length > 0) l[`${P}ipv6_addresses`] = `,${i.ipv6Addresses!.join(',')},`;
    for (const t of i.tags ?? []) if (t.key !== undefined && t.value !== undefined) l[`${P}tag_${sanitizeLabelName(t.key)}`] = t.value;
    out.push({ targets: [joinHostPort(i.privateIpAddress, port)], labels: l, source: `${region}/${out.length}` });
  }
  return out;
}

export function lightsailRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as unknown as AwsSettings;
  const aws = new AwsService(s, c.http!, 'Lightsail');
  return async (signal) => {
    await aws.ready(signal);
    const instances = await allPages<LightsailInstance>(async (token) => {
      const doc = await aws.json<{ instances?: LightsailInstance[]; nextPageToken?: string }>(aws.endpoint('lightsail'), 'lightsail', 'Lightsail_20161128.GetInstances', token !== undefined ? { pageToken: token } : {}, signal);
      return { items: doc.instances, next: doc.nextPageToken };
    });
    return lightsailTargets(instances, aws.region, s.port);
  };
}
