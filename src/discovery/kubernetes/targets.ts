// From Kubernetes objects to target groups with Prometheus's `__meta_kubernetes_*` labels, one
// builder per role (node, pod, service, endpoints, endpointslice, ingress). Pure functions of the
// objects and of lookups into the other watched resources, so they are tested without a cluster.
import type { Labels } from '../../model/labels.js';
import { joinHostPort, sanitizeLabelName } from '../util.js';
import type { Container, ContainerStatus, EndpointSlice, Endpoints, Ingress, KubeObject, Node, ObjectMeta, Owned, Pod, Service } from './objects.js';

const P = '__meta_kubernetes_';

/** A discovered group: labels shared by its targets, and each target's own labels (with `__address__`). */
export interface KubeGroup {
  source: string;
  labels: Labels;
  targets: Labels[];
}

/** The other watched resources a builder may consult, and the metadata to attach. */
export interface Lookups {
  pod(namespace: string, name: string): Pod | undefined;
  service(namespace: string, name: string): Service | undefined;
  node(name: string): Node | undefined;
  namespace(name: string): KubeObject | undefined;
  replicaSet(namespace: string, name: string): Owned | undefined;
  job(namespace: string, name: string): Owned | undefined;
  attach: { node: boolean; namespace: boolean; deployment: boolean; job: boolean; cronjob: boolean };
}

function addLabelsAndAnnotations(ls: Labels, meta: ObjectMeta | undefined, resource: string): void {
  for (const [k, v] of Object.entries(meta?.labels ?? {})) {
    const ln = sanitizeLabelName(k);
    ls[`${P}${resource}_label_${ln}`] = v;
    ls[`${P}${resource}_labelpresent_${ln}`] = 'true';
  }
  for (const [k, v] of Object.entries(meta?.annotations ?? {})) {
    const ln = sanitizeLabelName(k);
    ls[`${P}${resource}_annotation_${ln}`] = v;
    ls[`${P}${resource}_annotationpresent_${ln}`] = 'true';
  }
}

function addObjectMeta(ls: Labels, meta: ObjectMeta | undefined, role: string): void {
  ls[`${P}${role}_name`] = meta?.name ?? '';
  addLabelsAndAnnotations(ls, meta, role);
}

function controllerOf(o: KubeObject): { kind?: string; name?: string } | undefined {
  return o.metadata?.ownerReferences?.find((r) => r.controller === true);
}

function addNamespaceLabels(ls: Labels, l: Lookups, namespace: string): void {
  if (!l.attach.namespace) return;
  const ns = l.namespace(namespace);
  if (ns !== undefined) addLabelsAndAnnotations(ls, ns.metadata, 'namespace');
}

function addNodeLabels(ls: Labels, l: Lookups, nodeName: string | undefined): void {
  if (nodeName === undefined) return;
  const node = l.node(nodeName);
  if (node !== undefined) addObjectMeta(ls, node.metadata, 'node');
}

// ---- node ----

/** The node's address by Kubernetes's priority, and every address by type. */
function nodeAddress(n: Node): { address?: string; byType: Map<string, string[]> } {
  const byType = new Map<string, string[]>();
  for (const a of n.status?.addresses ?? []) {
    const list = byType.get(a.type ?? '') ?? [];
    list.push(a.address ?? '');
    byType.set(a.type ?? '', list);
  }
  for (const t of ['InternalIP', 'InternalDNS', 'ExternalIP', 'ExternalDNS', 'LegacyHostIP', 'Hostname']) {
    const a = byType.get(t);
    if (a !== undefined) return { address: a[0]!, byType };
  }
  return { byType };
}

export function nodeLabels(n: Node): Labels {
  const ls: Labels = { [`${P}node_provider_id`]: n.spec?.providerID ?? '' };
  for (const c of n.status?.conditions ?? []) ls[`${P}node_condition_${sanitizeLabelName((c.type ?? '').toLowerCase())}`] = (c.status ?? '').toLowerCase();
  addObjectMeta(ls, n.metadata, 'node');
  return ls;
}

/** A node's kubelet as a target; undefined (logged by the caller) when the node has no address. */
export function buildNode(n: Node): KubeGroup | undefined {
  const { address, byType } = nodeAddress(n);
  if (address === undefined) return undefined;
  const name = n.metadata?.name ?? '';
  const t: Labels = { __address__: joinHostPort(address, n.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0), instance: name };
  for (const [type, a] of byType) t[sanitizeLabelName(`${P}node_address_${type}`)] = a[0]!;
  return { source: `node/${name}`, labels: nodeLabels(n), targets: [t] };
}

// ---- pod ----

function podReady(p: Pod): string {
  const c = p.status?.conditions?.find((x) => x.type === 'Ready');
  return (c?.status ?? 'Unknown').toLowerCase();
}

export function podLabels(p: Pod, l: Lookups): Labels {
  const ls: Labels = {
    [`${P}pod_ip`]: p.status?.podIP ?? '',
    [`${P}pod_ready`]: podReady(p),
    [`${P}pod_phase`]: p.status?.phase ?? '',
    [`${P}pod_node_name`]: p.spec?.nodeName ?? '',
    [`${P}pod_host_ip`]: p.status?.hostIP ?? '',
    [`${P}pod_uid`]: p.metadata?.uid ?? '',
  };
  addObjectMeta(ls, p.metadata, 'pod');
  const owner = controllerOf(p);
  if (owner !== undefined) {
    if (owner.kind) ls[`${P}pod_controller_kind`] = owner.kind;
    if (owner.name) ls[`${P}pod_controller_name`] = owner.name;
    const ns = p.metadata?.namespace ?? '';
    if (owner.kind === 'ReplicaSet' && l.attach.deployment) {
      const rs = l.replicaSet(ns, owner.name ?? '');
      const rsOwner = rs !== undefined ? controllerOf(rs) : undefined;
      if (rsOwner?.kind === 'Deployment') ls[`${P}pod_deployment_name`] = rsOwner.name ?? '';
    } else if (owner.kind === 'Job') {
      if (l.attach.job) ls[`${P}pod_job_name`] = owner.name ?? '';
      if (l.attach.cronjob) {
        const job = l.job(ns, owner.name ?? '');
        const jobOwner = job !== undefined ? controllerOf(job) : undefined;
        if (jobOwner?.kind === 'CronJob') ls[`${P}pod_cronjob_name`] = jobOwner.name ?? '';
      }
    }
  }
  return ls;
}

/** Containers then init containers, each with whether it is an init container and its status list. */
function podContainers(p: Pod): { c: Container; init: boolean; statuses: ContainerStatus[] }[] {
  return [
    ...(p.spec?.containers ?? []).map((c) => ({ c, init: false, statuses: p.status?.containerStatuses ?? [] })),
    ...(p.spec?.initContainers ?? []).map((c) => ({ c, init: true, statuses: p.status?.initContainerStatuses ?? [] })),
  ];
}

export function buildPod(p: Pod, l: Lookups): KubeGroup {
  const ns = p.metadata?.namespace ?? '';
  const g: KubeGroup = { source: `pod/${ns}/${p.metadata?.name ?? ''}`, labels: {}, targets: [] };
  const ip = p.status?.podIP ?? '';
  // A pod without an IP is starting or evicted; with node metadata, pods on nodes the node
  // selector filtered out are left out too.
  if (ip === '') return g;
  if (l.attach.node && l.node(p.spec?.nodeName ?? '') === undefined) return g;
  g.labels = podLabels(p, l);
  g.labels[`${P}namespace`] = ns;
  if (l.attach.node) addNodeLabels(g.labels, l, p.spec?.nodeName);
  addNamespaceLabels(g.labels, l, ns);
  for (const { c, init, statuses } of podContainers(p)) {
    const base: Labels = {
      [`${P}pod_container_name`]: c.name ?? '',
      [`${P}pod_container_id`]: statuses.find((s) => s.name === c.name)?.containerID ?? '',
      [`${P}pod_container_image`]: c.image ?? '',
      [`${P}pod_container_init`]: String(init),
    };
    if ((c.ports ?? []).length === 0) {
      g.targets.push({ __address__: ip, ...base });
      continue;
    }
    for (const port of c.ports!) {
      const n = String(port.containerPort ?? 0);
      g.targets.push({
        __address__: joinHostPort(ip, n),
        ...base,
        [`${P}pod_container_port_number`]: n,
        [`${P}pod_container_port_name`]: port.name ?? '',
        [`${P}pod_container_port_protocol`]: port.protocol ?? '',
      });
    }
  }
  return g;
}

// ---- service ----

export function serviceLabels(s: Service): Labels {
  const ls: Labels = { [`${P}namespace`]: s.metadata?.namespace ?? '' };
  addObjectMeta(ls, s.metadata, 'service');
  return ls;
}

function loadBalancerIPs(s: Service): string {
  const ips = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => ip !== '');
  return ips.length > 0 ? ips.join(',') : (s.spec?.loadBalancerIP ?? '');
}

export function buildService(s: Service, l: Lookups): KubeGroup {
  const ns = s.metadata?.namespace ?? '';
  const name = s.metadata?.name ?? '';
  const g: KubeGroup = { source: `svc/${ns}/${name}`, labels: serviceLabels(s), targets: [] };
  addNamespaceLabels(g.labels, l, ns);
  const type = s.spec?.type ?? '';
  for (const port of s.spec?.ports ?? []) {
    const n = String(port.port ?? 0);
    const t: Labels = {
      __address__: joinHostPort(`${name}.${ns}.svc`, n),
      [`${P}service_port_name`]: port.name ?? '',
      [`${P}service_port_number`]: n,
      [`${P}service_port_protocol`]: port.protocol ?? '',
      [`${P}service_type`]: type,
    };
    if (type === 'ExternalName') t[`${P}service_external_name`] = s.spec?.externalName ?? '';
    else t[`${P}service_cluster_ip`] = s.spec?.clusterIP ?? '';
    if (type === 'LoadBalancer') t[`${P}service_loadbalancer_ip`] = loadBalancerIPs(s);
    g.targets.push(t);
  }
  return g;
}

// ---- endpoints and endpointslices (shared: pods behind the addresses) ----

/**
 * The pod a target ref points to: its labels merged into the target, and the labels of its
 * container port matching the endpoint's port. The protocol is the endpoint port's (endpoints)
 * or, when `endpointProtocol` is undefined, the container port's own (endpointslices).
 */
function addPodOfRef(target: Labels, pod: Pod, port: number | undefined, endpointProtocol: string | undefined, l: Lookups): void {
  Object.assign(target, podLabels(pod, l));
  if (port === undefined) return;
  for (const { c, init } of podContainers(pod)) {
    const cport = (c.ports ?? []).find((cp) => cp.containerPort === port);
    if (cport === undefined) continue;
    target[`${P}pod_container_name`] = c.name ?? '';
    target[`${P}pod_container_image`] = c.image ?? '';
    target[`${P}pod_container_port_name`] = cport.name ?? '';
    target[`${P}pod_container_port_number`] = String(port);
    target[`${P}pod_container_port_protocol`] = endpointProtocol ?? cport.protocol ?? '';
    target[`${P}pod_container_init`] = String(init);
    return;
  }
}

/** The pods behind an endpoints object's addresses, and the ports the addresses covered. */
class SeenPods {
  private readonly pods = new Map<string, { pod: Pod; ports: (number | undefined)[] }>();

  constructor(private readonly l: Lookups) {}

  /** A target's pod (if its address points to one): the pod's labels go on the target, the port is remembered. */
  add(target: Labels, pod: Pod | undefined, port: number | undefined, endpointProtocol: string | undefined): void {
    if (pod === undefined) return;
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const entry = this.pods.get(key) ?? { pod, ports: [] };
    this.pods.set(key, entry);
    addPodOfRef(target, pod, port, endpointProtocol, this.l);
    entry.ports.push(port);
  }

  /** Targets for the container ports no endpoint port covered (Prometheus adds them so every port is scrapable). */
  unseenPorts(): Labels[] {
    const out: Labels[] = [];
    for (const { pod, ports } of this.pods.values()) {
      const ip = pod.status?.podIP ?? '';
      if (ip === '') continue;
      for (const { c, init } of podContainers(pod)) {
        for (const cport of c.ports ?? []) {
          if (ports.includes(cport.containerPort)) continue;
          const n = String(cport.containerPort ?? 0);
          out.push({
            __address__: joinHostPort(ip, n),
            [`${P}pod_container_name`]: c.name ?? '',
            [`${P}pod_container_image`]: c.image ?? '',
            [`${P}pod_container_port_name`]: cport.name ?? '',
            [`${P}pod_container_port_number`]: n,
            [`${P}pod_container_port_protocol`]: cport.protocol ?? '',
            [`${P}pod_container_init`]: String(init),
            ...podLabels(pod, this.l),
          });
        }
      }
    }
    return out;
  }
}

function podOfRef(ref: { kind?: string; namespace?: string; name?: string } | undefined, l: Lookups): Pod | undefined {
  if (ref === undefined || ref.kind !== 'Pod') return undefined;
  return l.pod(ref.namespace ?? '', ref.name ?? '');
}

export function buildEndpoints(e: Endpoints, l: Lookups): KubeGroup {
  const ns = e.metadata?.namespace ?? '';
  const name = e.metadata?.name ?? '';
  const g: KubeGroup = { source: `endpoints/${ns}/${name}`, labels: { [`${P}namespace`]: ns }, targets: [] };
  const svc = l.service(ns, name);
  if (svc !== undefined) Object.assign(g.labels, serviceLabels(svc));
  addObjectMeta(g.labels, e.metadata, 'endpoints');
  addNamespaceLabels(g.labels, l, ns);
  const seen = new SeenPods(l);
  for (const ss of e.subsets ?? []) {
    for (const port of ss.ports ?? []) {
      const add = (addr: NonNullable<typeof ss.addresses>[number], ready: string): void => {
        const t: Labels = {
          __address__: joinHostPort(addr.ip ?? '', port.port ?? 0),
          [`${P}endpoint_port_name`]: port.name ?? '',
          [`${P}endpoint_port_protocol`]: port.protocol ?? '',
          [`${P}endpoint_ready`]: ready,
        };
        if (addr.targetRef !== undefined) {
          t[`${P}endpoint_address_target_kind`] = addr.targetRef.kind ?? '';
          t[`${P}endpoint_address_target_name`] = addr.targetRef.name ?? '';
        }
        if (addr.nodeName !== undefined) t[`${P}endpoint_node_name`] = addr.nodeName;
        if (addr.hostname) t[`${P}endpoint_hostname`] = addr.hostname;
        if (l.attach.node) addNodeLabels(t, l, addr.nodeName ?? (addr.targetRef?.kind === 'Node' ? addr.targetRef.name : undefined));
        seen.add(t, podOfRef(addr.targetRef, l), port.port, port.protocol ?? '');
        g.targets.push(t);
      };
      for (const a of ss.addresses ?? []) add(a, 'true');
      for (const a of ss.notReadyAddresses ?? []) add(a, 'false');
    }
  }
  g.targets.push(...seen.unseenPorts());
  return g;
}

/** A dual-stack service's slice of its second IP family: Prometheus skips it so pods are not scraped twice. */
function nonPrimaryIpFamily(svc: Service | undefined, es: EndpointSlice): boolean {
  const policy = svc?.spec?.ipFamilyPolicy;
  if (policy !== 'PreferDualStack' && policy !== 'RequireDualStack') return false;
  const families = svc?.spec?.ipFamilies ?? [];
  return families.length > 0 && es.addressType !== families[0];
}

export function buildEndpointSlice(es: EndpointSlice, l: Lookups): KubeGroup {
  const ns = es.metadata?.namespace ?? '';
  const g: KubeGroup = { source: `endpointslice/${ns}/${es.metadata?.name ?? ''}`, labels: { [`${P}namespace`]: ns, [`${P}endpointslice_address_type`]: es.addressType ?? '' }, targets: [] };
  addObjectMeta(g.labels, es.metadata, 'endpointslice');
  const svcName = es.metadata?.labels?.['kubernetes.io/service-name'];
  const svc = svcName !== undefined ? l.service(ns, svcName) : undefined;
  if (svc !== undefined) Object.assign(g.labels, serviceLabels(svc));
  addNamespaceLabels(g.labels, l, ns);
  if (nonPrimaryIpFamily(svc, es)) return g;
  const seen = new SeenPods(l);
  for (const ep of es.endpoints ?? []) {
    for (const port of es.ports ?? []) {
      for (const addr of ep.addresses ?? []) {
        const t: Labels = { __address__: port.port !== undefined ? joinHostPort(addr, port.port) : addr };
        if (port.name !== undefined) t[`${P}endpointslice_port_name`] = port.name;
        if (port.protocol !== undefined) t[`${P}endpointslice_port_protocol`] = port.protocol;
        if (port.port !== undefined) t[`${P}endpointslice_port`] = String(port.port);
        if (port.appProtocol !== undefined) t[`${P}endpointslice_port_app_protocol`] = port.appProtocol;
        const cond = ep.conditions ?? {};
        if (cond.ready !== undefined) t[`${P}endpointslice_endpoint_conditions_ready`] = String(cond.ready);
        if (cond.serving !== undefined) t[`${P}endpointslice_endpoint_conditions_serving`] = String(cond.serving);
        if (cond.terminating !== undefined) t[`${P}endpointslice_endpoint_conditions_terminating`] = String(cond.terminating);
        if (ep.hostname !== undefined) t[`${P}endpointslice_endpoint_hostname`] = ep.hostname;
        if (ep.targetRef !== undefined) {
          t[`${P}endpointslice_address_target_kind`] = ep.targetRef.kind ?? '';
          t[`${P}endpointslice_address_target_name`] = ep.targetRef.name ?? '';
        }
        if (ep.nodeName !== undefined) t[`${P}endpointslice_endpoint_node_name`] = ep.nodeName;
        if (ep.zone !== undefined) t[`${P}endpointslice_endpoint_zone`] = ep.zone;
        for (const [k, v] of Object.entries(ep.deprecatedTopology ?? {})) {
          const ln = sanitizeLabelName(k);
          t[`${P}endpointslice_endpoint_topology_${ln}`] = v;
          t[`${P}endpointslice_endpoint_topology_present_${ln}`] = 'true';
        }
        if (l.attach.node) addNodeLabels(t, l, ep.targetRef?.kind === 'Node' ? ep.targetRef.name : ep.nodeName);
        seen.add(t, podOfRef(ep.targetRef, l), port.port, undefined);
        g.targets.push(t);
      }
    }
  }
  g.targets.push(...seen.unseenPorts());
  return g;
}

// ---- ingress ----

/** A TLS host pattern matches the rule's host exactly or as a `*.` wildcard of the same depth. */
export function matchesHostnamePattern(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  const p = pattern.split('.');
  const h = host.split('.');
  if (p[0] !== '*' || p.length !== h.length) return false;
  return p.every((part, i) => i === 0 || part === h[i]);
}

export function buildIngress(ing: Ingress, l: Lookups): KubeGroup {
  const ns = ing.metadata?.namespace ?? '';
  const g: KubeGroup = { source: `ingress/${ns}/${ing.metadata?.name ?? ''}`, labels: { [`${P}namespace`]: ns }, targets: [] };
  if (ing.spec?.ingressClassName !== undefined) g.labels[`${P}ingress_class_name`] = ing.spec.ingressClassName;
  addObjectMeta(g.labels, ing.metadata, 'ingress');
  addNamespaceLabels(g.labels, l, ns);
  const tlsHosts = (ing.spec?.tls ?? []).flatMap((t) => t.hosts ?? []);
  for (const rule of ing.spec?.rules ?? []) {
    const host = rule.host ?? '';
    const scheme = tlsHosts.some((p) => matchesHostnamePattern(p, host)) ? 'https' : 'http';
    const paths = rule.http === undefined ? ['/'] : (rule.http.paths ?? []).map((p) => (p.path ? p.path : '/'));
    for (const path of paths) g.targets.push({ __address__: host, [`${P}ingress_scheme`]: scheme, [`${P}ingress_host`]: host, [`${P}ingress_path`]: path });
  }
  return g;
}
