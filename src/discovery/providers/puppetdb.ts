// puppetdb_sd_configs: the resources a PQL query returns from PuppetDB (POSTed to its query
// API), one target per resource at <certname>:<port>, with Prometheus's `__meta_puppetdb_*`
// labels and, when asked, the resource's parameters.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, sanitizeLabelName } from '../util.js';

interface Resource {
  certname?: string;
  resource?: string;
  type?: string;
  title?: string;
  exported?: boolean;
  tags?: string[] | null;
  file?: string;
  environment?: string;
  parameters?: Record<string, unknown> | null;
}

const SEP = ',';

/** A parameter value as Prometheus writes it (lists joined with commas; maps flattened with `<key>_`). */
function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return undefined;
}

export function parameterLabels(p: Record<string, unknown>): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(p)) {
    let value: string | undefined;
    if (Array.isArray(v)) {
      if (v.length === 0) continue;
      value = v.map((x) => scalar(x) ?? '').join(SEP);
    } else if (v !== null && typeof v === 'object') {
      const prefix = sanitizeLabelName(`${k}_`);
      for (const [sk, sv] of Object.entries(parameterLabels(v as Record<string, unknown>))) out[prefix + sk] = sv;
      continue;
    } else value = scalar(v);
    if (value === undefined || value === '') continue;
    out[sanitizeLabelName(k)] = value;
  }
  return out;
}

export function puppetdbTargets(resources: Resource[], query: string, port: number, includeParameters: boolean): TargetGroup[] {
  const P = '__meta_puppetdb_';
  return resources.map((r, i) => {
    const l: Labels = {
      [`${P}query`]: query,
      [`${P}certname`]: r.certname ?? '',
      [`${P}resource`]: r.resource ?? '',
      [`${P}type`]: r.type ?? '',
      [`${P}title`]: r.title ?? '',
      [`${P}exported`]: String(r.exported === true),
      [`${P}file`]: r.file ?? '',
      [`${P}environment`]: r.environment ?? '',
    };
    if ((r.tags ?? []).length > 0) l[`${P}tags`] = SEP + r.tags!.join(SEP) + SEP;
    if (includeParameters) for (const [k, v] of Object.entries(parameterLabels(r.parameters ?? {}))) l[`${P}parameter_${k}`] = v;
    return { targets: [joinHostPort(r.certname ?? '', port)], labels: l, source: `puppetdb/${i}` };
  });
}

export function puppetdbRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as { url: string; query: string; port: number; include_parameters: boolean; refresh_interval: number };
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  return async (signal) => {
    const { body, contentType } = await api.request('POST', s.url, signal, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: s.query }) });
    if (!/^application\/json\b/i.test(contentType)) throw new Error(`unsupported content type ${contentType}`);
    return puppetdbTargets(JSON.parse(body) as Resource[], s.query, s.port, s.include_parameters);
  };
}
