// ovhcloud_sd_configs: OVHcloud VPS or dedicated servers, at their IPv4 (else IPv6), with
// Prometheus's `__meta_ovhcloud_*` labels. Requests are signed as OVH's API asks: application
// key, consumer key, the server's time and a SHA-1 signature of the call.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient, plainHttp } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { targetGroupOf } from '../util.js';

/** The named endpoints of OVH's client libraries. */
export const OVH_ENDPOINTS: Record<string, string> = {
  'ovh-eu': 'https://eu.api.ovh.com/1.0',
  'ovh-ca': 'https://ca.api.ovh.com/1.0',
  'ovh-us': 'https://api.us.ovhcloud.com/1.0',
  'kimsufi-eu': 'https://eu.api.kimsufi.com/1.0',
  'kimsufi-ca': 'https://ca.api.kimsufi.com/1.0',
  'soyoustart-eu': 'https://eu.api.soyoustart.com/1.0',
  'soyoustart-ca': 'https://ca.api.soyoustart.com/1.0',
};

/** The usable addresses of an OVH IP list: plain addresses and /32 blocks (other blocks are skipped). */
export function parseIpList(list: string[]): string[] {
  const out: string[] = [];
  for (const ip of list) {
    let addr = ip;
    if (isIP(ip) === 0) {
      const m = /^(.+)\/(\d+)$/.exec(ip);
      if (!m || isIP(m[1]!) === 0) throw new Error('could not parse IP addresses from list');
      if (m[2] !== '32') continue;
      addr = m[1]!;
    }
    if (addr !== '0.0.0.0' && addr !== '::') out.push(addr);
  }
  if (out.length === 0) throw new Error('could not parse IP addresses from list');
  return out;
}

const lastOf = (ips: string[], family: 4 | 6): string => ips.filter((ip) => isIP(ip) === family).pop() ?? '';

interface Vps {
  zone?: string;
  model?: { maximumAdditionnalIp?: number; offer?: string; datacenter?: string[]; vcore?: number; version?: string; name?: string; disk?: number; memory?: number };
  displayName?: string;
  cluster?: string;
  state?: string;
  name?: string;
  netbootMode?: string;
  memoryLimit?: number;
  offerType?: string;
  vcore?: number;
}

interface Dedicated {
  state?: string;
  commercialRange?: string;
  linkSpeed?: number;
  rack?: string;
  noIntervention?: boolean;
  os?: string;
  supportLevel?: string;
  serverId?: number;
  reverse?: string;
  datacenter?: string;
  name?: string;
}

export function vpsLabels(v: Vps, ips: string[]): Labels {
  const P = '__meta_ovhcloud_vps_';
  const ipv4 = lastOf(ips, 4);
  const ipv6 = lastOf(ips, 6);
  const m = v.model ?? {};
  return {
    __address__: ipv4 !== '' ? ipv4 : ipv6,
    instance: v.name ?? '',
    [`${P}offer`]: m.offer ?? '',
    // Go's %+v of the list, as Prometheus writes it.
    [`${P}datacenter`]: `[${(m.datacenter ?? []).join(' ')}]`,
    [`${P}model_vcore`]: String(m.vcore ?? 0),
    [`${P}maximum_additional_ip`]: String(m.maximumAdditionnalIp ?? 0),
    [`${P}version`]: m.version ?? '',
    [`${P}model_name`]: m.name ?? '',
    [`${P}disk`]: String(m.disk ?? 0),
    [`${P}memory`]: String(m.memory ?? 0),
    [`${P}zone`]: v.zone ?? '',
    [`${P}display_name`]: v.displayName ?? '',
    [`${P}cluster`]: v.cluster ?? '',
    [`${P}state`]: v.state ?? '',
    [`${P}name`]: v.name ?? '',
    [`${P}netboot_mode`]: v.netbootMode ?? '',
    [`${P}memory_limit`]: String(v.memoryLimit ?? 0),
    [`${P}offer_type`]: v.offerType ?? '',
    [`${P}vcore`]: String(v.vcore ?? 0),
    [`${P}ipv4`]: ipv4,
    [`${P}ipv6`]: ipv6,
  };
}

export function dedicatedLabels(d: Dedicated, ips: string[]): Labels {
  const P = '__meta_ovhcloud_dedicated_server_';
  const ipv4 = lastOf(ips, 4);
  const ipv6 = lastOf(ips, 6);
  return {
    __address__: ipv4 !== '' ? ipv4 : ipv6,
    instance: d.name ?? '',
    [`${P}state`]: d.state ?? '',
    [`${P}commercial_range`]: d.commercialRange ?? '',
    [`${P}link_speed`]: String(d.linkSpeed ?? 0),
    [`${P}rack`]: d.rack ?? '',
    [`${P}no_intervention`]: String(d.noIntervention === true),
    [`${P}os`]: d.os ?? '',
    [`${P}support_level`]: d.supportLevel ?? '',
    [`${P}server_id`]: String(d.serverId ?? 0),
    [`${P}reverse`]: d.reverse ?? '',
    [`${P}datacenter`]: d.datacenter ?? '',
    [`${P}name`]: d.name ?? '',
    [`${P}ipv4`]: ipv4,
    [`${P}ipv6`]: ipv6,
  };
}

export function ovhcloudRefresh(c: GenericSdConfig, log?: (msg: string) => void): Refresh {
  const s = c.settings as { endpoint: string; application_key: string; application_secret: string; consumer_key: string; refresh_interval: number; service: 'vps' | 'dedicated_server' };
  const base = (OVH_ENDPOINTS[s.endpoint] ?? s.endpoint).replace(/\/$/, '');
  const api = new ApiClient(plainHttp(), Math.max(s.refresh_interval, 10_000));
  let clockDelta: number | undefined;
  const get = async (path: string, signal: AbortSignal): Promise<unknown> => {
    // Signatures carry the API server's time: its offset from ours is asked for once.
    clockDelta ??= Number(await api.get(`${base}/auth/time`, signal)) - Math.floor(Date.now() / 1000);
    const url = `${base}${path}`;
    const ts = String(Math.floor(Date.now() / 1000) + clockDelta);
    const sig = '$1$' + createHash('sha1').update(`${s.application_secret}+${s.consumer_key}+GET+${url}++${ts}`).digest('hex');
    return api.get(url, signal, { 'X-Ovh-Application': s.application_key, 'X-Ovh-Consumer': s.consumer_key, 'X-Ovh-Timestamp': ts, 'X-Ovh-Signature': sig });
  };
  const apiPath = s.service === 'vps' ? '/vps' : '/dedicated/server';
  return async (signal) => {
    const names = (await get(apiPath, signal)) as string[];
    const out: TargetGroup[] = [];
    for (const name of names) {
      try {
        const p = `${apiPath}/${encodeURIComponent(name)}`;
        const details = await get(p, signal);
        const ips = parseIpList((await get(`${p}/ips`, signal)) as string[]);
        out.push(targetGroupOf(s.service === 'vps' ? vpsLabels(details as Vps, ips) : dedicatedLabels(details as Dedicated, ips), `${s.service}/${out.length}`));
      } catch (e) {
        // As Prometheus: a server whose details cannot be read is left out, with a warning.
        log?.(`${s.service}: Could not get details of ${name}: ${(e as Error).message}`);
      }
    }
    return out;
  };
}
