// The other service-discovery sections of prometheus.yml (Consul, EC2, Azure, Docker, ...):
// their keys, defaults and checks as Prometheus 3.x reads them, described as data. Every section
// is read and validated, so a typo is an error at load as in Prometheus; which of them also
// discover targets is decided in src/discovery (the others are reported at every load).
import type { Node, YamlFile } from './yaml-reader.js';
import type { HttpClientConfig, TlsConfig } from '../common/http-config/index.js';
import { goUrl, httpUrlProblem } from './go-url.js';

/** A field's kind: string, secret string, file path (relative to the config's directory), bool, int, duration, string list, string map, `{name, values}` filters, or a TLS block. */
type FieldKind = 's' | 'secret' | 'file' | 'b' | 'i' | 'd' | 'ss' | 'map' | 'filters' | 'tls';

export type SdValue = string | number | boolean | string[] | Record<string, string> | { name: string; values: string[] }[] | TlsConfig;

export interface GenericSdConfig {
  /** The mechanism, as Prometheus names it (`consul`, `ec2`, ...). */
  mechanism: string;
  /** Every field with its value or default (durations in ms). */
  settings: Record<string, SdValue>;
  /** The inline HTTP client settings, for mechanisms that have them. */
  http?: HttpClientConfig;
}

interface SdSpec {
  /** Go package for the unknown-field message (`field x not found in type <pkg>.plain`). */
  pkg: string;
  /** Field kinds, with defaults where Prometheus has one. */
  fields: Record<string, [FieldKind, SdValue?]>;
  /** Whether the HTTP client settings are inline. */
  http: boolean;
  /** Prometheus's checks; `v` holds the values with defaults, `has` tells what was written. */
  check?: (v: Record<string, SdValue>, has: (k: string) => boolean, h: HttpClientConfig | undefined) => string | undefined;
}

const MIN = 60_000;
const AWS_COMMON: SdSpec['fields'] = { region: ['s', ''], endpoint: ['s', ''], access_key: ['s', ''], secret_key: ['secret', ''], profile: ['s', ''], role_arn: ['s', ''], external_id: ['s', ''], refresh_interval: ['d', MIN], port: ['i', 80] };
const AWS_CLUSTERS: SdSpec['fields'] = { ...AWS_COMMON, clusters: ['ss', []], request_concurrency: ['i', 10] };

const str = (v: SdValue | undefined): string => (typeof v === 'string' ? v : '');
const isEmptyList = (v: SdValue | undefined): boolean => !Array.isArray(v) || v.length === 0;

function zkPaths(what: string): SdSpec['check'] {
  return (v) => {
    if (isEmptyList(v.servers)) return `${what} SD config must contain at least one Zookeeper server`;
    if (isEmptyList(v.paths)) return `${what} SD config must contain at least one path`;
    const bad = (v.paths as string[]).find((p) => !p.startsWith('/'));
    return bad !== undefined ? `${what} SD config paths must begin with '/': ${bad}` : undefined;
  };
}

export const SD_SPECS: Record<string, SdSpec> = {
  azure: {
    pkg: 'azure',
    http: true,
    fields: { environment: ['s', 'AzurePublicCloud'], port: ['i', 80], subscription_id: ['s', ''], tenant_id: ['s', ''], client_id: ['s', ''], client_secret: ['secret', ''], refresh_interval: ['d', 5 * MIN], authentication_method: ['s', 'OAuth'], resource_group: ['s', ''] },
    check: (v) => {
      const need = (k: string): string | undefined => (str(v[k]) === '' ? `azure SD configuration requires a ${k}` : undefined);
      const m = need('subscription_id') ?? (v.authentication_method === 'OAuth' ? (need('tenant_id') ?? need('client_id') ?? need('client_secret')) : undefined);
      if (m !== undefined) return m;
      if (!['OAuth', 'ManagedIdentity', 'SDK', 'WorkloadIdentity'].includes(str(v.authentication_method))) return `unknown authentication_type ${JSON.stringify(v.authentication_method)}. Supported types are "OAuth", "ManagedIdentity", "SDK" or "WorkloadIdentity"`;
      return undefined;
    },
  },
  consul: {
    pkg: 'consul',
    http: true,
    fields: {
      server: ['s', 'localhost:8500'], path_prefix: ['s', ''], token: ['secret', ''], datacenter: ['s', ''], namespace: ['s', ''], partition: ['s', ''], tag_separator: ['s', ','], scheme: ['s', 'http'],
      username: ['s', ''], password: ['secret', ''], allow_stale: ['b', true], refresh_interval: ['d', 30_000], services: ['ss', []], tags: ['ss', []], node_meta: ['map', {}], filter: ['s', ''], health_filter: ['s', ''],
    },
    check: (v, _has, h) => {
      if (str(v.server).trim() === '') return 'consul SD configuration requires a server address';
      if ((str(v.username) !== '' || str(v.password) !== '') && h?.basicAuth !== undefined) return 'at most one of consul SD configuration username and password and basic auth can be configured';
      if (str(v.token) !== '' && (h?.authorization !== undefined || h?.oauth2 !== undefined)) return 'at most one of consul SD token, authorization, or oauth2 can be configured';
      return undefined;
    },
  },
  digitalocean: {
    pkg: 'digitalocean',
    http: true,
    fields: { refresh_interval: ['d', MIN], port: ['i', 80], role: ['s', 'droplets'] },
    check: (v) => (['droplets', 'databases'].includes(str(v.role)) ? undefined : str(v.role) === '' ? 'role missing (one of: droplets, databases)' : `unknown DigitalOcean SD role ${JSON.stringify(v.role)}`),
  },
  docker: {
    pkg: 'moby',
    http: true,
    fields: { host: ['s', ''], port: ['i', 80], filters: ['filters', []], host_networking_host: ['s', 'localhost'], refresh_interval: ['d', MIN], match_first_network: ['b', true] },
    check: (v) => (str(v.host) === '' ? 'host missing' : undefined),
  },
  dockerswarm: {
    pkg: 'moby',
    http: true,
    fields: { host: ['s', ''], role: ['s', ''], port: ['i', 80], filters: ['filters', []], refresh_interval: ['d', MIN] },
    check: (v) => {
      if (str(v.host) === '') return 'host missing';
      if (str(v.role) === '') return 'role missing (one of: tasks, services, nodes)';
      return ['services', 'nodes', 'tasks'].includes(str(v.role)) ? undefined : `invalid role ${str(v.role)}, expected tasks, services, or nodes`;
    },
  },
  aws: {
    pkg: 'aws',
    http: true,
    fields: { role: ['s', ''], ...AWS_COMMON, filters: ['filters', []], clusters: ['ss', []] },
    check: (v) => (['ec2', 'ecs', 'elasticache', 'lightsail', 'msk', 'rds'].includes(str(v.role)) ? undefined : `unknown AWS SD role ${JSON.stringify(v.role)}`),
  },
  ec2: {
    pkg: 'aws',
    http: true,
    fields: { ...AWS_COMMON, filters: ['filters', []] },
    check: (v) => ((v.filters as { values: string[] }[]).some((f) => f.values.length === 0) ? 'EC2 SD configuration filter values cannot be empty' : undefined),
  },
  ecs: { pkg: 'aws', http: true, fields: { ...AWS_CLUSTERS, request_concurrency: ['i', 20] } },
  elasticache: { pkg: 'aws', http: true, fields: AWS_CLUSTERS },
  msk: { pkg: 'aws', http: true, fields: AWS_CLUSTERS },
  rds: { pkg: 'aws', http: true, fields: { ...AWS_CLUSTERS, filters: ['filters', []] } },
  lightsail: { pkg: 'aws', http: true, fields: AWS_COMMON },
  eureka: {
    pkg: 'eureka',
    http: true,
    fields: { server: ['s', ''], refresh_interval: ['d', 30_000] },
    check: (v) => {
      if (str(v.server) === '') return 'eureka_sd: empty or null eureka server';
      const u = goUrl(str(v.server));
      return u.scheme === '' || u.host === '' ? 'eureka_sd: invalid eureka server URL' : undefined;
    },
  },
  gce: {
    pkg: 'gce',
    http: false,
    fields: { project: ['s', ''], zone: ['s', ''], filter: ['s', ''], refresh_interval: ['d', MIN], port: ['i', 80], tag_separator: ['s', ','] },
    check: (v) => (str(v.project) === '' ? 'GCE SD configuration requires a project' : str(v.zone) === '' ? 'GCE SD configuration requires a zone' : undefined),
  },
  hetzner: {
    pkg: 'hetzner',
    http: true,
    fields: { refresh_interval: ['d', MIN], port: ['i', 80], role: ['s', ''], label_selector: ['s', ''] },
    check: (v) => (str(v.role) === '' ? 'role missing (one of: robot, hcloud)' : ['robot', 'hcloud'].includes(str(v.role)) ? undefined : `unknown role ${JSON.stringify(v.role)}`),
  },
  ionos: {
    pkg: 'ionos',
    http: true,
    fields: { datacenter_id: ['s', ''], refresh_interval: ['d', MIN], port: ['i', 80] },
    check: (v) => (str(v.datacenter_id) === '' ? "datacenter id can't be empty" : undefined),
  },
  kuma: {
    pkg: 'xds',
    http: true,
    fields: { server: ['s', ''], client_id: ['s', ''], refresh_interval: ['d', 15_000], fetch_timeout: ['d', 2 * MIN] },
    check: (v) => {
      if (str(v.server) === '') return `kuma SD server must not be empty: ${str(v.server)}`;
      const u = goUrl(str(v.server));
      return u.scheme === '' || u.host === '' ? `kuma SD server must not be empty and have a scheme: ${str(v.server)}` : undefined;
    },
  },
  linode: { pkg: 'linode', http: true, fields: { refresh_interval: ['d', MIN], port: ['i', 80], tag_separator: ['s', ','], region: ['s', ''] } },
  marathon: {
    pkg: 'marathon',
    http: true,
    fields: { servers: ['ss', []], refresh_interval: ['d', 30_000], auth_token: ['secret', ''], auth_token_file: ['file', ''] },
    check: (v, has, h) => {
      if (isEmptyList(v.servers)) return 'marathon_sd: must contain at least one Marathon server';
      const token = str(v.auth_token) !== '';
      const tokenFile = str(v.auth_token_file) !== '';
      if (token && tokenFile) return 'marathon_sd: at most one of auth_token & auth_token_file must be configured';
      if (token || tokenFile) {
        if (h?.basicAuth !== undefined) return 'marathon_sd: at most one of basic_auth, auth_token & auth_token_file must be configured';
        if (has('bearer_token') || has('bearer_token_file')) return 'marathon_sd: at most one of bearer_token, bearer_token_file, auth_token & auth_token_file must be configured';
        if (h?.authorization !== undefined) return 'marathon_sd: at most one of auth_token, auth_token_file & authorization must be configured';
      }
      return undefined;
    },
  },
  nerve: { pkg: 'zookeeper', http: false, fields: { servers: ['ss', []], paths: ['ss', []], timeout: ['d', 10_000] }, check: zkPaths('nerve') },
  serverset: { pkg: 'zookeeper', http: false, fields: { servers: ['ss', []], paths: ['ss', []], timeout: ['d', 10_000] }, check: zkPaths('serverset') },
  nomad: {
    pkg: 'nomad',
    http: true,
    fields: { allow_stale: ['b', true], namespace: ['s', 'default'], refresh_interval: ['d', MIN], region: ['s', 'global'], server: ['s', 'http://localhost:4646'], tag_separator: ['s', ','] },
    check: (v) => (str(v.server).trim() === '' ? 'nomad SD configuration requires a server address' : undefined),
  },
  oci: {
    pkg: 'oci',
    http: true,
    fields: { auth: ['s', 'api_key'], tenancy: ['s', ''], user: ['s', ''], fingerprint: ['s', ''], key_file: ['file', ''], key_passphrase: ['secret', ''], key_passphrase_file: ['file', ''], region: ['s', ''], compartments: ['ss', []], port: ['i', 80], refresh_interval: ['d', MIN] },
    check: (v) => {
      if (str(v.region) === '') return 'oci_sd: region is required';
      if (v.auth === 'api_key') {
        for (const k of ['tenancy', 'user', 'fingerprint', 'key_file']) if (str(v[k]) === '') return `oci_sd: api_key auth requires ${k}`;
        if (str(v.key_passphrase) !== '' && str(v.key_passphrase_file) !== '') return 'oci_sd: at most one of key_passphrase and key_passphrase_file must be configured';
      } else if (v.auth === 'instance_principal') {
        if (['tenancy', 'user', 'fingerprint', 'key_file', 'key_passphrase', 'key_passphrase_file'].some((k) => str(v[k]) !== '')) return 'oci_sd: instance_principal auth must not have tenancy, user, fingerprint, key_file, key_passphrase, or key_passphrase_file set';
      } else return `oci_sd: unknown auth method ${JSON.stringify(v.auth)}, expected "api_key" or "instance_principal"`;
      const i = (v.compartments as string[]).findIndex((c) => c === '');
      if (i >= 0) return `oci_sd: compartments[${i}] must not be empty`;
      return (v.refresh_interval as number) <= 0 ? 'oci_sd: refresh_interval must be positive' : undefined;
    },
  },
  openstack: {
    pkg: 'openstack',
    http: false,
    fields: {
      identity_endpoint: ['s', ''], username: ['s', ''], userid: ['s', ''], password: ['secret', ''], project_name: ['s', ''], project_id: ['s', ''], domain_name: ['s', ''], domain_id: ['s', ''],
      application_credential_name: ['s', ''], application_credential_id: ['s', ''], application_credential_secret: ['secret', ''], role: ['s', ''], region: ['s', ''], refresh_interval: ['d', MIN], port: ['i', 80],
      all_tenants: ['b', false], tls_config: ['tls'], availability: ['s', 'public'],
    },
    check: (v) => {
      if (!['public', 'internal', 'admin'].includes(str(v.availability))) return `unknown availability ${str(v.availability)}, must be one of admin, internal or public`;
      if (str(v.role) === '') return 'role missing (one of: instance, hypervisor, loadbalancer)';
      if (!['instance', 'hypervisor', 'loadbalancer'].includes(str(v.role))) return `unknown OpenStack SD role ${JSON.stringify(v.role)}`;
      return str(v.region) === '' ? 'openstack SD configuration requires a region' : undefined;
    },
  },
  outscale: {
    pkg: 'outscale',
    http: true,
    fields: { endpoint: ['s', ''], region: ['s', 'eu-west-2'], access_key: ['s', ''], secret_key: ['secret', ''], secret_key_file: ['file', ''], refresh_interval: ['d', MIN], port: ['i', 80] },
    check: (v) => {
      if (str(v.region) === '') return 'outscale SD configuration requires a region';
      if (str(v.access_key) === '') return 'outscale SD configuration requires access_key';
      if (str(v.secret_key) === '' && str(v.secret_key_file) === '') return 'one of secret_key & secret_key_file must be configured';
      return str(v.secret_key) !== '' && str(v.secret_key_file) !== '' ? 'at most one of secret_key & secret_key_file must be configured' : undefined;
    },
  },
  ovhcloud: {
    pkg: 'ovhcloud',
    http: false,
    fields: { endpoint: ['s', 'ovh-eu'], application_key: ['s', ''], application_secret: ['secret', ''], consumer_key: ['secret', ''], refresh_interval: ['d', MIN], service: ['s', ''] },
    check: (v) => {
      if (str(v.endpoint) === '') return 'endpoint can not be empty';
      if (str(v.application_key) === '') return 'application key can not be empty';
      if (str(v.application_secret) === '') return 'application secret can not be empty';
      if (str(v.consumer_key) === '') return 'consumer key can not be empty';
      return ['dedicated_server', 'vps'].includes(str(v.service)) ? undefined : `unknown service: ${str(v.service)}`;
    },
  },
  puppetdb: {
    pkg: 'puppetdb',
    http: true,
    fields: { refresh_interval: ['d', MIN], url: ['s', ''], query: ['s', ''], include_parameters: ['b', false], port: ['i', 80] },
    check: (v) => {
      return httpUrlProblem(str(v.url)) ?? (str(v.query) === '' ? 'query missing' : undefined);
    },
  },
  scaleway: {
    pkg: 'scaleway',
    http: true,
    fields: {
      project_id: ['s', ''], api_url: ['s', 'https://api.scaleway.com'], zone: ['s', 'fr-par-1'], access_key: ['s', ''], secret_key: ['secret', ''], secret_key_file: ['file', ''], name_filter: ['s', ''], tags_filter: ['ss', []],
      refresh_interval: ['d', MIN], port: ['i', 80], role: ['s', ''],
    },
    check: (v) => {
      if (str(v.role) === '') return 'role missing (one of: instance, baremetal)';
      if (!['instance', 'baremetal'].includes(str(v.role))) return `unknown role ${JSON.stringify(v.role)}`;
      if (str(v.project_id) === '') return 'project_id is mandatory';
      if (str(v.secret_key) === '' && str(v.secret_key_file) === '') return 'one of secret_key & secret_key_file must be configured';
      if (str(v.secret_key) !== '' && str(v.secret_key_file) !== '') return 'at most one of secret_key & secret_key_file must be configured';
      return str(v.access_key) === '' ? 'access_key is mandatory' : undefined;
    },
  },
  stackit: {
    pkg: 'stackit',
    http: true,
    fields: { project: ['s', ''], refresh_interval: ['d', MIN], port: ['i', 80], region: ['s', 'eu01'], endpoint: ['s', ''], service_account_key: ['secret', ''], private_key: ['secret', ''], service_account_key_path: ['file', ''], private_key_path: ['file', ''], credentials_file_path: ['file', ''] },
    check: (v) => {
      if (str(v.endpoint) === '' && str(v.region) === '') return 'stackit_sd: endpoint and region missing';
      return goUrl(str(v.endpoint)).ok ? undefined : `stackit_sd: invalid endpoint ${JSON.stringify(v.endpoint)}: missing protocol scheme`;
    },
  },
  triton: {
    pkg: 'triton',
    http: false,
    fields: { account: ['s', ''], role: ['s', 'container'], dns_suffix: ['s', ''], endpoint: ['s', ''], groups: ['ss', []], port: ['i', 9163], refresh_interval: ['d', MIN], tls_config: ['tls'], version: ['i', 1] },
    check: (v) => {
      if (v.role !== 'container' && v.role !== 'cn') return "triton SD configuration requires role to be 'container' or 'cn'";
      for (const [k, what] of [['account', 'an account'], ['dns_suffix', 'a dns_suffix'], ['endpoint', 'an endpoint']]) if (str(v[k!]) === '') return `triton SD configuration requires ${what!}`;
      return (v.refresh_interval as number) <= 0 ? 'triton SD configuration requires RefreshInterval to be a positive integer' : undefined;
    },
  },
  uyuni: {
    pkg: 'uyuni',
    http: true,
    fields: { server: ['s', ''], username: ['s', ''], password: ['secret', ''], entitlement: ['s', 'monitoring_entitled'], separator: ['s', ','], refresh_interval: ['d', MIN] },
    check: (v) => {
      if (str(v.server) === '') return 'Uyuni SD configuration requires server host';
      if (!goUrl(str(v.server)).ok) return 'Uyuni Server URL is not valid: missing protocol scheme';
      if (str(v.username) === '') return 'Uyuni SD configuration requires a username';
      return str(v.password) === '' ? 'Uyuni SD configuration requires a password' : undefined;
    },
  },
  vultr: { pkg: 'vultr', http: true, fields: { refresh_interval: ['d', MIN], port: ['i', 80] } },
};

/** The prometheus.yml keys of these sections (`consul_sd_configs`, ...). */
export const GENERIC_SD_KEYS = Object.keys(SD_SPECS).map((m) => `${m}_sd_configs`);

/** What the reader needs from the prometheus.yml loader. */
export interface GenericSdReaderContext {
  y: YamlFile;
  http(m: Map<string, Node>, where: Node): HttpClientConfig;
  path(p: string | undefined): string | undefined;
}

/** Reads every `<mechanism>_sd_configs` section of a scrape or Alertmanager config. */
export function readGenericSdConfigs(c: GenericSdReaderContext, m: Map<string, Node>, httpFields: readonly string[]): GenericSdConfig[] {
  const y = c.y;
  const out: GenericSdConfig[] = [];
  for (const [mechanism, spec] of Object.entries(SD_SPECS)) {
    for (const s of y.seq(m.get(`${mechanism}_sd_configs`), `${mechanism}_sd_configs`)) {
      const fm = y.map(s, `${spec.pkg}.plain`, [...Object.keys(spec.fields), ...(spec.http ? httpFields : [])]);
      const settings: Record<string, SdValue> = {};
      for (const [k, [kind, dflt]] of Object.entries(spec.fields)) {
        const n = fm.get(k);
        switch (kind) {
          case 's':
          case 'secret':
            settings[k] = y.str(n, k, str(dflt));
            break;
          case 'file':
            settings[k] = c.path(y.str(n, k)) ?? '';
            break;
          case 'b':
            settings[k] = y.bool(n, k, dflt === true);
            break;
          case 'i':
            settings[k] = y.int(n, k, typeof dflt === 'number' ? dflt : 0);
            break;
          case 'd':
            settings[k] = y.duration(n, k, typeof dflt === 'number' ? dflt : 0);
            break;
          case 'ss':
            settings[k] = n === undefined ? [] : y.strings(n, k);
            break;
          case 'map':
            settings[k] = n === undefined ? {} : y.stringMap(n, k);
            break;
          case 'filters':
            settings[k] = y.seq(n, k).map((f) => {
              const fmap = y.map(f, `${spec.pkg}.Filter`, ['name', 'values']);
              return { name: y.str(fmap.get('name'), 'name'), values: fmap.get('values') === undefined ? [] : y.strings(fmap.get('values'), 'values') };
            });
            break;
          case 'tls':
            settings[k] = c.http(new Map(n !== undefined ? [['tls_config', n]] : []), s).tls;
            break;
        }
      }
      const http = spec.http ? c.http(fm, s) : undefined;
      const problem = spec.check?.(settings, (k) => fm.has(k), http);
      if (problem !== undefined) y.fail(s, problem);
      out.push({ mechanism, settings, ...(http !== undefined ? { http } : {}) });
    }
  }
  return out;
}
