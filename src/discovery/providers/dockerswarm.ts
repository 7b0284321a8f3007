// dockerswarm_sd_configs: a Swarm's nodes, services (their virtual IPs) or tasks, as
// Prometheus's Docker Swarm discovery gives them, with `__meta_dockerswarm_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, sanitizeLabelName } from '../util.js';
import { dockerFilters, dockerGetter, networkLabels } from './docker.js';

interface SwarmSettings {
  host: string;
  role: 'nodes' | 'services' | 'tasks';
  port: number;
  filters: { name: string; values: string[] }[];
  refresh_interval: number;
}

interface PortConfig {
  Name?: string;
  Protocol?: string;
  PublishMode?: string;
  PublishedPort?: number;
}

interface SwarmNode {
  ID?: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> | null };
  Description?: { Hostname?: string; Platform?: { Architecture?: string; OS?: string }; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string } | null;
}

interface SwarmService {
  ID?: string;
  Spec?: { Name?: string; Mode?: { Global?: unknown; Replicated?: unknown }; TaskTemplate?: { ContainerSpec?: { Hostname?: string; Image?: string } | null }; Labels?: Record<string, string> | null };
  UpdateStatus?: { State?: string } | null;
  Endpoint?: { VirtualIPs?: { NetworkID?: string; Addr?: string }[] | null; Ports?: PortConfig[] | null };
}

interface SwarmTask {
  ID?: string;
  DesiredState?: string;
  Slot?: number;
  ServiceID?: string;
  NodeID?: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } | null; PortStatus?: { Ports?: PortConfig[] | null } };
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> | null } | null };
  NetworksAttachments?: { Network?: { ID?: string }; Addresses?: string[] | null }[] | null;
}

const P = '__meta_dockerswarm_';
const ipOf = (cidr: string): string => cidr.replace(/\/\d+$/, '');

function nodeLabels(n: SwarmNode, withEngine: boolean): Labels {
  const l: Labels = {
    [`${P}node_id`]: n.ID ?? '',
    [`${P}node_role`]: n.Spec?.Role ?? '',
    [`${P}node_availability`]: n.Spec?.Availability ?? '',
    [`${P}node_hostname`]: n.Description?.Hostname ?? '',
    [`${P}node_platform_architecture`]: n.Description?.Platform?.Architecture ?? '',
    [`${P}node_platform_os`]: n.Description?.Platform?.OS ?? '',
    [`${P}node_status`]: n.Status?.State ?? '',
    [`${P}node_address`]: n.Status?.Addr ?? '',
  };
  if (withEngine) l[`${P}node_engine_version`] = n.Description?.Engine?.EngineVersion ?? '';
  for (const [k, v] of Object.entries(n.Spec?.Labels ?? {})) l[`${P}node_label_${sanitizeLabelName(k)}`] = v;
  return l;
}

function serviceLabels(s: SwarmService): Labels {
  const mode = s.Spec?.Mode?.Global != null ? 'global' : s.Spec?.Mode?.Replicated != null ? 'replicated' : '';
  const l: Labels = { [`${P}service_id`]: s.ID ?? '', [`${P}service_name`]: s.Spec?.Name ?? '', [`${P}service_mode`]: mode };
  for (const [k, v] of Object.entries(s.Spec?.Labels ?? {})) l[`${P}service_label_${sanitizeLabelName(k)}`] = v;
  return l;
}

export function swarmNodeTargets(nodes: SwarmNode[], port: number): TargetGroup[] {
  return nodes.map((n, i) => {
    const l = nodeLabels(n, true);
    if (n.ManagerStatus) {
      l[`${P}node_manager_leader`] = String(n.ManagerStatus.Leader === true);
      l[`${P}node_manager_reachability`] = n.ManagerStatus.Reachability ?? '';
      l[`${P}node_manager_address`] = n.ManagerStatus.Addr ?? '';
    }
    return { targets: [joinHostPort(n.Status?.Addr ?? '', port)], labels: l, source: `DockerSwarm/${i}` };
  });
}

export function swarmServiceTargets(services: SwarmService[], nets: Map<string, Labels>, port: number): TargetGroup[] {
  const out: TargetGroup[] = [];
  for (const s of services) {
    const common = serviceLabels(s);
    const spec = s.Spec?.TaskTemplate?.ContainerSpec;
    if (spec) {
      common[`${P}service_task_container_hostname`] = spec.Hostname ?? '';
      common[`${P}service_task_container_image`] = spec.Image ?? '';
    }
    if (s.UpdateStatus) common[`${P}service_updating_status`] = s.UpdateStatus.State ?? '';
    for (const vip of s.Endpoint?.VirtualIPs ?? []) {
      const ip = ipOf(vip.Addr ?? '');
      const net = nets.get(vip.NetworkID ?? '') ?? {};
      const tcp = (s.Endpoint?.Ports ?? []).filter((e) => e.Protocol === 'tcp');
      for (const e of tcp) out.push({ targets: [joinHostPort(ip, e.PublishedPort ?? 0)], labels: { [`${P}service_endpoint_port_name`]: e.Name ?? '', [`${P}service_endpoint_port_publish_mode`]: e.PublishMode ?? '', ...common, ...net }, source: `DockerSwarm/${out.length}` });
      if (tcp.length === 0) out.push({ targets: [joinHostPort(ip, port)], labels: { ...common, ...net }, source: `DockerSwarm/${out.length}` });
    }
  }
  return out;
}

export function swarmTaskTargets(tasks: SwarmTask[], services: SwarmService[], nodes: SwarmNode[], nets: Map<string, Labels>, port: number): TargetGroup[] {
  const svcLabels = new Map(services.map((s) => [s.ID ?? '', serviceLabels(s)]));
  const svcPorts = new Map(services.map((s) => [s.ID ?? '', s.Endpoint?.Ports ?? []]));
  const nodeL = new Map(nodes.map((n) => [n.ID ?? '', nodeLabels(n, false)]));
  const out: TargetGroup[] = [];
  for (const t of tasks) {
    const common: Labels = { [`${P}task_id`]: t.ID ?? '', [`${P}task_desired_state`]: t.DesiredState ?? '', [`${P}task_state`]: t.Status?.State ?? '', [`${P}task_slot`]: String(t.Slot ?? 0) };
    if (t.Status?.ContainerStatus) common[`${P}task_container_id`] = t.Status.ContainerStatus.ContainerID ?? '';
    for (const [k, v] of Object.entries(t.Spec?.ContainerSpec?.Labels ?? {})) common[`${P}container_label_${sanitizeLabelName(k)}`] = v;
    Object.assign(common, svcLabels.get(t.ServiceID ?? '') ?? {}, nodeL.get(t.NodeID ?? '') ?? {});
    for (const p of t.Status?.PortStatus?.Ports ?? []) {
      if (p.Protocol !== 'tcp') continue;
      out.push({ targets: [joinHostPort(common[`${P}node_address`] ?? '', p.PublishedPort ?? 0)], labels: { [`${P}task_port_publish_mode`]: p.PublishMode ?? '', ...common }, source: `DockerSwarm/${out.length}` });
    }
    for (const att of t.NetworksAttachments ?? []) {
      const net = nets.get(att.Network?.ID ?? '') ?? {};
      for (const addr of att.Addresses ?? []) {
        const ip = ipOf(addr);
        const tcp = (svcPorts.get(t.ServiceID ?? '') ?? []).filter((p) => p.Protocol === 'tcp');
        for (const p of tcp) out.push({ targets: [joinHostPort(ip, p.PublishedPort ?? 0)], labels: { [`${P}task_port_publish_mode`]: p.PublishMode ?? '', ...common, ...net }, source: `DockerSwarm/${out.length}` });
        if (tcp.length === 0) out.push({ targets: [joinHostPort(ip, port)], labels: { ...common, ...net }, source: `DockerSwarm/${out.length}` });
      }
    }
  }
  return out;
}

export function dockerswarmRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as unknown as SwarmSettings;
  const get = dockerGetter(c, s.host, Math.max(s.refresh_interval, 10_000));
  const filters = `?filters=${dockerFilters(s.filters)}`;
  return async (signal) => {
    if (s.role === 'nodes') return swarmNodeTargets((await get(`/nodes${filters}`, signal)) as SwarmNode[], s.port);
    const nets = networkLabels((await get('/networks', signal)) as Parameters<typeof networkLabels>[0], P);
    if (s.role === 'services') return swarmServiceTargets((await get(`/services${filters}`, signal)) as SwarmService[], nets, s.port);
    const tasks = (await get(`/tasks${filters}`, signal)) as SwarmTask[];
    return swarmTaskTargets(tasks, (await get('/services', signal)) as SwarmService[], (await get('/nodes', signal)) as SwarmNode[], nets, s.port);
  };
}
