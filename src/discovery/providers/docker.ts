// docker_sd_configs: the containers of a Docker engine (its API over a unix socket or TCP), one
// target per TCP port per network (or one at the configured port when a container publishes
// none), with Prometheus's `__meta_docker_*` labels and the networks' labels.
import http from 'node:http';
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, sanitizeLabelName } from '../util.js';

export interface DockerSettings {
  host: string;
  port: number;
  filters: { name: string; values: string[] }[];
  host_networking_host: string;
  refresh_interval: number;
  match_first_network: boolean;
}

interface Network {
  Id?: string;
  Name?: string;
  Scope?: string;
  Internal?: boolean;
  Ingress?: boolean;
  Labels?: Record<string, string> | null;
}

interface EndpointSettings {
  NetworkID?: string;
  IPAddress?: string;
  GlobalIPv6Address?: string;
}

interface Container {
  Id?: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  Labels?: Record<string, string> | null;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, EndpointSettings | null> | null };
  Ports?: { IP?: string; PrivatePort?: number; PublicPort?: number; Type?: string }[];
}

/** GET on the Docker API: a unix socket (`unix:///var/run/docker.sock`) or HTTP(S) (`tcp://` is HTTP). */
export function dockerGetter(c: GenericSdConfig, host: string, timeoutMs: number): (path: string, signal: AbortSignal) => Promise<unknown> {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    return (path, signal) =>
      new Promise((resolve, reject) => {
        const req = http.get({ socketPath, path, headers: { Host: 'docker', Accept: 'application/json' }, signal, timeout: timeoutMs }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => {
            if ((res.statusCode ?? 0) !== 200) reject(new Error(`GET ${path}: Docker answered ${res.statusCode ?? 0}: ${body.slice(0, 200)}`));
            else {
              try {
                resolve(JSON.parse(body));
              } catch (e) {
                reject(new Error(`GET ${path}: invalid JSON: ${(e as Error).message}`));
              }
            }
          });
        });
        req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`)));
        req.on('error', reject);
      });
  }
  const base = host.replace(/^tcp:\/\//, 'http://').replace(/\/$/, '');
  const api = new ApiClient(c.http!, timeoutMs);
  return (path, signal) => api.get(base + path, signal);
}

/** `filters` as the Docker API takes them: a JSON object of name -> values. */
export function dockerFilters(filters: DockerSettings['filters']): string {
  const o: Record<string, string[]> = {};
  for (const f of filters) o[f.name] = [...(o[f.name] ?? []), ...f.values];
  return encodeURIComponent(JSON.stringify(o));
}

export function networkLabels(networks: Network[], prefix: string): Map<string, Labels> {
  const out = new Map<string, Labels>();
  for (const n of networks) {
    const l: Labels = {
      [`${prefix}network_id`]: n.Id ?? '',
      [`${prefix}network_name`]: n.Name ?? '',
      [`${prefix}network_scope`]: n.Scope ?? '',
      [`${prefix}network_internal`]: String(n.Internal === true),
      [`${prefix}network_ingress`]: String(n.Ingress === true),
    };
    for (const [k, v] of Object.entries(n.Labels ?? {})) l[`${prefix}network_label_${sanitizeLabelName(k)}`] = v;
    out.set(n.Id ?? '', l);
  }
  return out;
}

const P = '__meta_docker_';

export function dockerTargets(containers: Container[], nets: Map<string, Labels>, s: Pick<DockerSettings, 'port' | 'host_networking_host' | 'match_first_network'>): TargetGroup[] {
  const byId = new Map(containers.map((c) => [c.Id ?? '', c]));
  const out: TargetGroup[] = [];
  for (const c of containers) {
    if ((c.Names ?? []).length === 0) continue;
    const common: Labels = { [`${P}container_id`]: c.Id ?? '', [`${P}container_name`]: c.Names![0]!, [`${P}container_network_mode`]: c.HostConfig?.NetworkMode ?? '' };
    if (c.Image) common[`${P}container_image`] = c.Image;
    if (c.ImageID) common[`${P}container_image_id`] = c.ImageID;
    for (const [k, v] of Object.entries(c.Labels ?? {})) common[`${P}container_label_${sanitizeLabelName(k)}`] = v;
    let networks = Object.entries(c.NetworkSettings?.Networks ?? {});
    // A container sharing another's network (`container:<id>`) is reached through that one's networks.
    let mode = c.HostConfig?.NetworkMode ?? '';
    while (networks.length === 0 && mode.startsWith('container:')) {
      const other = byId.get(mode.slice('container:'.length));
      if (other === undefined) break;
      networks = Object.entries(other.NetworkSettings?.Networks ?? {});
      mode = other.HostConfig?.NetworkMode ?? '';
    }
    const present = networks.filter(([, n]) => n !== null);
    if (s.match_first_network && networks.length > 1 && present.length > 0) networks = [present.sort(([a], [b]) => (a < b ? -1 : 1))[0]!];
    for (const [, n] of networks) {
      if (n === null) continue;
      const ip = n.IPAddress ? n.IPAddress : (n.GlobalIPv6Address ?? '');
      const netLabels = nets.get(n.NetworkID ?? '') ?? {};
      let added = false;
      for (const p of c.Ports ?? []) {
        if (p.Type !== 'tcp') continue;
        const l: Labels = { [`${P}network_ip`]: ip, [`${P}port_private`]: String(p.PrivatePort ?? 0) };
        if ((p.PublicPort ?? 0) > 0) {
          l[`${P}port_public`] = String(p.PublicPort);
          l[`${P}port_public_ip`] = p.IP ?? '';
        }
        out.push({ targets: [joinHostPort(ip, p.PrivatePort ?? 0)], labels: { ...l, ...common, ...netLabels }, source: `Docker/${out.length}` });
        added = true;
      }
      if (!added) {
        const address = c.HostConfig?.NetworkMode !== 'host' ? joinHostPort(ip, s.port) : s.host_networking_host;
        out.push({ targets: [address], labels: { [`${P}network_ip`]: ip, ...common, ...netLabels }, source: `Docker/${out.length}` });
      }
    }
  }
  return out;
}

export function dockerRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as unknown as DockerSettings;
  const get = dockerGetter(c, s.host, Math.max(s.refresh_interval, 10_000));
  return async (signal) => {
    const containers = (await get(`/containers/json?filters=${dockerFilters(s.filters)}`, signal)) as Container[];
    const nets = networkLabels((await get('/networks', signal)) as Network[], P);
    return dockerTargets(containers, nets, s);
  };
}
