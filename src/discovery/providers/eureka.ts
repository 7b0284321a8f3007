// eureka_sd_configs: every instance of every application registered in a Eureka server
// (`GET <server>/apps`, XML), with Prometheus's `__meta_eureka_*` labels.
import { XMLParser } from 'fast-xml-parser';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, sanitizeLabelName } from '../util.js';

type XmlValue = string | { '#text'?: string; [attr: string]: unknown };

interface Instance {
  instanceId?: string;
  hostName?: string;
  ipAddr?: string;
  status?: string;
  homePageUrl?: string;
  statusPageUrl?: string;
  healthCheckUrl?: string;
  vipAddress?: string;
  secureVipAddress?: string;
  countryId?: string;
  port?: XmlValue;
  securePort?: XmlValue;
  dataCenterInfo?: { name?: string; metadata?: Record<string, XmlValue> | '' };
  metadata?: Record<string, XmlValue> | '';
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (name, path) => path === 'applications.application' || path === 'applications.application.instance' });

const text = (v: XmlValue | undefined): string => (typeof v === 'string' ? v : typeof v?.['#text'] === 'string' ? v['#text'] : '');
const enabled = (v: XmlValue | undefined): string => String(typeof v === 'object' && v['@enabled'] === 'true');

/** Eureka's `/apps` document as targets. */
export function eurekaTargets(xml: string): TargetGroup[] {
  const doc = parser.parse(xml) as { applications?: { application?: { name?: string; instance?: Instance[] }[] } };
  const out: TargetGroup[] = [];
  const P = '__meta_eureka_app_instance_';
  for (const app of doc.applications?.application ?? []) {
    for (const t of app.instance ?? []) {
      const host = t.hostName ?? '';
      const l: Labels = {
        instance: t.instanceId ?? '',
        __meta_eureka_app_name: app.name ?? '',
        [`${P}hostname`]: host,
        [`${P}homepage_url`]: t.homePageUrl ?? '',
        [`${P}statuspage_url`]: t.statusPageUrl ?? '',
        [`${P}healthcheck_url`]: t.healthCheckUrl ?? '',
        [`${P}ip_addr`]: t.ipAddr ?? '',
        [`${P}vip_address`]: t.vipAddress ?? '',
        [`${P}secure_vip_address`]: t.secureVipAddress ?? '',
        [`${P}status`]: t.status ?? '',
        [`${P}country_id`]: String(Number(t.countryId ?? 0) || 0),
        [`${P}id`]: t.instanceId ?? '',
      };
      if (t.port !== undefined) {
        l[`${P}port`] = text(t.port);
        l[`${P}port_enabled`] = enabled(t.port);
      }
      if (t.securePort !== undefined) {
        l[`${P}secure_port`] = text(t.securePort);
        l[`${P}secure_port_enabled`] = enabled(t.securePort);
      }
      if (t.dataCenterInfo !== undefined) {
        l[`${P}datacenterinfo_name`] = t.dataCenterInfo.name ?? '';
        const md = t.dataCenterInfo.metadata;
        if (md && typeof md === 'object') for (const [k, v] of Object.entries(md)) if (!k.startsWith('@')) l[`${P}datacenterinfo_metadata_${sanitizeLabelName(k)}`] = text(v);
      }
      if (t.metadata && typeof t.metadata === 'object') for (const [k, v] of Object.entries(t.metadata)) if (!k.startsWith('@')) l[`${P}metadata_${sanitizeLabelName(k)}`] = text(v);
      out.push({ targets: [joinHostPort(host, t.port !== undefined ? text(t.port) : '80')], labels: l, source: `eureka/${out.length}` });
    }
  }
  return out;
}

export function eurekaRefresh(c: GenericSdConfig): Refresh {
  const server = String(c.settings.server).replace(/\/$/, '');
  const api = new ApiClient(c.http!, Math.max(c.settings.refresh_interval as number, 10_000));
  return async (signal) => eurekaTargets(await api.text(`${server}/apps`, signal, 'application/xml'));
}
