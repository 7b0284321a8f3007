// kubernetes_sd_configs: the targets and meta labels of each role (Prometheus's names), the
// connection choices (in-cluster, kubeconfig), config validation, and discovery against a fake
// API server that lists, watches, ends watches and answers 410 Gone.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config/index.js';
import { checkFieldSelector, checkLabelSelector } from '../../src/config/kubernetes-sd.js';
import { KubernetesDiscovery, buildEndpointSlice, buildEndpoints, buildIngress, buildNode, buildPod, buildService } from '../../src/discovery/kubernetes/index.js';
import type { Lookups } from '../../src/discovery/kubernetes/index.js';
import { inClusterConnection, kubeconfigConnection } from '../../src/discovery/kubernetes/connection.js';
import type { Pod, Service } from '../../src/discovery/kubernetes/objects.js';
import type { TargetGroup } from '../../src/discovery/target-group.js';
import { Logger } from '../../src/util/logger.js';

const M = '__meta_kubernetes_';

/** Waits (up to ~10 s) until `cond` holds. */
async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`gave up waiting for ${cond.toString()}`);
}

function lookups(o: { pods?: Pod[]; services?: Service[]; attach?: Partial<Lookups['attach']>; nodes?: string[] } = {}): Lookups {
  return {
    pod: (ns, name) => o.pods?.find((p) => p.metadata?.namespace === ns && p.metadata.name === name),
    service: (ns, name) => o.services?.find((s) => s.metadata?.namespace === ns && s.metadata.name === name),
    node: (name) => (o.nodes?.includes(name) ? { metadata: { name, labels: { zone: 'a' } } } : undefined),
    namespace: (name) => ({ metadata: { name, labels: { team: 'obs' } } }),
    replicaSet: (ns, name) => (name === 'web-5d8' ? { metadata: { namespace: ns, name, ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } } : undefined),
    job: () => undefined,
    attach: { node: false, namespace: false, deployment: false, job: false, cronjob: false, ...o.attach },
  };
}

const pod: Pod = {
  metadata: { name: 'web-5d8-x1', namespace: 'default', uid: 'u-1', labels: { app: 'web', 'app.kubernetes.io/name': 'w' }, annotations: { 'prometheus.io/scrape': 'true' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d8', controller: true }] },
  spec: {
    nodeName: 'n1',
    containers: [
      { name: 'app', image: 'web:1', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }, { name: 'metrics', containerPort: 9102, protocol: 'TCP' }] },
      { name: 'sidecar', image: 'side:2' },
    ],
    initContainers: [{ name: 'init', image: 'init:1' }],
  },
  status: { podIP: '10.0.0.5', hostIP: '192.168.1.1', phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app', containerID: 'containerd://abc' }] },
};

test('pod role: one target per container port, a portless target per container without ports, Prometheus meta labels', () => {
  const g = buildPod(pod, lookups({ attach: { deployment: true, namespace: true } }));
  assert.equal(g.source, 'pod/default/web-5d8-x1');
  assert.deepEqual(g.labels, {
    [`${M}pod_ip`]: '10.0.0.5',
    [`${M}pod_ready`]: 'true',
    [`${M}pod_phase`]: 'Running',
    [`${M}pod_node_name`]: 'n1',
    [`${M}pod_host_ip`]: '192.168.1.1',
    [`${M}pod_uid`]: 'u-1',
    [`${M}pod_name`]: 'web-5d8-x1',
    [`${M}pod_label_app`]: 'web',
    [`${M}pod_labelpresent_app`]: 'true',
    [`${M}pod_label_app_kubernetes_io_name`]: 'w',
    [`${M}pod_labelpresent_app_kubernetes_io_name`]: 'true',
    [`${M}pod_annotation_prometheus_io_scrape`]: 'true',
    [`${M}pod_annotationpresent_prometheus_io_scrape`]: 'true',
    [`${M}pod_controller_kind`]: 'ReplicaSet',
    [`${M}pod_controller_name`]: 'web-5d8',
    [`${M}pod_deployment_name`]: 'web',
    [`${M}namespace`]: 'default',
    [`${M}namespace_label_team`]: 'obs',
    [`${M}namespace_labelpresent_team`]: 'true',
  });
  assert.deepEqual(g.targets, [
    { __address__: '10.0.0.5:8080', [`${M}pod_container_name`]: 'app', [`${M}pod_container_id`]: 'containerd://abc', [`${M}pod_container_image`]: 'web:1', [`${M}pod_container_init`]: 'false', [`${M}pod_container_port_number`]: '8080', [`${M}pod_container_port_name`]: 'http', [`${M}pod_container_port_protocol`]: 'TCP' },
    { __address__: '10.0.0.5:9102', [`${M}pod_container_name`]: 'app', [`${M}pod_container_id`]: 'containerd://abc', [`${M}pod_container_image`]: 'web:1', [`${M}pod_container_init`]: 'false', [`${M}pod_container_port_number`]: '9102', [`${M}pod_container_port_name`]: 'metrics', [`${M}pod_container_port_protocol`]: 'TCP' },
    { __address__: '10.0.0.5', [`${M}pod_container_name`]: 'sidecar', [`${M}pod_container_id`]: '', [`${M}pod_container_image`]: 'side:2', [`${M}pod_container_init`]: 'false' },
    { __address__: '10.0.0.5', [`${M}pod_container_name`]: 'init', [`${M}pod_container_id`]: '', [`${M}pod_container_image`]: 'init:1', [`${M}pod_container_init`]: 'true' },
  ]);
  // No IP yet: an empty group (its earlier targets go away).
  assert.deepEqual(buildPod({ ...pod, status: { phase: 'Pending' } }, lookups()).targets, []);
  // With node metadata, pods on nodes outside the node selector are left out; others get the node's labels.
  assert.deepEqual(buildPod(pod, lookups({ attach: { node: true }, nodes: [] })).targets, []);
  assert.equal(buildPod(pod, lookups({ attach: { node: true }, nodes: ['n1'] })).labels[`${M}node_label_zone`], 'a');
});

test('service role: one target per port at <name>.<namespace>.svc, cluster IP or external name, load-balancer IPs', () => {
  const svc: Service = { metadata: { name: 'api', namespace: 'prod', labels: { tier: 'be' } }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: '1.2.3.5' }] } } };
  const g = buildService(svc, lookups());
  assert.equal(g.source, 'svc/prod/api');
  assert.deepEqual(g.labels, { [`${M}namespace`]: 'prod', [`${M}service_name`]: 'api', [`${M}service_label_tier`]: 'be', [`${M}service_labelpresent_tier`]: 'true' });
  assert.deepEqual(g.targets, [{ __address__: 'api.prod.svc:80', [`${M}service_port_name`]: 'http', [`${M}service_port_number`]: '80', [`${M}service_port_protocol`]: 'TCP', [`${M}service_type`]: 'LoadBalancer', [`${M}service_cluster_ip`]: '10.96.0.10', [`${M}service_loadbalancer_ip`]: '1.2.3.4,1.2.3.5' }]);
  const ext = buildService({ metadata: { name: 'x', namespace: 'n' }, spec: { type: 'ExternalName', externalName: 'db.example.com', ports: [{ port: 5432, protocol: 'TCP' }] } }, lookups());
  assert.equal(ext.targets[0]![`${M}service_external_name`], 'db.example.com');
  assert.equal(ext.targets[0]![`${M}service_cluster_ip`], undefined);
});

test('endpoints role: addresses x ports with readiness, the service and pod labels, and pod ports no endpoint port covers', () => {
  const svc: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP', ports: [] } };
  const g = buildEndpoints(
    {
      metadata: { name: 'web', namespace: 'default' },
      subsets: [
        {
          addresses: [{ ip: '10.0.0.5', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-5d8-x1' } }],
          notReadyAddresses: [{ ip: '10.0.0.9', hostname: 'h9' }],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
      ],
    },
    lookups({ pods: [pod], services: [svc] }),
  );
  assert.equal(g.source, 'endpoints/default/web');
  assert.equal(g.labels[`${M}service_name`], 'web');
  assert.equal(g.labels[`${M}endpoints_name`], 'web');
  assert.deepEqual(
    g.targets.map((t) => [t.__address__, t[`${M}endpoint_ready`], t[`${M}pod_name`], t[`${M}pod_container_port_name`], t[`${M}endpoint_node_name`], t[`${M}endpoint_hostname`]]),
    [
      ['10.0.0.5:8080', 'true', 'web-5d8-x1', 'http', 'n1', undefined],
      ['10.0.0.9:8080', 'false', undefined, undefined, undefined, 'h9'],
      // The pod's metrics port, not behind the service, is still a target.
      ['10.0.0.5:9102', undefined, 'web-5d8-x1', 'metrics', undefined, undefined],
    ],
  );
  assert.equal(g.targets[0]![`${M}endpoint_address_target_kind`], 'Pod');
});

test('endpointslice role: ports, conditions, zone, the service from the service-name label; the non-primary family of a dual-stack service skipped', () => {
  const svc: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP', ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] } };
  const slice = {
    metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.5'], conditions: { ready: true, serving: true, terminating: false }, zone: 'eu-1a', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-5d8-x1' } }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
  };
  const g = buildEndpointSlice(slice, lookups({ pods: [pod], services: [svc] }));
  assert.equal(g.labels[`${M}endpointslice_address_type`], 'IPv4');
  assert.equal(g.labels[`${M}service_name`], 'web');
  const t = g.targets[0]!;
  assert.equal(t.__address__, '10.0.0.5:8080');
  assert.equal(t[`${M}endpointslice_port_app_protocol`], 'http');
  assert.equal(t[`${M}endpointslice_endpoint_conditions_ready`], 'true');
  assert.equal(t[`${M}endpointslice_endpoint_conditions_terminating`], 'false');
  assert.equal(t[`${M}endpointslice_endpoint_zone`], 'eu-1a');
  assert.equal(t[`${M}pod_container_port_name`], 'http');
  assert.deepEqual(g.targets.map((x) => x.__address__), ['10.0.0.5:8080', '10.0.0.5:9102']);
  assert.deepEqual(buildEndpointSlice({ ...slice, addressType: 'IPv6', endpoints: [{ addresses: ['fd00::5'] }] }, lookups({ services: [svc] })).targets, []);
});

test('ingress role: one target per rule path, https when a TLS host (or wildcard) covers the rule', () => {
  const g = buildIngress(
    {
      metadata: { name: 'site', namespace: 'web' },
      spec: { ingressClassName: 'nginx', tls: [{ hosts: ['*.example.com'] }], rules: [{ host: 'www.example.com', http: { paths: [{ path: '/' }, { path: '/api' }] } }, { host: 'other.org' }] },
    },
    lookups(),
  );
  assert.equal(g.labels[`${M}ingress_class_name`], 'nginx');
  assert.deepEqual(
    g.targets.map((t) => [t.__address__, t[`${M}ingress_scheme`], t[`${M}ingress_path`]]),
    [
      ['www.example.com', 'https', '/'],
      ['www.example.com', 'https', '/api'],
      ['other.org', 'http', '/'],
    ],
  );
});

test('node role: the kubelet address by Kubernetes priority, instance = node name, conditions and addresses as labels', () => {
  const g = buildNode({
    metadata: { name: 'n1', labels: { 'kubernetes.io/os': 'linux' } },
    spec: { providerID: 'aws:///i-1' },
    status: { addresses: [{ type: 'Hostname', address: 'n1.local' }, { type: 'InternalIP', address: '192.168.1.1' }], conditions: [{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'False' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } },
  })!;
  assert.deepEqual(g.targets, [{ __address__: '192.168.1.1:10250', instance: 'n1', [`${M}node_address_Hostname`]: 'n1.local', [`${M}node_address_InternalIP`]: '192.168.1.1' }]);
  assert.equal(g.labels[`${M}node_condition_ready`], 'true');
  assert.equal(g.labels[`${M}node_condition_diskpressure`], 'false');
  assert.equal(g.labels[`${M}node_provider_id`], 'aws:///i-1');
  assert.equal(g.labels[`${M}node_label_kubernetes_io_os`], 'linux');
  assert.equal(buildNode({ metadata: { name: 'bare' } }), undefined);
});

test('selectors are checked with the Kubernetes grammar at load', () => {
  for (const ok of ['', 'app=web', 'app==web,tier!=db', 'env in (prod, staging)', 'env notin (dev)', '!canary', 'gpu', 'example.com/team=obs', 'n>3']) assert.doesNotThrow(() => checkLabelSelector(ok), ok);
  for (const bad of ['app=', 'env in prod', '=x', 'a b', 'app=web,', 'x>y', 'Bad_Prefix./x=y']) {
    if (bad === 'app=') continue; // an empty value is allowed
    assert.throws(() => checkLabelSelector(bad), bad);
  }
  assert.doesNotThrow(() => checkFieldSelector('metadata.name=x,status.phase!=Failed'));
  assert.throws(() => checkFieldSelector('metadata.status-Running'), /invalid selector: 'metadata.status-Running'; can't understand 'metadata.status-Running'/);
  const err = (yml: string): string => {
    try {
      parseConfig(yml, 'p.yml');
    } catch (e) {
      return (e as Error).message;
    }
    return 'loaded';
  };
  assert.match(err('scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs:\n      - role: pod\n        selectors: [{role: pod, label: "env in prod"}]\n'), /^p\.yml:5:\d+: .*expected: '\('/);
  assert.match(err('scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs:\n      - role: pod\n        attach_metadata: {nodes: true}\n'), /field nodes not found/);
  const c = parseConfig('scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs:\n      - role: endpointslice\n        namespaces: {names: [a, b]}\n        attach_metadata: {node: true}\n', '/etc/p.yml');
  const k = c.scrapeConfigs[0]!.kubernetesSdConfigs[0]!;
  assert.deepEqual([k.role, k.namespaces.names, k.attachMetadata.node], ['endpointslice', ['a', 'b'], true]);
  // Alertmanagers may be discovered through Kubernetes too.
  const a = parseConfig('alerting:\n  alertmanagers:\n    - kubernetes_sd_configs: [{role: pod}]\n', 'p.yml');
  assert.equal(a.alerting.alertmanagers[0]!.kubernetesSdConfigs[0]!.role, 'pod');
});

test('connections: in-cluster needs the service environment and account files; kubeconfig uses its current context', async () => {
  assert.throws(() => inClusterConnection({}), /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined/);
  const dir = mkdtempSync(join(tmpdir(), 'k8s-sa-'));
  writeFileSync(join(dir, 'token'), 'tok-1\n');
  writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'namespace'), 'monitoring');
  const c = inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir, true);
  assert.equal(c.base.href, 'https://10.96.0.1/');
  assert.equal(c.ownNamespace, 'monitoring');
  assert.equal((await c.headers()).Authorization, 'Bearer tok-1');
  writeFileSync(join(dir, 'token'), 'tok-2\n'); // rotated tokens are picked up
  assert.equal((await c.headers()).Authorization, 'Bearer tok-2');

  const kc = join(dir, 'config');
  writeFileSync(join(dir, 'user.token'), 'from-file\n');
  writeFileSync(kc, ['apiVersion: v1', 'kind: Config', 'current-context: dev', 'clusters:', '  - name: c1', '    cluster: {server: "https://k8s.example:6443/prefix"}', 'users:', '  - name: u1', '    user: {tokenFile: user.token}', '  - name: u2', '    user: {exec: {command: aws}}', 'contexts:', '  - name: dev', '    context: {cluster: c1, user: u1}', '  - name: eks', '    context: {cluster: c1, user: u2}', ''].join('\n'));
  const k = kubeconfigConnection(kc);
  assert.equal(k.base.href, 'https://k8s.example:6443/prefix');
  assert.equal((await k.headers()).Authorization, 'Bearer from-file');
  writeFileSync(kc, ['current-context: eks', 'clusters: [{name: c1, cluster: {server: "https://x"}}]', 'users: [{name: u2, user: {exec: {command: aws}}}]', 'contexts: [{name: eks, context: {cluster: c1, user: u2}}]', ''].join('\n'));
  assert.throws(() => kubeconfigConnection(kc), /exec and auth-provider credential plugins are not supported/);
});

/** A fake API server: pods and services per namespace, with a list, and watches the test feeds. */
function fakeApiServer() {
  const requests: { path: string; query: URLSearchParams; auth: string | undefined }[] = [];
  const watches: { path: string; res: ServerResponse }[] = [];
  const objects = new Map<string, Record<string, unknown>[]>();
  let version = 100;
  let goneOnce = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ path: url.pathname, query: url.searchParams, auth: req.headers.authorization });
    if (url.searchParams.get('watch') === 'true') {
      if (goneOnce) {
        goneOnce = false;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } }) + '\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      watches.push({ path: url.pathname, res });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: String(version) }, items: objects.get(url.pathname) ?? [] }));
  });
  return {
    server,
    requests,
    objects,
    /** Sends an event on every open watch of `path`. */
    send(path: string, type: string, object: Record<string, unknown>): void {
      version++;
      const o = { ...object, metadata: { ...(object.metadata as object), resourceVersion: String(version) } };
      for (const w of watches.filter((x) => x.path === path)) w.res.write(JSON.stringify({ type, object: o }) + '\n');
    },
    /** Ends open watches (the server's timeout); the next one answers 410 when `gone`. */
    endWatches(gone: boolean): void {
      goneOnce = gone;
      for (const w of watches.splice(0)) w.res.end();
    },
    openWatches: (path: string) => watches.filter((w) => w.path === path).length,
  };
}

/** A fake API server listening on a free port, closed when the test ends. */
async function listeningApiServer(t: TestContext): Promise<{ api: ReturnType<typeof fakeApiServer>; base: string }> {
  const api = fakeApiServer();
  await new Promise<void>((r) => api.server.listen(0, '127.0.0.1', r));
  t.after(() => {
    api.server.closeAllConnections();
    api.server.close();
  });
  return { api, base: `http://127.0.0.1:${(api.server.address() as AddressInfo).port}` };
}

function podObject(name: string, ip: string, port: number): Record<string, unknown> {
  return { metadata: { name, namespace: 'team-a', labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ name: 'metrics', containerPort: port, protocol: 'TCP' }] }] }, status: { podIP: ip, phase: 'Running' } };
}

test('discovery against an API server: list, watch events, a relist after the watch is gone, selectors and credentials sent', async (t) => {
  const { api, base } = await listeningApiServer(t);
  const podsPath = '/api/v1/namespaces/team-a/pods';
  api.objects.set(podsPath, [podObject('p1', '10.1.0.1', 9100)]);
  const cfg = parseConfig(
    `scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs:\n      - role: pod\n        api_server: ${base}\n        authorization: {credentials: secret-token}\n        namespaces: {names: [team-a]}\n        selectors: [{role: pod, label: "app=x", field: "status.phase=Running"}]\n`,
    'p.yml',
  );
  const logs: string[] = [];
  let groups: TargetGroup[] | undefined;
  let updates = 0;
  const events: string[] = [];
  const d = new KubernetesDiscovery(
    cfg.scrapeConfigs[0]!.kubernetesSdConfigs[0]!,
    new Logger({ level: 'warn', write: (l) => logs.push(l) }),
    (g) => {
      groups = g;
      updates++;
    },
    { onEvent: (e) => events.push(e) },
  );
  d.start();
  t.after(() => d.stop());
  const addresses = (): string[] => (groups ?? []).map((g) => g.targets[0]!).sort();
  await waitFor(() => groups !== undefined && api.openWatches(podsPath) === 1);
  assert.deepEqual(addresses(), ['10.1.0.1:9100']);
  assert.equal(groups![0]!.labels.__meta_kubernetes_pod_name, 'p1');
  assert.equal(groups![0]!.labels.__meta_kubernetes_namespace, 'team-a');
  const list = api.requests.find((r) => r.path === podsPath && r.query.get('watch') === null)!;
  assert.equal(list.auth, 'Bearer secret-token');
  assert.equal(list.query.get('labelSelector'), 'app=x');
  assert.equal(list.query.get('fieldSelector'), 'status.phase=Running');
  const watch = api.requests.find((r) => r.path === podsPath && r.query.get('watch') === 'true')!;
  assert.equal(watch.query.get('resourceVersion'), '100');

  api.send(podsPath, 'ADDED', podObject('p2', '10.1.0.2', 9100));
  await waitFor(() => addresses().length === 2);
  api.send(podsPath, 'MODIFIED', podObject('p2', '10.1.0.3', 9100));
  await waitFor(() => addresses().includes('10.1.0.3:9100'));
  api.send(podsPath, 'DELETED', podObject('p1', '10.1.0.1', 9100));
  await waitFor(() => addresses().length === 1);
  assert.deepEqual(addresses(), ['10.1.0.3:9100']);
  assert.deepEqual(events, ['add', 'update', 'delete']);

  // The watch ends and the next one is told its version is gone: everything is listed again.
  api.objects.set(podsPath, [podObject('p3', '10.1.0.4', 9100)]);
  const listsBefore = api.requests.filter((r) => r.path === podsPath && r.query.get('watch') === null).length;
  api.endWatches(true);
  await waitFor(() => addresses().join() === '10.1.0.4:9100');
  assert.equal(api.requests.filter((r) => r.path === podsPath && r.query.get('watch') === null).length, listsBefore + 1);
  assert.ok(updates >= 5);
  assert.deepEqual(logs, []);
});

test('endpoints role reports nothing until endpoints, services and pods are all listed; a failing API server is logged and retried', async (t) => {
  const { api, base } = await listeningApiServer(t);
  api.objects.set('/api/v1/endpoints', [{ metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.0.0.5', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-5d8-x1' } }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] }]);
  api.objects.set('/api/v1/services', [{ metadata: { name: 'web', namespace: 'default', labels: { team: 'a' } }, spec: { type: 'ClusterIP' } }]);
  api.objects.set('/api/v1/pods', [pod as Record<string, unknown>]);
  const cfg = parseConfig(`scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs:\n      - role: endpoints\n        api_server: ${base}\n`, 'p.yml');
  let groups: TargetGroup[] | undefined;
  const d = new KubernetesDiscovery(cfg.scrapeConfigs[0]!.kubernetesSdConfigs[0]!, new Logger({ level: 'error', write: () => {} }), (g) => (groups = g));
  d.start();
  t.after(() => d.stop());
  await waitFor(() => groups !== undefined);
  const first = groups!.find((g) => g.targets[0] === '10.0.0.5:8080')!;
  assert.equal(first.labels.__meta_kubernetes_service_label_team, 'a');
  assert.equal(first.labels.__meta_kubernetes_pod_container_port_name, 'http');
  assert.deepEqual(groups!.map((g) => g.targets[0]).sort(), ['10.0.0.5:8080', '10.0.0.5:9102']);

  // An API server that refuses: the error is logged with the path, and the discoverer keeps trying.
  const refusing = createServer((_req, res) => {
    res.writeHead(403, { 'Content-Type': 'application/json' });
    res.end('{"kind":"Status","message":"forbidden"}');
  });
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  t.after(() => refusing.close());
  const logs: string[] = [];
  const bad = parseConfig(`scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs:\n      - role: node\n        api_server: http://127.0.0.1:${(refusing.address() as AddressInfo).port}\n`, 'p.yml');
  const d2 = new KubernetesDiscovery(bad.scrapeConfigs[0]!.kubernetesSdConfigs[0]!, new Logger({ level: 'error', write: (l) => logs.push(l) }), () => assert.fail('nothing to report'));
  d2.start();
  t.after(() => d2.stop());
  await waitFor(() => logs.length > 0);
  assert.match(logs[0]!, /Failed to list or watch Kubernetes resources.*\/api\/v1\/nodes.*403.*forbidden/);
});

test('without a cluster the discoverer logs why and reports nothing; the config still loads', () => {
  const cfg = parseConfig('scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs: [{role: endpoints}]\n', 'p.yml');
  const logs: string[] = [];
  const saved = process.env.KUBERNETES_SERVICE_HOST;
  delete process.env.KUBERNETES_SERVICE_HOST;
  try {
    const d = new KubernetesDiscovery(cfg.scrapeConfigs[0]!.kubernetesSdConfigs[0]!, new Logger({ level: 'error', write: (l) => logs.push(l) }), () => assert.fail('nothing to report'));
    d.start();
    d.stop();
  } finally {
    if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
  }
  assert.match(logs[0]!, /Cannot create service discovery.*KUBERNETES_SERVICE_HOST/);
});
