// openstack_sd_configs: instances (Nova, with Neutron's floating IPs), hypervisors, or load
// balancers with a PROMETHEUS listener (Octavia), as Prometheus's OpenStack discovery gives them.
// Keystone v3 authentication (password or application credential; the OS_* environment when no
// identity_endpoint is set), endpoints taken from the token's catalog by region and interface.
import type { GenericSdConfig, TlsConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient, plainHttp } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { allPages, joinHostPort, sanitizeLabelName } from '../util.js';

interface OpenstackSettings {
  identity_endpoint: string;
  username: string;
  userid: string;
  password: string;
  project_name: string;
  project_id: string;
  domain_name: string;
  domain_id: string;
  application_credential_name: string;
  application_credential_id: string;
  application_credential_secret: string;
  role: 'instance' | 'hypervisor' | 'loadbalancer';
  region: string;
  refresh_interval: number;
  port: number;
  all_tenants: boolean;
  tls_config: TlsConfig;
  availability: string;
}

interface Catalog {
  type?: string;
  endpoints?: { interface?: string; region?: string; region_id?: string; url?: string }[];
}

const P = '__meta_openstack_';

/** The Keystone v3 auth request for these settings (the OS_* environment fills in what the config leaves out when no endpoint is configured). */
export function keystoneAuth(s: OpenstackSettings, env: NodeJS.ProcessEnv = process.env): { endpoint: string; body: unknown } {
  const fromEnv = s.identity_endpoint === '';
  const v = (conf: string, name: string): string => (fromEnv ? (env[name] ?? '') : conf);
  const endpoint = v(s.identity_endpoint, 'OS_AUTH_URL');
  if (endpoint === '') throw new Error('missing input for argument [auth_url]: set identity_endpoint or OS_AUTH_URL');
  const appId = v(s.application_credential_id, 'OS_APPLICATION_CREDENTIAL_ID');
  const appName = v(s.application_credential_name, 'OS_APPLICATION_CREDENTIAL_NAME');
  const appSecret = v(s.application_credential_secret, 'OS_APPLICATION_CREDENTIAL_SECRET');
  const domain = (id: string, name: string): Record<string, string> => (id !== '' ? { id } : { name });
  const userId = v(s.userid, 'OS_USERID');
  const userName = v(s.username, 'OS_USERNAME');
  const domainId = v(s.domain_id, 'OS_DOMAIN_ID') || (fromEnv ? (env.OS_USER_DOMAIN_ID ?? '') : '');
  const domainName = v(s.domain_name, 'OS_DOMAIN_NAME') || (fromEnv ? (env.OS_USER_DOMAIN_NAME ?? '') : '');
  const user = userId !== '' ? { id: userId } : { name: userName, domain: domain(domainId, domainName) };
  const identity =
    appSecret !== '' && (appId !== '' || appName !== '')
      ? { methods: ['application_credential'], application_credential: appId !== '' ? { id: appId, secret: appSecret } : { name: appName, secret: appSecret, user } }
      : { methods: ['password'], password: { user: { ...user, password: v(s.password, 'OS_PASSWORD') } } };
  const projectId = v(s.project_id, 'OS_PROJECT_ID') || (fromEnv ? (env.OS_TENANT_ID ?? '') : '');
  const projectName = v(s.project_name, 'OS_PROJECT_NAME') || (fromEnv ? (env.OS_TENANT_NAME ?? '') : '');
  const scope = identity.methods[0] === 'application_credential' ? undefined : projectId !== '' ? { project: { id: projectId } } : projectName !== '' ? { project: { name: projectName, domain: domain(domainId, domainName) } } : undefined;
  return { endpoint: endpoint.replace(/\/$/, ''), body: { auth: { identity, ...(scope !== undefined ? { scope } : {}) } } };
}

/** The URL of a service in the catalog for a region and interface (public, internal, admin). */
export function catalogEndpoint(catalog: Catalog[], type: string, region: string, availability: string): string {
  const svc = catalog.find((c) => c.type === type);
  const ep = svc?.endpoints?.find((e) => e.interface === availability && (region === '' || e.region === region || e.region_id === region));
  if (ep?.url === undefined) throw new Error(`No suitable endpoint could be found in the service catalog (${type}, region ${region}, ${availability})`);
  return ep.url.replace(/\/$/, '');
}

interface Server {
  id?: string;
  name?: string;
  status?: string;
  tenant_id?: string;
  user_id?: string;
  flavor?: { original_name?: string; id?: string };
  image?: { id?: string } | string;
  metadata?: Record<string, string>;
  addresses?: Record<string, { addr?: string }[]>;
}

export function instanceTargets(servers: Server[], ports: { id?: string; device_id?: string }[], fips: { port_id?: string | null; fixed_ip_address?: string | null; floating_ip_address?: string }[], port: number, region: string): TargetGroup[] {
  const deviceOfPort = new Map(ports.map((p) => [p.id ?? '', p.device_id ?? '']));
  const floating = new Map<string, string>();
  const floatingPresent = new Set<string>();
  for (const f of fips) {
    if (!f.port_id || !f.fixed_ip_address) continue;
    const device = deviceOfPort.get(f.port_id);
    if (device === undefined) continue;
    floating.set(`${device}/${f.fixed_ip_address}`, f.floating_ip_address ?? '');
    floatingPresent.add(f.floating_ip_address ?? '');
  }
  const out: TargetGroup[] = [];
  for (const s of servers) {
    if (Object.keys(s.addresses ?? {}).length === 0) continue;
    const flavor = s.flavor?.original_name ?? s.flavor?.id;
    if (flavor === undefined) continue;
    const l: Labels = { [`${P}instance_id`]: s.id ?? '', [`${P}instance_status`]: s.status ?? '', [`${P}instance_name`]: s.name ?? '', [`${P}project_id`]: s.tenant_id ?? '', [`${P}user_id`]: s.user_id ?? '', [`${P}instance_flavor`]: flavor };
    if (typeof s.image === 'object' && s.image.id !== undefined) l[`${P}instance_image`] = s.image.id;
    for (const [k, v] of Object.entries(s.metadata ?? {})) l[`${P}tag_${sanitizeLabelName(k)}`] = v;
    for (const [pool, addrs] of Object.entries(s.addresses ?? {})) {
      for (const a of addrs) {
        if (a.addr === undefined || floatingPresent.has(a.addr)) continue;
        const t: Labels = { ...l, [`${P}address_pool`]: pool, [`${P}private_ip`]: a.addr };
        const pub = floating.get(`${s.id ?? ''}/${a.addr}`);
        if (pub !== undefined) t[`${P}public_ip`] = pub;
        out.push({ targets: [joinHostPort(a.addr, port)], labels: t, source: `OS_${region}/${out.length}` });
      }
    }
  }
  return out;
}

export function openstackRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as unknown as OpenstackSettings;
  const api = new ApiClient(plainHttp(s.tls_config), Math.max(s.refresh_interval, 10_000));
  return async (signal) => {
    const { endpoint, body } = keystoneAuth(s);
    const auth = await api.request('POST', `${endpoint}/auth/tokens`, signal, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const token = auth.headers['x-subject-token'] ?? '';
    const catalog = (JSON.parse(auth.body) as { token?: { catalog?: Catalog[] } }).token?.catalog ?? [];
    const h = { 'X-Auth-Token': token };
    /** Every page of a list (`<key>` items, `<key>_links` or `links` with rel=next). */
    const all = <T>(url: string, key: string): Promise<T[]> =>
      allPages<T>(async (next) => {
        const doc = (await api.get(next ?? url, signal, h)) as Record<string, unknown>;
        const links = (doc[`${key}_links`] ?? doc.links) as { rel?: string; href?: string }[] | undefined;
        return { items: doc[key] as T[] | undefined, next: Array.isArray(links) ? links.find((x) => x.rel === 'next')?.href : undefined };
      });
    const src = `OS_${s.region}`;
    if (s.role === 'hypervisor') {
      const compute = catalogEndpoint(catalog, 'compute', s.region, s.availability);
      const hvs = await all<{ id?: string | number; hypervisor_hostname?: string; host_ip?: string; status?: string; state?: string; hypervisor_type?: string }>(`${compute}/os-hypervisors/detail`, 'hypervisors');
      return hvs.map((hv, i) => ({
        targets: [joinHostPort(hv.host_ip ?? '', s.port)],
        labels: { [`${P}hypervisor_id`]: String(hv.id ?? ''), [`${P}hypervisor_hostname`]: hv.hypervisor_hostname ?? '', [`${P}hypervisor_host_ip`]: hv.host_ip ?? '', [`${P}hypervisor_status`]: hv.status ?? '', [`${P}hypervisor_state`]: hv.state ?? '', [`${P}hypervisor_type`]: hv.hypervisor_type ?? '' },
        source: `${src}/${i}`,
      }));
    }
    const network = catalogEndpoint(catalog, 'network', s.region, s.availability);
    const fips = await all<{ port_id?: string | null; fixed_ip_address?: string | null; floating_ip_address?: string }>(`${network}/v2.0/floatingips`, 'floatingips');
    if (s.role === 'loadbalancer') {
      const lbApi = catalogEndpoint(catalog, 'load-balancer', s.region, s.availability);
      const lbs = await all<{ id?: string; name?: string; operating_status?: string; provisioning_status?: string; availability_zone?: string | null; vip_address?: string; vip_port_id?: string; provider?: string; project_id?: string; tags?: string[] }>(`${lbApi}/v2/lbaas/loadbalancers`, 'loadbalancers');
      const listeners = await all<{ protocol?: string; protocol_port?: number; loadbalancers?: { id?: string }[] }>(`${lbApi}/v2/lbaas/listeners`, 'listeners');
      const fipOfPort = new Map(fips.filter((f) => f.port_id).map((f) => [f.port_id!, f.floating_ip_address ?? '']));
      const out: TargetGroup[] = [];
      for (const lb of lbs) {
        const listener = listeners.find((x) => x.protocol === 'PROMETHEUS' && (x.loadbalancers ?? []).some((r) => r.id === lb.id));
        if (listener === undefined) continue;
        const l: Labels = {
          [`${P}loadbalancer_id`]: lb.id ?? '',
          [`${P}loadbalancer_name`]: lb.name ?? '',
          [`${P}loadbalancer_operating_status`]: lb.operating_status ?? '',
          [`${P}loadbalancer_provisioning_status`]: lb.provisioning_status ?? '',
          [`${P}loadbalancer_availability_zone`]: lb.availability_zone ?? '',
          [`${P}loadbalancer_vip`]: lb.vip_address ?? '',
          [`${P}loadbalancer_provider`]: lb.provider ?? '',
          [`${P}project_id`]: lb.project_id ?? '',
        };
        if ((lb.tags ?? []).length > 0) l[`${P}loadbalancer_tags`] = lb.tags!.join(',');
        const fip = fipOfPort.get(lb.vip_port_id ?? '');
        if (fip !== undefined) l[`${P}loadbalancer_floating_ip`] = fip;
        out.push({ targets: [joinHostPort(lb.vip_address ?? '', listener.protocol_port ?? 0)], labels: l, source: `${src}/${out.length}` });
      }
      return out;
    }
    const compute = catalogEndpoint(catalog, 'compute', s.region, s.availability);
    const ports = await all<{ id?: string; device_id?: string }>(`${network}/v2.0/ports`, 'ports');
    const servers = await all<Server>(`${compute}/servers/detail${s.all_tenants ? '?all_tenants=true' : ''}`, 'servers');
    return instanceTargets(servers, ports, fips, s.port, s.region);
  };
}
