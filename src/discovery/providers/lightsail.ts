// lightsail_sd_configs: Lightsail instances (GetInstances) at their private IP, with
// Prometheus's `__meta_lightsail_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../../scrape/targets.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, sanitizeLabelName } from '../util.js';
import { AwsCredentials, awsPost, resolveRegion } from './aws.js';
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
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  let region = '';
  const creds = new AwsCredentials(s, api, () => region);
  return async (signal) => {
    region ||= await resolveRegion(s, signal, 'Lightsail');
    const endpoint = s.endpoint !== '' ? s.endpoint : `https://lightsail.${region}.amazonaws.com/`;
    const instances: LightsailInstance[] = [];
    let token: string | undefined;
    do {
      const body = JSON.stringify(token !== undefined ? { pageToken: token } : {});
      const doc = JSON.parse(await awsPost(api, await creds.get(signal), { endpoint, service: 'lightsail', region, body, headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'Lightsail_20161128.GetInstances' } }, signal)) as { instances?: LightsailInstance[]; nextPageToken?: string };
      instances.push(...(doc.instances ?? []));
      token = doc.nextPageToken || undefined;
    } while (token !== undefined);
    return lightsailTargets(instances, region, s.port);
  };
}
