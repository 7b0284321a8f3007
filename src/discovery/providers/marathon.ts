// marathon_sd_configs: the tasks of every Marathon app (one of the configured servers, picked at
// random each refresh), one target per port, with Prometheus's `__meta_marathon_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { Labels } from '../../model/labels.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { joinHostPort, sanitizeLabelName, secretSetting } from '../util.js';

interface PortMapping {
  labels?: Record<string, string>;
  containerPort?: number;
  hostPort?: number;
}

interface MarathonApp {
  id?: string;
  tasks?: { id?: string; host?: string; ports?: number[]; ipAddresses?: { ipAddress?: string }[] }[];
  container?: { docker?: { image?: string; portMappings?: PortMapping[] }; portMappings?: PortMapping[] };
  labels?: Record<string, string>;
  portDefinitions?: { labels?: Record<string, string>; port?: number }[];
  networks?: { mode?: string }[];
  requirePorts?: boolean;
}

const P = '__meta_marathon_';

export function marathonTargets(apps: MarathonApp[]): TargetGroup[] {
  const out: TargetGroup[] = [];
  for (const app of apps) {
    const containerNet = (app.networks ?? []).length > 0 && app.networks![0]!.mode === 'container';
    const group: Labels = { [`${P}app`]: app.id ?? '', [`${P}image`]: app.container?.docker?.image ?? '' };
    for (const [k, v] of Object.entries(app.labels ?? {})) group[`${P}app_label_${sanitizeLabelName(k)}`] = v;
    let ports: number[] = [];
    let portLabels: Record<string, string>[] = [];
    let prefix = '';
    const mappings = (app.container?.portMappings ?? []).length > 0 ? app.container!.portMappings! : (app.container?.docker?.portMappings ?? []);
    if (mappings.length > 0) {
      ports = mappings.map((m) => (containerNet ? (m.containerPort ?? 0) : (m.hostPort ?? 0)));
      portLabels = mappings.map((m) => m.labels ?? {});
      prefix = `${P}port_mapping_label_`;
    } else if ((app.portDefinitions ?? []).length > 0) {
      ports = app.portDefinitions!.map((d) => (app.requirePorts === true ? (d.port ?? 0) : 0));
      portLabels = app.portDefinitions!.map((d) => d.labels ?? {});
      prefix = `${P}port_definition_label_`;
    }
    for (const task of app.tasks ?? []) {
      const taskPorts = task.ports ?? [];
      if (ports.length === 0 && taskPorts.length !== 0) ports = taskPorts;
      ports.forEach((configured, i) => {
        const port = configured === 0 && taskPorts.length === ports.length ? taskPorts[i]! : configured;
        const host = containerNet && (task.ipAddresses ?? []).length > 0 ? (task.ipAddresses![0]!.ipAddress ?? '') : (task.host ?? '');
        const l: Labels = { ...group, [`${P}task`]: task.id ?? '', [`${P}port_index`]: String(i) };
        for (const [k, v] of Object.entries(portLabels[i] ?? {})) l[prefix + sanitizeLabelName(k)] = v;
        out.push({ targets: [joinHostPort(host, port)], labels: l, source: `${app.id ?? ''}/${out.length}` });
      });
    }
  }
  return out;
}

export function marathonRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as { servers: string[]; refresh_interval: number; auth_token: string; auth_token_file: string };
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  return async (signal) => {
    // Marathon's own token scheme (`Authorization: token=...`); the file is read again each time.
    const token = secretSetting(s.auth_token, s.auth_token_file);
    const server = s.servers[Math.floor(Math.random() * s.servers.length)]!;
    const doc = (await api.get(`${server}/v2/apps/?embed=apps.tasks`, signal, token !== '' ? { Authorization: `token=${token}` } : {})) as { apps?: MarathonApp[] };
    return marathonTargets(doc.apps ?? []);
  };
}
