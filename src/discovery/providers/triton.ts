// triton_sd_configs: containers (role container) or compute nodes (role cn) from a Triton
// discovery endpoint (CMON), addressed as <uuid>.<dns_suffix>:<port>, with `__meta_triton_*` labels.
import type { GenericSdConfig, TlsConfig } from '../../config/index.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient, plainHttp } from '../refresh.js';
import type { Refresh } from '../refresh.js';

interface TritonSettings {
  account: string;
  role: 'container' | 'cn';
  dns_suffix: string;
  endpoint: string;
  groups: string[];
  port: number;
  refresh_interval: number;
  tls_config: TlsConfig;
  version: number;
}

interface Answer {
  containers?: { groups?: string[] | null; server_uuid?: string; vm_alias?: string; vm_brand?: string; vm_image_uuid?: string; vm_uuid?: string }[];
  cns?: { server_uuid?: string; server_hostname?: string }[];
}

export function tritonTargets(a: Answer, role: 'container' | 'cn', dnsSuffix: string, port: number, source: string): TargetGroup[] {
  const P = '__meta_triton_';
  if (role === 'cn') {
    return (a.cns ?? []).map((cn, i) => ({ targets: [`${cn.server_uuid ?? ''}.${dnsSuffix}:${port}`], labels: { [`${P}machine_id`]: cn.server_uuid ?? '', [`${P}machine_alias`]: cn.server_hostname ?? '' }, source: `${source}/${i}` }));
  }
  return (a.containers ?? []).map((c, i) => {
    const l: Record<string, string> = {
      [`${P}machine_id`]: c.vm_uuid ?? '',
      [`${P}machine_alias`]: c.vm_alias ?? '',
      [`${P}machine_brand`]: c.vm_brand ?? '',
      [`${P}machine_image`]: c.vm_image_uuid ?? '',
      [`${P}server_id`]: c.server_uuid ?? '',
    };
    if ((c.groups ?? []).length > 0) l[`${P}groups`] = `,${c.groups!.join(',')},`;
    return { targets: [`${c.vm_uuid ?? ''}.${dnsSuffix}:${port}`], labels: l, source: `${source}/${i}` };
  });
}

export function tritonRefresh(c: GenericSdConfig, scheme = 'https'): Refresh {
  const s = c.settings as unknown as TritonSettings;
  // Triton has no inline HTTP settings, only its own tls_config (client certificate and CA).
  const api = new ApiClient(plainHttp(s.tls_config), Math.max(s.refresh_interval, 10_000));
  return async (signal) => {
    let endpoint = `${scheme}://${s.endpoint}:${s.port}/v${s.version}/${s.role === 'cn' ? 'gz/' : ''}discover`;
    if (s.groups.length > 0) endpoint += `?groups=${encodeURIComponent(s.groups.join(','))}`;
    return tritonTargets((await api.get(endpoint, signal)) as Answer, s.role, s.dns_suffix, s.port, endpoint);
  };
}
