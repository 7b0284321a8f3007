// kuma_sd_configs: Kuma's monitoring assignments (MADS v1) over the xDS REST protocol: the
// control plane is asked with the last version seen and answers the full set, or 304 when
// nothing changed. One target per dataplane, with `__meta_kuma_*` labels.
import { hostname } from 'node:os';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { sanitizeLabelName } from '../util.js';

const TYPE_URL = 'type.googleapis.com/kuma.observability.v1.MonitoringAssignment';

interface Assignment {
  '@type'?: string;
  mesh?: string;
  service?: string;
  labels?: Record<string, string>;
  targets?: { name?: string; scheme?: string; address?: string; metricsPath?: string; labels?: Record<string, string> }[];
}

const userLabels = (l: Record<string, string> | undefined): Labels => Object.fromEntries(Object.entries(l ?? {}).map(([k, v]) => [`__meta_kuma_label_${sanitizeLabelName(k)}`, v]));

export function kumaTargets(resources: Assignment[]): TargetGroup[] {
  const out: TargetGroup[] = [];
  for (const a of resources) {
    if (a['@type'] !== undefined && a['@type'] !== TYPE_URL) throw new Error(`received invalid typeURL for Kuma MADS v1 Resource: ${a['@type']}`);
    const common: Labels = { ...userLabels(a.labels), __meta_kuma_mesh: a.mesh ?? '', __meta_kuma_service: a.service ?? '' };
    for (const t of a.targets ?? []) {
      const l: Labels = { ...userLabels(t.labels), ...common, __meta_kuma_dataplane: t.name ?? '', instance: t.name ?? '', __scheme__: t.scheme ?? '', __metrics_path__: t.metricsPath ?? '' };
      out.push({ targets: [t.address ?? ''], labels: l, source: `kuma/${out.length}` });
    }
  }
  return out;
}

export function kumaRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as { server: string; client_id: string; refresh_interval: number; fetch_timeout: number };
  const api = new ApiClient(c.http!, s.fetch_timeout + 15_000);
  const endpoint = new URL(s.server);
  endpoint.pathname = `${endpoint.pathname.replace(/\/$/, '')}/v3/discovery:monitoringassignments`;
  endpoint.searchParams.set('fetch-timeout', `${s.fetch_timeout / 1000}s`);
  const node = { id: s.client_id !== '' ? s.client_id : hostname() };
  let version = '';
  let nonce = '';
  let last: TargetGroup[] = [];
  return async (signal) => {
    const body = JSON.stringify({ versionInfo: version, node, resourceNames: [], typeUrl: TYPE_URL, responseNonce: nonce });
    const res = await api.request('POST', endpoint, signal, { headers: { 'Content-Type': 'application/json' }, body, alsoAccept: [304] });
    if (res.status === 304) return last;
    const doc = JSON.parse(res.body) as { versionInfo?: string; nonce?: string; typeUrl?: string; resources?: Assignment[] };
    if (doc.typeUrl !== undefined && doc.typeUrl !== TYPE_URL) throw new Error(`received invalid typeURL for Kuma MADS v1 Resource: ${doc.typeUrl}`);
    last = kumaTargets(doc.resources ?? []);
    version = doc.versionInfo ?? '';
    nonce = doc.nonce ?? '';
    return last;
  };
}
