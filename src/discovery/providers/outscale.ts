// outscale_sd_configs: Outscale VMs (ReadVms, page by page, SigV4-signed as the OSC API asks),
// at their private IP (else public), with Prometheus's `__meta_outscale_vm_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, sanitizeLabelName, secretSetting } from '../util.js';
import { awsPost } from './aws.js';

interface Vm {
  VmId?: string;
  State?: string;
  PrivateIp?: string;
  PublicIp?: string;
  Placement?: { SubregionName?: string };
  Tags?: { Key?: string; Value?: string }[];
}

export function outscaleTargets(vms: Vm[], region: string, port: number): TargetGroup[] {
  const P = '__meta_outscale_vm_';
  const out: TargetGroup[] = [];
  for (const vm of vms) {
    const host = vm.PrivateIp ? vm.PrivateIp : vm.PublicIp ? vm.PublicIp : undefined;
    if (host === undefined) continue;
    const l: Labels = { [`${P}instance_id`]: vm.VmId ?? '', [`${P}region`]: region, [`${P}state`]: vm.State ?? '' };
    if (vm.Placement?.SubregionName !== undefined) l[`${P}subregion`] = vm.Placement.SubregionName;
    if (vm.PrivateIp !== undefined) l[`${P}private_ip`] = vm.PrivateIp;
    if (vm.PublicIp !== undefined) l[`${P}public_ip`] = vm.PublicIp;
    for (const t of vm.Tags ?? []) if (t.Key && t.Value) l[`${P}tag_${sanitizeLabelName(t.Key)}`] = t.Value;
    out.push({ targets: [joinHostPort(host, port)], labels: l, source: `${region}/${out.length}` });
  }
  return out;
}

export function outscaleRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as { endpoint: string; region: string; access_key: string; secret_key: string; secret_key_file: string; refresh_interval: number; port: number };
  const endpoint = (s.endpoint !== '' ? s.endpoint : `https://api.${s.region}.outscale.com/api/v1`).replace(/\/$/, '');
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  return async (signal) => {
    const secretAccessKey = secretSetting(s.secret_key, s.secret_key_file);
    const vms = await allPages<Vm>(async (token) => {
      const body = JSON.stringify(token !== undefined ? { NextPageToken: token } : {});
      const doc = JSON.parse(await awsPost(api, { accessKeyId: s.access_key, secretAccessKey }, { endpoint: `${endpoint}/ReadVms`, service: 'oapi', region: s.region, body, headers: { 'Content-Type': 'application/json' } }, signal)) as { Vms?: Vm[]; NextPageToken?: string };
      return { items: doc.Vms, next: doc.NextPageToken };
    });
    return outscaleTargets(vms, s.region, s.port);
  };
}
