// kubernetes_sd_configs: targets from the Kubernetes API, as Prometheus's Kubernetes discovery
// finds them. Each role watches its resources (and the ones it reads labels from) in every
// configured namespace; after any change, once every watch has its first list, the targets are
// built again from the local copies and reported.
import type { KubernetesSdConfig, KubernetesRole } from '../../config/index.js';
import type { TargetGroup } from '../target-group.js';
import type { Logger } from '../../util/logger.js';
import { connectionFor } from './connection.js';
import type { KubeConnection } from './connection.js';
import { Informer, RESOURCES, resourcePath } from './informer.js';
import type { ResourceKind } from './informer.js';
import type { KubeObject, Node, Pod, Service } from './objects.js';
import { buildEndpointSlice, buildEndpoints, buildIngress, buildNode, buildPod, buildService } from './targets.js';
import type { KubeGroup, Lookups } from './targets.js';
import { targetGroupOf } from '../util.js';

export { buildEndpointSlice, buildEndpoints, buildIngress, buildNode, buildPod, buildService } from './targets.js';
export type { KubeGroup, Lookups } from './targets.js';

type Kind = keyof typeof RESOURCES;

/** The resource a role's targets come from. */
const PRIMARY: Record<KubernetesRole, Kind> = {
  node: 'nodes',
  pod: 'pods',
  service: 'services',
  endpoints: 'endpoints',
  endpointslice: 'endpointslices',
  ingress: 'ingresses',
};

/** The selector role that filters each resource (the rest are watched unfiltered). */
const SELECTOR_ROLE: Partial<Record<Kind, KubernetesRole>> = {
  nodes: 'node',
  pods: 'pod',
  services: 'service',
  endpoints: 'endpoints',
  endpointslices: 'endpointslice',
  ingresses: 'ingress',
};

/** Splits a group into one group per target, the target's labels over the group's (our groups hold addresses only). */
export function toTargetGroups(g: KubeGroup): TargetGroup[] {
  return g.targets.map((t, i) => targetGroupOf({ ...g.labels, ...t }, `${g.source}/${i}`));
}

export class KubernetesDiscovery {
  private readonly informers = new Map<Kind, Informer<KubeObject>[]>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly config: KubernetesSdConfig,
    private readonly logger: Logger,
    private readonly onUpdate: (groups: TargetGroup[]) => void,
    private readonly o: {
      /** Tests pass a connection; otherwise it is made from the config. */
      connection?: KubeConnection;
      /** Each watch event (add, update, delete), for prometheus_sd_kubernetes_events_total. */
      onEvent?: (event: string) => void;
    } = {},
  ) {}

  start(): void {
    let conn: KubeConnection;
    try {
      conn = this.o.connection ?? connectionFor(this.config);
    } catch (e) {
      // Prometheus keeps the config and logs that this discoverer could not be created.
      this.logger.error('Cannot create service discovery', { type: 'kubernetes', err: (e as Error).message });
      return;
    }
    const c = this.config;
    const namespaces = c.namespaces.names.length === 0 && !(c.namespaces.ownNamespace && conn.ownNamespace !== undefined) ? [''] : [...c.namespaces.names, ...(c.namespaces.ownNamespace && conn.ownNamespace !== undefined ? [conn.ownNamespace] : [])];
    const withPods = c.role === 'pod' || c.role === 'endpoints' || c.role === 'endpointslice';
    const kinds = new Set<Kind>([PRIMARY[c.role]]);
    if (c.role === 'endpoints' || c.role === 'endpointslice') {
      kinds.add('services');
      kinds.add('pods');
    }
    if (c.attachMetadata.node && withPods) kinds.add('nodes');
    if (c.attachMetadata.namespace && c.role !== 'node') kinds.add('namespaces');
    if (c.attachMetadata.deployment && withPods) kinds.add('replicasets');
    if ((c.attachMetadata.job || c.attachMetadata.cronjob) && withPods) kinds.add('jobs');
    for (const kind of kinds) {
      const resource: ResourceKind = RESOURCES[kind];
      const selRole = SELECTOR_ROLE[kind];
      const sel = c.selectors.find((s) => s.role === selRole) ?? { label: '', field: '' };
      const list = (resource.namespaced ? namespaces : ['']).map((ns) => new Informer<KubeObject>(conn, resourcePath(resource, ns), sel, () => this.schedule(), this.logger.with({ role: c.role }), kind === PRIMARY[c.role] ? this.o.onEvent : undefined));
      this.informers.set(kind, list);
    }
    for (const list of this.informers.values()) for (const i of list) i.start();
  }

  stop(): void {
    this.stopped = true;
    for (const list of this.informers.values()) for (const i of list) i.stop();
  }

  /** Builds the targets once after a burst of changes (a list brings hundreds at once). */
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      if ([...this.informers.values()].some((list) => list.some((i) => !i.synced))) return;
      this.onUpdate(this.build());
    });
  }

  private get<T>(kind: Kind, key: string): T | undefined {
    for (const i of this.informers.get(kind) ?? []) {
      const o = i.store.get(key);
      if (o !== undefined) return o as T;
    }
    return undefined;
  }

  private all<T>(kind: Kind): T[] {
    return (this.informers.get(kind) ?? []).flatMap((i) => [...i.store.values()] as T[]);
  }

  /** Every target of the role from the current copies of the resources. */
  build(): TargetGroup[] {
    const c = this.config;
    const l: Lookups = {
      pod: (ns, name) => this.get<Pod>('pods', `${ns}/${name}`),
      service: (ns, name) => this.get<Service>('services', `${ns}/${name}`),
      node: (name) => this.get<Node>('nodes', name),
      namespace: (name) => this.get<KubeObject>('namespaces', name),
      replicaSet: (ns, name) => this.get<KubeObject>('replicasets', `${ns}/${name}`),
      job: (ns, name) => this.get<KubeObject>('jobs', `${ns}/${name}`),
      attach: { ...c.attachMetadata, node: c.attachMetadata.node && this.informers.has('nodes') },
    };
    const groups: KubeGroup[] = [];
    for (const o of this.all<KubeObject>(PRIMARY[c.role])) {
      switch (c.role) {
        case 'node': {
          const g = buildNode(o);
          if (g === undefined) this.logger.warn('No node address found', { node: o.metadata?.name ?? '', err: 'host address unknown' });
          else groups.push(g);
          break;
        }
        case 'pod':
          groups.push(buildPod(o, l));
          break;
        case 'service':
          groups.push(buildService(o, l));
          break;
        case 'endpoints':
          groups.push(buildEndpoints(o, l));
          break;
        case 'endpointslice':
          groups.push(buildEndpointSlice(o, l));
          break;
        case 'ingress':
          groups.push(buildIngress(o, l));
          break;
      }
    }
    return groups.flatMap(toTargetGroups);
  }
}
