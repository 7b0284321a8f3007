// The `<name>_sd_configs` mechanisms that discover targets, each against a fake of its API:
// the targets and meta labels Prometheus gives, and what is sent (credentials, filters).
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import aws4 from 'aws4';
import { createHash, createVerify, generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.js';
import type { GenericSdConfig } from '../../src/config/index.js';
import { PROVIDERS } from '../../src/discovery/providers/index.js';
import { createDiscoveryMetrics, startDiscovery } from '../../src/discovery/index.js';
import { Logger } from '../../src/util/logger.js';
import client from 'prom-client';
import { DISCOVERING_MECHANISMS } from '../../src/config/sd-mechanisms.js';
import { aggregatedStatus } from '../../src/discovery/providers/consul.js';
import type { TargetGroup } from '../../src/discovery/target-group.js';
import { fakeApi } from './fake-api.js';

/** The first `<mechanism>_sd_configs` entry of a one-job config. */
function sdConfig(yaml: string): GenericSdConfig {
  const c = parseConfig(`scrape_configs:\n  - job_name: j\n${yaml.replace(/^/gm, '    ')}\n`, '/etc/prometheus/p.yml');
  return c.scrapeConfigs[0]!.otherSdConfigs[0]!;
}

async function discover(c: GenericSdConfig): Promise<TargetGroup[]> {
  return PROVIDERS[c.mechanism]!(c, new Logger({ level: 'error', write: () => {} }))(new AbortController().signal);
}

const byAddress = (groups: TargetGroup[]): Map<string, Record<string, string>> => new Map(groups.map((g) => [g.targets[0]!, g.labels]));

test('the config loader and the discovery know the same set of working mechanisms', () => {
  assert.deepEqual([...DISCOVERING_MECHANISMS].sort(), Object.keys(PROVIDERS).sort());
});

test('consul: the catalog services filtered by name and tags, their instances with health and metadata', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/v1/agent/self', { Config: { Datacenter: 'dc1' } });
  api.routes.set('/v1/catalog/services', { web: ['prod', 'v1'], db: ['prod'], consul: [] });
  api.routes.set('/v1/health/service/web', [
    {
      Node: { Node: 'node-1', Address: '10.0.0.1', Meta: { rack: 'r1' }, TaggedAddresses: { lan: '10.0.0.1', wan: '1.2.3.4' } },
      Service: { ID: 'web-1', Service: 'web', Tags: ['prod', 'v1'], Address: '', Port: 8080, Meta: { version: '1.2' } },
      Checks: [{ CheckID: 'serfHealth', Status: 'passing' }, { CheckID: 'service:web-1', Status: 'warning' }],
    },
    { Node: { Node: 'node-2', Address: '10.0.0.2' }, Service: { ID: 'web-2', Service: 'web', Tags: ['prod'], Address: '10.1.0.2', Port: 8080 }, Checks: [] },
  ]);
  const c = sdConfig(`consul_sd_configs:\n  - server: ${api.base.replace('http://', '')}\n    token: s3cret\n    tags: [prod]\n    node_meta: {rack: r1}\n    services: [web]`);
  const groups = byAddress(await discover(c));
  assert.deepEqual([...groups.keys()], ['10.0.0.1:8080', '10.1.0.2:8080']);
  assert.deepEqual(groups.get('10.0.0.1:8080'), {
    __meta_consul_service: 'web',
    __meta_consul_dc: 'dc1',
    __meta_consul_address: '10.0.0.1',
    __meta_consul_node: 'node-1',
    __meta_consul_namespace: '',
    __meta_consul_partition: '',
    __meta_consul_tags: ',prod,v1,',
    __meta_consul_service_address: '',
    __meta_consul_service_port: '8080',
    __meta_consul_service_id: 'web-1',
    __meta_consul_health: 'warning',
    __meta_consul_metadata_rack: 'r1',
    __meta_consul_service_metadata_version: '1.2',
    __meta_consul_tagged_address_lan: '10.0.0.1',
    __meta_consul_tagged_address_wan: '1.2.3.4',
  });
  assert.equal(groups.get('10.1.0.2:8080')!.__meta_consul_health, 'passing');
  const health = api.requests.find((r) => r.path === '/v1/health/service/web')!;
  assert.equal(health.headers['x-consul-token'], 's3cret');
  assert.deepEqual(health.query.getAll('tag'), ['prod']);
  assert.deepEqual(health.query.getAll('node-meta'), ['rack:r1']);
  assert.equal(health.query.get('dc'), 'dc1');
  assert.ok(health.query.has('stale'));
  // db lacks no tag but is not in `services`; consul has no `prod` tag: neither is asked for.
  assert.equal(api.requests.filter((r) => r.path.startsWith('/v1/health/')).length, 1);
  assert.equal(aggregatedStatus([{ CheckID: '_node_maintenance', Status: 'critical' }]), 'maintenance');
  assert.equal(aggregatedStatus([{ Status: 'critical' }, { Status: 'warning' }]), 'critical');
});

test('docker: containers over the unix socket, one target per TCP port per network, networks labels, host networking and shared networks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'docker-sd-'));
  const api = await fakeApi(t, join(dir, 'docker.sock'));
  api.routes.set('/containers/json', [
    {
      Id: 'c1', Names: ['/web'], Image: 'nginx', ImageID: 'sha256:1', Labels: { 'com.example.team': 'a' }, HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { Networks: { bridge: { NetworkID: 'n1', IPAddress: '172.17.0.2' } } }, Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 53, Type: 'udp' }],
    },
    { Id: 'c2', Names: ['/sidecar'], HostConfig: { NetworkMode: 'container:c1' }, NetworkSettings: { Networks: {} }, Ports: [] },
    { Id: 'c3', Names: ['/agent'], HostConfig: { NetworkMode: 'host' }, NetworkSettings: { Networks: { host: { NetworkID: 'n0' } } }, Ports: [] },
  ]);
  api.routes.set('/networks', [{ Id: 'n1', Name: 'bridge', Scope: 'local', Internal: false, Ingress: false, Labels: { env: 'dev' } }]);
  const c = sdConfig(`docker_sd_configs:\n  - host: ${api.base}\n    port: 9100\n    filters: [{name: label, values: ["prometheus=true"]}]`);
  const groups = byAddress(await discover(c));
  assert.deepEqual([...groups.keys()], ['172.17.0.2:80', '172.17.0.2:9100', 'localhost']);
  assert.deepEqual(groups.get('172.17.0.2:80'), {
    __meta_docker_network_ip: '172.17.0.2', __meta_docker_port_private: '80', __meta_docker_port_public: '8080', __meta_docker_port_public_ip: '0.0.0.0',
    __meta_docker_container_id: 'c1', __meta_docker_container_name: '/web', __meta_docker_container_network_mode: 'bridge', __meta_docker_container_image: 'nginx', __meta_docker_container_image_id: 'sha256:1',
    __meta_docker_container_label_com_example_team: 'a',
    __meta_docker_network_id: 'n1', __meta_docker_network_name: 'bridge', __meta_docker_network_scope: 'local', __meta_docker_network_internal: 'false', __meta_docker_network_ingress: 'false', __meta_docker_network_label_env: 'dev',
  });
  // The sidecar shares c1's network and publishes nothing: the configured port on c1's IP.
  assert.equal(groups.get('172.17.0.2:9100')!.__meta_docker_container_name, '/sidecar');
  assert.equal(groups.get('localhost')!.__meta_docker_container_name, '/agent');
  assert.equal(decodeURIComponent(api.requests[0]!.query.get('filters')!), '{"label":["prometheus=true"]}');
});

test('dockerswarm: nodes, services at their virtual IPs, tasks with their service and node labels', async (t) => {
  const api = await fakeApi(t);
  const nodes = [{ ID: 'n1', Spec: { Role: 'manager', Availability: 'active', Labels: { zone: 'z1' } }, Description: { Hostname: 'h1', Platform: { Architecture: 'x86_64', OS: 'linux' }, Engine: { EngineVersion: '24.0' } }, Status: { State: 'ready', Addr: '10.0.0.1' }, ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.0.0.1:2377' } }];
  const services = [{ ID: 's1', Spec: { Name: 'web', Mode: { Replicated: { Replicas: 2 } }, TaskTemplate: { ContainerSpec: { Image: 'nginx' } } }, Endpoint: { VirtualIPs: [{ NetworkID: 'net1', Addr: '10.0.1.5/24' }], Ports: [{ Name: 'http', Protocol: 'tcp', PublishMode: 'ingress', PublishedPort: 8080 }] } }];
  api.routes.set('/nodes', nodes);
  api.routes.set('/services', services);
  api.routes.set('/networks', [{ Id: 'net1', Name: 'ingress', Scope: 'swarm', Ingress: true }]);
  api.routes.set('/tasks', [{ ID: 't1', ServiceID: 's1', NodeID: 'n1', Slot: 1, DesiredState: 'running', Status: { State: 'running', ContainerStatus: { ContainerID: 'ct1' }, PortStatus: {} }, NetworksAttachments: [{ Network: { ID: 'net1' }, Addresses: ['10.0.1.7/24'] }] }]);
  const node = byAddress(await discover(sdConfig(`dockerswarm_sd_configs:\n  - host: ${api.base}\n    role: nodes`)));
  assert.deepEqual([...node.keys()], ['10.0.0.1:80']);
  assert.equal(node.get('10.0.0.1:80')!.__meta_dockerswarm_node_manager_leader, 'true');
  assert.equal(node.get('10.0.0.1:80')!.__meta_dockerswarm_node_label_zone, 'z1');
  const svc = byAddress(await discover(sdConfig(`dockerswarm_sd_configs:\n  - host: ${api.base}\n    role: services`)));
  assert.deepEqual([...svc.keys()], ['10.0.1.5:8080']);
  assert.equal(svc.get('10.0.1.5:8080')!.__meta_dockerswarm_service_mode, 'replicated');
  assert.equal(svc.get('10.0.1.5:8080')!.__meta_dockerswarm_network_ingress, 'true');
  const task = byAddress(await discover(sdConfig(`dockerswarm_sd_configs:\n  - host: ${api.base}\n    role: tasks`)));
  assert.deepEqual([...task.keys()], ['10.0.1.7:8080']);
  const tl = task.get('10.0.1.7:8080')!;
  assert.deepEqual([tl.__meta_dockerswarm_task_id, tl.__meta_dockerswarm_service_name, tl.__meta_dockerswarm_node_hostname, tl.__meta_dockerswarm_task_port_publish_mode, tl.__meta_dockerswarm_task_container_id], ['t1', 'web', 'h1', 'ingress', 'ct1']);
});

test('eureka: every instance of every application from the XML registry', async (t) => {
  const api = await fakeApi(t);
  api.routes.set(
    '/eureka/apps',
    `<applications><versions__delta>1</versions__delta><application><name>META-SERVICE</name><instance><instanceId>meta1</instanceId><hostName>meta1.local</hostName><app>META-SERVICE</app><ipAddr>10.0.0.9</ipAddr><status>UP</status><port enabled="true">8080</port><securePort enabled="false">443</securePort><countryId>1</countryId><dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo><metadata><prometheus.scrape>true</prometheus.scrape></metadata><homePageUrl>http://meta1.local:8080/</homePageUrl><vipAddress>meta-service</vipAddress></instance></application></applications>`,
  );
  const groups = await discover(sdConfig(`eureka_sd_configs:\n  - server: ${api.base}/eureka`));
  assert.deepEqual(groups.map((g) => g.targets[0]), ['meta1.local:8080']);
  const l = groups[0]!.labels;
  assert.deepEqual(
    [l.instance, l.__meta_eureka_app_name, l.__meta_eureka_app_instance_port_enabled, l.__meta_eureka_app_instance_secure_port, l.__meta_eureka_app_instance_secure_port_enabled, l.__meta_eureka_app_instance_metadata_prometheus_scrape, l.__meta_eureka_app_instance_datacenterinfo_name, l.__meta_eureka_app_instance_country_id],
    ['meta1', 'META-SERVICE', 'true', '443', 'false', 'true', 'MyOwn', '1'],
  );
});

test('nomad: service instances of the configured namespace and region', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/v1/services', [{ Namespace: 'default', Services: [{ ServiceName: 'api', Tags: ['metrics'] }] }]);
  api.routes.set('/v1/service/api', [{ ID: 'alloc-1-api', ServiceName: 'api', Namespace: 'default', NodeID: 'node-1', Datacenter: 'dc1', Address: '10.0.0.3', Port: 9102, Tags: ['metrics', 'v2'] }]);
  const groups = await discover(sdConfig(`nomad_sd_configs:\n  - server: ${api.base}\n    region: eu`));
  assert.deepEqual(groups.map((g) => [g.targets[0], g.labels.__meta_nomad_service, g.labels.__meta_nomad_tags, g.labels.__meta_nomad_dc]), [['10.0.0.3:9102', 'api', ',metrics,v2,', 'dc1']]);
  assert.deepEqual([api.requests[0]!.query.get('namespace'), api.requests[0]!.query.get('region')], ['default', 'eu']);
});

test('puppetdb: the query POSTed, resources as targets with their parameters flattened', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('POST /pdb/query/v4', [
    { certname: 'edinburgh.example.com', environment: 'prod', exported: false, file: '/etc/puppet/site.pp', parameters: { port: 9100, labels: { alias: 'edi' }, roles: ['web', 'db'], empty: [] }, resource: '49af83', tags: ['node_exporter', 'class'], title: 'node_exporter', type: 'Class' },
  ]);
  const groups = await discover(sdConfig(`puppetdb_sd_configs:\n  - url: ${api.base}/pdb/query/v4\n    query: 'resources { type = "Class" }'\n    include_parameters: true\n    port: 9100\n    bearer_token: tok`));
  assert.deepEqual(groups.map((g) => g.targets[0]), ['edinburgh.example.com:9100']);
  const l = groups[0]!.labels;
  assert.deepEqual(
    [l.__meta_puppetdb_tags, l.__meta_puppetdb_exported, l.__meta_puppetdb_parameter_port, l.__meta_puppetdb_parameter_labels_alias, l.__meta_puppetdb_parameter_roles, l.__meta_puppetdb_parameter_empty],
    [',node_exporter,class,', 'false', '9100', 'edi', 'web,db', undefined],
  );
  assert.deepEqual(JSON.parse(api.requests[0]!.body), { query: 'resources { type = "Class" }' });
  assert.equal(api.requests[0]!.headers.authorization, 'Bearer tok');
});

test('digitalocean: droplets page by page at their public IPv4; database clusters at their private host', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/v2/droplets', (q: URLSearchParams) =>
    q.get('page') === '1'
      ? { droplets: [{ id: 3164444, name: 'ex', image: { slug: 'ubuntu-22-04-x64', name: '22.04' }, networks: { v4: [{ ip_address: '10.0.0.2', type: 'private' }, { ip_address: '104.131.186.241', type: 'public' }], v6: [{ ip_address: '2604:a880::1', type: 'public' }] }, region: { slug: 'nyc3' }, size_slug: 's-1vcpu-1gb', status: 'active', features: ['backups'], tags: ['monitor'], vpc_uuid: 'v1' }], links: { pages: { next: `${api.base}/v2/droplets?page=2` } } }
      : { droplets: [{ id: 2, name: 'no-net', networks: { v4: [] } }], links: {} },
  );
  api.routes.set('/v2/databases', { databases: [{ id: 'db1', name: 'pg', engine: 'pg', version: '16', status: 'online', region: 'nyc3', size: 'db-s-1vcpu-1gb', num_nodes: 1, connection: { host: 'pub.db' }, private_connection: { host: 'priv.db' }, tags: ['prod'] }] });
  const { digitaloceanRefresh } = await import('../../src/discovery/providers/digitalocean.js');
  const droplets = await digitaloceanRefresh(sdConfig('digitalocean_sd_configs:\n  - authorization: {credentials: tok}\n    port: 9100'), api.base)(new AbortController().signal);
  assert.deepEqual(droplets.map((g) => [g.targets[0], g.labels.__meta_digitalocean_private_ipv4, g.labels.__meta_digitalocean_public_ipv6, g.labels.__meta_digitalocean_tags]), [['104.131.186.241:9100', '10.0.0.2', '2604:a880::1', ',monitor,']]);
  assert.equal(api.requests[0]!.headers.authorization, 'Bearer tok');
  const dbs = await digitaloceanRefresh(sdConfig('digitalocean_sd_configs:\n  - role: databases\n    port: 5432'), api.base)(new AbortController().signal);
  assert.deepEqual(dbs.map((g) => [g.targets[0], g.labels.__meta_digitalocean_db_host, g.labels.__meta_digitalocean_db_tag_prod]), [['priv.db:5432', 'pub.db', 'true']]);
});

test('hetzner: hcloud servers with private networks and labels; robot servers with their IPv6 subnet', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/v1/servers', { servers: [{ id: 42, name: 'web-1', status: 'running', public_net: { ipv4: { ip: '1.2.3.4' }, ipv6: { ip: '2001:db8::/64' } }, private_net: [{ network: 7, ip: '10.0.0.2' }], server_type: { name: 'cx22', cores: 2, cpu_type: 'shared', memory: 4.0, disk: 40 }, datacenter: { location: { name: 'fsn1', network_zone: 'eu-central' } }, image: { name: 'ubuntu-24.04', description: 'Ubuntu', os_version: '24.04', os_flavor: 'ubuntu' }, labels: { 'my-key': 'v' } }], meta: { pagination: { next_page: null } } });
  api.routes.set('/v1/networks', { networks: [{ id: 7, name: 'my net' }], meta: { pagination: { next_page: null } } });
  api.routes.set('/robot/server', [{ server: { server_ip: '5.6.7.8', server_number: 321, server_name: 'r1', dc: 'FSN1-DC8', status: 'ready', product: 'EX 44', cancelled: false, subnet: [{ ip: '2a01:4f8::', mask: '64' }] } }]);
  const { hetznerRefresh } = await import('../../src/discovery/providers/hetzner.js');
  const hc = await hetznerRefresh(sdConfig('hetzner_sd_configs:\n  - role: hcloud\n    label_selector: env=prod'), `${api.base}/v1`, `${api.base}/robot`)(new AbortController().signal);
  const l = hc[0]!.labels;
  assert.deepEqual([hc[0]!.targets[0], l.__meta_hetzner_hcloud_private_ipv4_my_net, l.__meta_hetzner_hcloud_label_my_key, l.__meta_hetzner_hcloud_location, l.__meta_hetzner_hcloud_memory_size_gb, l.__meta_hetzner_public_ipv6_network], ['1.2.3.4:80', '10.0.0.2', 'v', 'fsn1', '4', '2001:db8::/64']);
  assert.equal(api.requests[0]!.query.get('label_selector'), 'env=prod');
  const robot = await hetznerRefresh(sdConfig('hetzner_sd_configs:\n  - role: robot\n    basic_auth: {username: u, password: p}'), `${api.base}/v1`, `${api.base}/robot`)(new AbortController().signal);
  assert.deepEqual([robot[0]!.targets[0], robot[0]!.labels.__meta_hetzner_datacenter, robot[0]!.labels.__meta_hetzner_public_ipv6_network, robot[0]!.labels.__meta_hetzner_robot_cancelled], ['5.6.7.8:80', 'fsn1-dc8', '2a01:4f8::/64', 'false']);
});

test('linode: instances at their public IPv4, private and extra IPs, reverse DNS, IPv6 ranges, the region filter', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/v4/linode/instances', { data: [{ id: 1, label: 'web', image: 'linode/ubuntu', ipv4: ['45.33.1.1', '192.168.1.1', '45.33.1.2'], ipv6: '2600:3c01::1/128', region: 'us-east', type: 'g6-standard-1', status: 'running', group: '', hypervisor: 'kvm', tags: ['monitoring'], backups: { enabled: true }, specs: { disk: 51200, memory: 2048, vcpus: 1, transfer: 2000, gpus: 0 } }], page: 1, pages: 1 });
  api.routes.set('/v4/networking/ips', { data: [{ address: '45.33.1.1', public: true, rdns: 'li1.members.linode.com' }, { address: '192.168.1.1', public: false, rdns: null }, { address: '45.33.1.2', public: true }, { address: '2600:3c01::1', public: true, rdns: 'v6.example' }], page: 1, pages: 1 });
  api.routes.set('/v4/networking/ipv6/ranges', { data: [{ range: '2600:3c01:e000::', prefix: 64, route_target: '2600:3c01::1' }], page: 1, pages: 1 });
  const { linodeRefresh } = await import('../../src/discovery/providers/linode.js');
  const g = await linodeRefresh(sdConfig('linode_sd_configs:\n  - region: us-east'), `${api.base}/v4`)(new AbortController().signal);
  const l = g[0]!.labels;
  assert.deepEqual([g[0]!.targets[0], l.__meta_linode_private_ipv4, l.__meta_linode_public_ipv4_rdns, l.__meta_linode_extra_ips, l.__meta_linode_ipv6_ranges, l.__meta_linode_specs_memory_bytes, l.__meta_linode_backups], ['45.33.1.1:80', '192.168.1.1', 'li1.members.linode.com', ',45.33.1.2,', ',2600:3c01:e000::/64,', '2147483648', 'enabled']);
  assert.equal(api.requests[0]!.headers['x-filter'], '{"region":"us-east"}');
});

test('vultr: instances followed through the cursor, at their main IP', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/v2/instances', (q: URLSearchParams) =>
    q.get('cursor') === null ? { instances: [{ id: 'a', label: 'one', main_ip: '149.28.0.1', os_id: 387, ram: 1024, tags: ['x'] }], meta: { links: { next: 'c2' } } } : { instances: [{ id: 'b', main_ip: '149.28.0.2' }], meta: { links: { next: '' } } },
  );
  const { vultrRefresh } = await import('../../src/discovery/providers/vultr.js');
  const g = await vultrRefresh(sdConfig('vultr_sd_configs:\n  - authorization: {credentials: k}\n    port: 9100'), api.base)(new AbortController().signal);
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_vultr_instance_id, x.labels.__meta_vultr_instance_tags]), [['149.28.0.1:9100', 'a', ',x,'], ['149.28.0.2:9100', 'b', undefined]]);
});

/** Checks a request's SigV4 signature by signing what arrived again with the same keys. */
function assertSigned(r: { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: string }, service: string, region: string): void {
  const headers: Record<string, string> = {};
  for (const k of ['content-type', 'x-amz-date', 'x-amz-target', 'x-amz-security-token']) if (typeof r.headers[k] === 'string') headers[k] = r.headers[k];
  const again = aws4.sign({ host: r.headers.host as string, path: r.path, method: r.method, service, region, body: r.body, headers }, { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI' });
  assert.equal(r.headers.authorization, again.headers!.Authorization);
}

test('ec2: DescribeInstances signed with SigV4, filters and paging, instances at their private IP with zone IDs, tags and IPv6', async (t) => {
  const api = await fakeApi(t);
  const instance = (id: string, ip: string | undefined, extra = ''): string =>
    `<item><instanceId>${id}</instanceId><imageId>ami-1</imageId><instanceState><code>16</code><name>running</name></instanceState><privateDnsName>ip.internal</privateDnsName><dnsName>ec2.public</dnsName><instanceType>t3.micro</instanceType><placement><availabilityZone>us-east-1a</availabilityZone></placement>${ip !== undefined ? `<privateIpAddress>${ip}</privateIpAddress>` : ''}<ipAddress>3.3.3.3</ipAddress><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId><architecture>x86_64</architecture><tagSet><item><key>Name</key><value>web</value></item><item><key>team:owner</key><value>obs</value></item></tagSet>${extra}</item>`;
  const eni = '<networkInterfaceSet><item><subnetId>subnet-1</subnetId><attachment><deviceIndex>0</deviceIndex></attachment><ipv6AddressesSet><item><ipv6Address>2600:1f18::1</ipv6Address><isPrimaryIpv6>true</isPrimaryIpv6></item></ipv6AddressesSet></item><item><subnetId>subnet-2</subnetId><attachment><deviceIndex>1</deviceIndex></attachment></item></networkInterfaceSet>';
  api.routes.set('POST /', (_q: URLSearchParams, body: string) => {
    const p = new URLSearchParams(body);
    if (p.get('Action') === 'DescribeAvailabilityZones') return '<DescribeAvailabilityZonesResponse><availabilityZoneInfo><item><zoneName>us-east-1a</zoneName><zoneId>use1-az4</zoneId></item></availabilityZoneInfo></DescribeAvailabilityZonesResponse>';
    if (p.get('NextToken') === null) return `<DescribeInstancesResponse><reservationSet><item><ownerId>1234</ownerId><instancesSet>${instance('i-1', '10.0.0.1', eni)}</instancesSet></item></reservationSet><nextToken>t2</nextToken></DescribeInstancesResponse>`;
    return `<DescribeInstancesResponse><reservationSet><item><ownerId>1234</ownerId><instancesSet>${instance('i-2', undefined)}${instance('i-3', '10.0.0.3')}</instancesSet></item></reservationSet></DescribeInstancesResponse>`;
  });
  const c = sdConfig(`ec2_sd_configs:\n  - region: us-east-1\n    endpoint: ${api.base}/\n    access_key: AKIDEXAMPLE\n    secret_key: wJalrXUtnFEMI\n    port: 9100\n    filters: [{name: "tag:env", values: [prod, staging]}]`);
  const groups = byAddress(await discover(c));
  assert.deepEqual([...groups.keys()], ['10.0.0.1:9100', '10.0.0.3:9100']);
  const l = groups.get('10.0.0.1:9100')!;
  assert.deepEqual(
    [l.__meta_ec2_instance_id, l.__meta_ec2_owner_id, l.__meta_ec2_availability_zone_id, l.__meta_ec2_tag_Name, l.__meta_ec2_tag_team_owner, l.__meta_ec2_subnet_id, l.__meta_ec2_primary_ipv6_addresses, l.__meta_ec2_default_ipv6_address, l.__meta_ec2_public_ip, l.__meta_ec2_instance_state, l.__meta_ec2_region],
    ['i-1', '1234', 'use1-az4', 'web', 'obs', ',subnet-1,subnet-2,', ',2600:1f18::1,', '2600:1f18::1', '3.3.3.3', 'running', 'us-east-1'],
  );
  const describe = api.requests.filter((r) => r.body.includes('DescribeInstances'));
  assert.equal(describe.length, 2);
  const form = new URLSearchParams(describe[0]!.body);
  assert.deepEqual([form.get('Filter.1.Name'), form.get('Filter.1.Value.1'), form.get('Filter.1.Value.2')], ['tag:env', 'prod', 'staging']);
  for (const r of api.requests) assertSigned(r, 'ec2', 'us-east-1');
});

test('lightsail: GetInstances signed with SigV4, instances at their private IP', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('POST /', { instances: [{ name: 'ls-1', privateIpAddress: '172.26.0.5', publicIpAddress: '3.1.1.1', ipv6Addresses: ['2600::1'], location: { availabilityZone: 'eu-west-1a' }, blueprintId: 'ubuntu', bundleId: 'nano', state: { name: 'running' }, supportCode: 'sc', tags: [{ key: 'env', value: 'prod' }] }, { name: 'no-ip' }] });
  const c = sdConfig(`lightsail_sd_configs:\n  - region: eu-west-1\n    endpoint: ${api.base}/\n    access_key: AKIDEXAMPLE\n    secret_key: wJalrXUtnFEMI`);
  const g = await discover(c);
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_lightsail_instance_name, x.labels.__meta_lightsail_ipv6_addresses, x.labels.__meta_lightsail_tag_env]), [['172.26.0.5:80', 'ls-1', ',2600::1,', 'prod']]);
  assert.equal(api.requests[0]!.headers['x-amz-target'], 'Lightsail_20161128.GetInstances');
  assertSigned(api.requests[0]!, 'lightsail', 'eu-west-1');
});

test('aws credentials: a profile of the shared credentials file', async () => {
  const { profileCredentials } = await import('../../src/discovery/providers/aws.js');
  const f = join(mkdtempSync(join(tmpdir(), 'aws-')), 'credentials');
  writeFileSync(f, '[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n\n[prod]\naws_access_key_id=A2\naws_secret_access_key=S2\naws_session_token=T2\n');
  assert.deepEqual(profileCredentials('prod', f), { accessKeyId: 'A2', secretAccessKey: 'S2', sessionToken: 'T2' });
  assert.deepEqual(profileCredentials('default', f), { accessKeyId: 'A1', secretAccessKey: 'S1' });
  assert.equal(profileCredentials('missing', f), undefined);
});

test('marathon: app tasks per port (port mappings, task ports), labels, and the token=... authorization', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/v2/apps/', {
    apps: [
      { id: '/web', labels: { team: 'a' }, container: { docker: { image: 'nginx', portMappings: [{ containerPort: 80, hostPort: 31000, labels: { prometheus: 'yes' } }] } }, tasks: [{ id: 'web.1', host: 'agent-1', ports: [31000] }] },
      { id: '/api', container: { docker: { image: 'api' } }, portDefinitions: [{ port: 0, labels: { kind: 'metrics' } }], tasks: [{ id: 'api.1', host: 'agent-2', ports: [31500] }] },
      { id: '/cn', networks: [{ mode: 'container' }], container: { portMappings: [{ containerPort: 9100, hostPort: 0 }] }, tasks: [{ id: 'cn.1', host: 'agent-3', ipAddresses: [{ ipAddress: '10.5.0.2' }] }] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'marathon-'));
  writeFileSync(join(dir, 'token'), 'tok-from-file\n');
  const c = parseConfig(`scrape_configs:\n  - job_name: j\n    marathon_sd_configs:\n      - servers: ['${api.base}']\n        auth_token_file: token\n`, join(dir, 'p.yml')).scrapeConfigs[0]!.otherSdConfigs[0]!;
  const g = await discover(c);
  assert.deepEqual(
    g.map((x) => [x.targets[0], x.labels.__meta_marathon_app, x.labels.__meta_marathon_task, x.labels.__meta_marathon_port_index, x.labels.__meta_marathon_port_mapping_label_prometheus ?? x.labels.__meta_marathon_port_definition_label_kind]),
    [['agent-1:31000', '/web', 'web.1', '0', 'yes'], ['agent-2:31500', '/api', 'api.1', '0', 'metrics'], ['10.5.0.2:9100', '/cn', 'cn.1', '0', undefined]],
  );
  assert.equal(g[0]!.labels.__meta_marathon_app_label_team, 'a');
  assert.equal(api.requests[0]!.headers.authorization, 'token=tok-from-file');
  assert.equal(api.requests[0]!.query.get('embed'), 'apps.tasks');
});

test('triton: containers and compute nodes from the discovery endpoint', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/v1/discover', { containers: [{ groups: ['web', 'prod'], server_uuid: 's-1', vm_alias: 'web-1', vm_brand: 'lx', vm_image_uuid: 'img', vm_uuid: 'vm-1' }] });
  api.routes.set('/v1/gz/discover', { cns: [{ server_uuid: 'cn-1', server_hostname: 'headnode' }] });
  const { tritonRefresh } = await import('../../src/discovery/providers/triton.js');
  const port = Number(new URL(api.base).port);
  const yml = (role: string): string => `triton_sd_configs:\n  - account: acct\n    role: ${role}\n    dns_suffix: cmon.example\n    endpoint: 127.0.0.1\n    port: ${port}\n    groups: [web]`;
  const containers = await tritonRefresh(sdConfig(yml('container')), 'http')(new AbortController().signal);
  assert.deepEqual(containers.map((x) => [x.targets[0], x.labels.__meta_triton_groups, x.labels.__meta_triton_machine_alias]), [[`vm-1.cmon.example:${port}`, ',web,prod,', 'web-1']]);
  assert.equal(api.requests[0]!.query.get('groups'), 'web');
  const cns = await tritonRefresh(sdConfig(yml('cn')), 'http')(new AbortController().signal);
  assert.deepEqual(cns.map((x) => [x.targets[0], x.labels.__meta_triton_machine_alias]), [[`cn-1.cmon.example:${port}`, 'headnode']]);
});

test('uyuni: log in over XML-RPC, then the monitored systems\' endpoints with their groups and network names', async (t) => {
  const api = await fakeApi(t);
  const v = (x: string): string => `<?xml version="1.0"?><methodResponse><params><param><value>${x}</value></param></params></methodResponse>`;
  const struct = (o: Record<string, string>): string => `<struct>${Object.entries(o).map(([k, x]) => `<member><name>${k}</name><value>${x}</value></member>`).join('')}</struct>`;
  api.routes.set('POST /rpc/api', (_q: URLSearchParams, body: string) => {
    const method = /<methodName>([^<]+)</.exec(body)![1];
    if (method === 'auth.login') return v('<string>sess-1</string>');
    if (method === 'system.listSystemGroupsForSystemsWithEntitlement') return v(`<array><data><value>${struct({ id: '<int>1000</int>', system_groups: `<array><data><value>${struct({ id: '<int>1</int>', name: '<string>web</string>' })}</value><value>${struct({ id: '<int>2</int>', name: '<string>prod</string>' })}</value></data></array>` })}</value></data></array>`);
    if (method === 'system.monitoring.listEndpoints') return v(`<array><data><value>${struct({ system_id: '<int>1000</int>', endpoint_name: '<string>node_exporter</string>', port: '<int>9100</int>', path: '<string>/metrics</string>', module: '<string></string>', exporter_name: '<string>node</string>', tls_enabled: '<boolean>1</boolean>' })}</value></data></array>`);
    if (method === 'system.getNetworkForSystems') return v(`<array><data><value>${struct({ system_id: '<int>1000</int>', hostname: '<string>minion-1</string>', primary_fqdn: '<string>minion-1.example</string>', ip: '<string>10.0.0.8</string>' })}</value></data></array>`);
    return `<?xml version="1.0"?><methodResponse><fault><value>${struct({ faultCode: '<int>-1</int>', faultString: '<string>unknown method</string>' })}</value></fault></methodResponse>`;
  });
  const g = await discover(sdConfig(`uyuni_sd_configs:\n  - server: ${api.base}\n    username: admin\n    password: pw`));
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_uyuni_groups, x.labels.__meta_uyuni_scheme, x.labels.__meta_uyuni_primary_fqdn, x.labels.__meta_uyuni_exporter]), [['minion-1:9100', 'web,prod', 'https', 'minion-1.example', 'node']]);
  assert.match(api.requests[0]!.body, /<methodName>auth.login<\/methodName>.*<string>admin<\/string>.*<string>pw<\/string>.*<int>600<\/int>/);
  assert.match(api.requests[2]!.body, /<string>sess-1<\/string>.*<array><data><value><int>1000<\/int><\/value><\/data><\/array>/);
});

test('azure: OAuth client credentials, VMs and scale-set VMs page by page, at the primary interface private IP', async (t) => {
  const api = await fakeApi(t);
  const sub = '/subscriptions/sub-1';
  const vm = (id: string, name: string, nic: string) => ({ id, name, location: 'westeurope', tags: { 'env-name': 'prod' }, properties: { storageProfile: { osDisk: { osType: 'Linux' } }, networkProfile: { networkInterfaces: [{ id: nic }] }, osProfile: { computerName: `${name}-host` }, hardwareProfile: { vmSize: 'Standard_B1s' } } });
  api.routes.set('POST /tenant-1/oauth2/v2.0/token', { access_token: 'arm-token', expires_in: 3600 });
  api.routes.set(`${sub}/providers/Microsoft.Compute/virtualMachines`, (q: URLSearchParams) =>
    q.get('page') === null ? { value: [vm(`${sub}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm1`, 'vm1', `${sub}/resourceGroups/rg-a/providers/Microsoft.Network/networkInterfaces/nic1`)], nextLink: `${api.base}${sub}/providers/Microsoft.Compute/virtualMachines?page=2` } : { value: [vm(`${sub}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm2`, 'vm2', `${sub}/resourceGroups/rg-a/providers/Microsoft.Network/networkInterfaces/nic2`)] },
  );
  api.routes.set(`${sub}/providers/Microsoft.Compute/virtualMachineScaleSets`, { value: [{ id: `${sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/ss1`, name: 'ss1' }] });
  api.routes.set(`${sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/ss1/virtualMachines`, { value: [{ ...vm(`${sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/ss1/virtualMachines/0`, 'ss1_0', `${sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/ss1/virtualMachines/0/networkInterfaces/nic3`), instanceId: '0' }] });
  api.routes.set(`${sub}/resourceGroups/rg-a/providers/Microsoft.Network/networkInterfaces/nic1`, { properties: { primary: true, ipConfigurations: [{ properties: { privateIPAddress: '10.0.0.4', publicIPAddress: { properties: { ipAddress: '20.1.1.1' } } } }] } });
  api.routes.set(`${sub}/resourceGroups/rg-a/providers/Microsoft.Network/networkInterfaces/nic2`, { properties: { ipConfigurations: [] } }); // deallocated: no `primary`
  api.routes.set(`${sub}/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachineScaleSets/ss1/virtualMachines/0/networkInterfaces/nic3`, { properties: { primary: true, ipConfigurations: [{ properties: { privateIPAddress: '10.1.0.5' } }] } });
  const { azureRefresh } = await import('../../src/discovery/providers/azure.js');
  const c = sdConfig('azure_sd_configs:\n  - subscription_id: sub-1\n    tenant_id: tenant-1\n    client_id: app-1\n    client_secret: s3\n    port: 9100');
  const g = await azureRefresh(c, { arm: api.base, login: api.base })(new AbortController().signal);
  assert.deepEqual(
    g.map((x) => [x.targets[0], x.labels.__meta_azure_machine_name, x.labels.__meta_azure_machine_resource_group, x.labels.__meta_azure_machine_public_ip, x.labels.__meta_azure_machine_scale_set, x.labels.__meta_azure_machine_tag_env_name]),
    [['10.0.0.4:9100', 'vm1', 'rg-a', '20.1.1.1', undefined, 'prod'], ['10.1.0.5:9100', 'ss1_0', 'rg-b', undefined, 'ss1', 'prod']],
  );
  const tokenReq = new URLSearchParams(api.requests[0]!.body);
  assert.deepEqual([tokenReq.get('client_id'), tokenReq.get('client_secret'), tokenReq.get('grant_type'), tokenReq.get('scope')], ['app-1', 's3', 'client_credentials', `${api.base}/.default`]);
  const nicReq = api.requests.find((r) => r.path.endsWith('/nic1'))!;
  assert.equal(nicReq.headers.authorization, 'Bearer arm-token');
  assert.equal(nicReq.query.get('$expand'), 'ipConfigurations/publicIPAddress');
});

test('openstack: Keystone v3 password login, the catalog endpoint of the region, instances with floating IPs; hypervisors', async (t) => {
  const api = await fakeApi(t);
  const ep = (type: string, path: string) => ({ type, endpoints: [{ interface: 'public', region: 'RegionOne', url: `${api.base}${path}` }, { interface: 'internal', region: 'RegionOne', url: 'http://internal.invalid' }] });
  api.routes.set('POST /identity/v3/auth/tokens', { token: { catalog: [ep('compute', '/compute/v2.1'), ep('network', '/network')] } });
  api.responseHeaders.set('/identity/v3/auth/tokens', { 'X-Subject-Token': 'tok-os' });
  api.routes.set('/network/v2.0/ports', { ports: [{ id: 'port-1', device_id: 'srv-1' }] });
  api.routes.set('/network/v2.0/floatingips', { floatingips: [{ port_id: 'port-1', fixed_ip_address: '10.0.0.5', floating_ip_address: '172.24.4.10' }] });
  api.routes.set('/compute/v2.1/servers/detail', {
    servers: [
      { id: 'srv-1', name: 'web', status: 'ACTIVE', tenant_id: 'p1', user_id: 'u1', flavor: { original_name: 'm1.small' }, image: { id: 'img-1' }, metadata: { env: 'prod' }, addresses: { private: [{ addr: '10.0.0.5' }, { addr: '172.24.4.10' }] } },
      { id: 'srv-2', name: 'bare', status: 'BUILD', flavor: { id: 'f2' }, image: '', addresses: {} },
    ],
  });
  api.routes.set('/compute/v2.1/os-hypervisors/detail', { hypervisors: [{ id: 1, hypervisor_hostname: 'hv1', host_ip: '192.168.0.11', status: 'enabled', state: 'up', hypervisor_type: 'QEMU' }] });
  const yml = (role: string): string => `openstack_sd_configs:\n  - role: ${role}\n    region: RegionOne\n    identity_endpoint: ${api.base}/identity/v3\n    username: admin\n    password: pw\n    domain_name: Default\n    project_name: demo\n    port: 9100`;
  const inst = await discover(sdConfig(yml('instance')));
  assert.deepEqual(inst.map((x) => [x.targets[0], x.labels.__meta_openstack_public_ip, x.labels.__meta_openstack_address_pool, x.labels.__meta_openstack_instance_flavor, x.labels.__meta_openstack_tag_env]), [['10.0.0.5:9100', '172.24.4.10', 'private', 'm1.small', 'prod']]);
  const auth = JSON.parse(api.requests[0]!.body) as { auth: { identity: { password: { user: { name: string; password: string; domain: { name: string } } } }; scope: unknown } };
  assert.deepEqual([auth.auth.identity.password.user.name, auth.auth.identity.password.user.password, auth.auth.identity.password.user.domain.name], ['admin', 'pw', 'Default']);
  assert.deepEqual(auth.auth.scope, { project: { name: 'demo', domain: { name: 'Default' } } });
  assert.equal(api.requests.find((r) => r.path.endsWith('/servers/detail'))!.headers['x-auth-token'], 'tok-os');
  const hv = await discover(sdConfig(yml('hypervisor')));
  assert.deepEqual(hv.map((x) => [x.targets[0], x.labels.__meta_openstack_hypervisor_hostname, x.labels.__meta_openstack_hypervisor_type]), [['192.168.0.11:9100', 'hv1', 'QEMU']]);
});

test('gce: a service-account key exchanged with a signed JWT, instances page by page at their first interface', async (t) => {
  const api = await fakeApi(t);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPath = join(mkdtempSync(join(tmpdir(), 'gce-')), 'sa.json');
  writeFileSync(keyPath, JSON.stringify({ type: 'service_account', client_email: 'sd@proj.iam.gserviceaccount.com', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), token_uri: `${api.base}/token` }));
  const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  process.env.GOOGLE_APPLICATION_CREDENTIALS = keyPath;
  t.after(() => (saved === undefined ? delete process.env.GOOGLE_APPLICATION_CREDENTIALS : (process.env.GOOGLE_APPLICATION_CREDENTIALS = saved)));
  api.routes.set('POST /token', (_q: URLSearchParams, body: string) => {
    const [head, claims, sig] = new URLSearchParams(body).get('assertion')!.split('.');
    const ok = createVerify('RSA-SHA256').update(`${head}.${claims}`).verify(publicKey, Buffer.from(sig!, 'base64url'));
    return ok ? { access_token: 'g-token', expires_in: 3600 } : { error: 'bad signature' };
  });
  const inst = (id: string, ip: string) => ({ id, name: `vm-${id}`, zone: 'https://x/zones/europe-west1-b', status: 'RUNNING', machineType: 'e2-small', networkInterfaces: [{ name: 'nic0', network: 'default', subnetwork: 'sub', networkIP: ip, accessConfigs: [{ type: 'ONE_TO_ONE_NAT', natIP: '35.1.1.1' }] }], tags: { items: ['http', 'prom'] }, metadata: { items: [{ key: 'team', value: 'obs' }] }, labels: { env: 'prod' } });
  api.routes.set('/compute/v1/projects/proj/zones/europe-west1-b/instances', (q: URLSearchParams) => (q.get('pageToken') === null ? { items: [inst('1', '10.132.0.2')], nextPageToken: 'p2' } : { items: [inst('2', '10.132.0.3'), { id: '3', name: 'nonet' }] }));
  const { gceRefresh } = await import('../../src/discovery/providers/gce.js');
  const g = await gceRefresh(sdConfig('gce_sd_configs:\n  - project: proj\n    zone: europe-west1-b\n    filter: \'labels.env = "prod"\'\n    port: 9100'), `${api.base}/compute/v1`)(new AbortController().signal);
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_gce_public_ip, x.labels.__meta_gce_tags, x.labels.__meta_gce_metadata_team, x.labels.__meta_gce_label_env, x.labels.__meta_gce_interface_ipv4_nic0]), [
    ['10.132.0.2:9100', '35.1.1.1', ',http,prom,', 'obs', 'prod', '10.132.0.2'],
    ['10.132.0.3:9100', '35.1.1.1', ',http,prom,', 'obs', 'prod', '10.132.0.3'],
  ]);
  const list = api.requests.find((r) => r.path.endsWith('/instances'))!;
  assert.equal(list.headers.authorization, 'Bearer g-token');
  assert.equal(list.query.get('filter'), 'labels.env = "prod"');
});

test('kuma: monitoring assignments over xDS REST, the version and nonce sent back, 304 keeps the targets', async (t) => {
  const api = await fakeApi(t);
  let calls = 0;
  api.routes.set('POST /v3/discovery:monitoringassignments', () =>
    ++calls === 1
      ? { versionInfo: 'v1', nonce: 'n1', typeUrl: 'type.googleapis.com/kuma.observability.v1.MonitoringAssignment', resources: [{ '@type': 'type.googleapis.com/kuma.observability.v1.MonitoringAssignment', mesh: 'default', service: 'web', labels: { team: 'a' }, targets: [{ name: 'web-dp-1', scheme: 'http', address: '10.0.0.7:5670', metricsPath: '/stats', labels: { zone: 'z1' } }] }] }
      : { __status: 304 },
  );
  const refresh = PROVIDERS.kuma!(sdConfig(`kuma_sd_configs:\n  - server: ${api.base}\n    client_id: prom-1`), new Logger({ level: 'error', write: () => {} }));
  const first = await refresh(new AbortController().signal);
  assert.deepEqual(first.map((g) => [g.targets[0], g.labels.instance, g.labels.__metrics_path__, g.labels.__meta_kuma_service, g.labels.__meta_kuma_label_team, g.labels.__meta_kuma_label_zone]), [['10.0.0.7:5670', 'web-dp-1', '/stats', 'web', 'a', 'z1']]);
  const again = await refresh(new AbortController().signal);
  assert.deepEqual(again, first);
  const req2 = JSON.parse(api.requests[1]!.body) as { versionInfo: string; responseNonce: string; node: { id: string } };
  assert.deepEqual([req2.versionInfo, req2.responseNonce, req2.node.id], ['v1', 'n1', 'prom-1']);
  assert.equal(api.requests[0]!.query.get('fetch-timeout'), '120s');
});

test('discovery metrics: discovered targets per config, refresh failures and durations per mechanism, configs that failed', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/v1/services', [{ Namespace: 'default', Services: [{ ServiceName: 'api' }] }]);
  api.routes.set('/v1/service/api', [{ ID: 'a1', ServiceName: 'api', Address: '10.0.0.3', Port: 9102 }]);
  const registry = new client.Registry();
  const metrics = createDiscoveryMetrics(registry);
  const cfg = parseConfig(`scrape_configs:\n  - job_name: j\n    static_configs: [{targets: ["a:1"]}]\n    nomad_sd_configs: [{server: "${api.base}"}]\n    eureka_sd_configs: [{server: "http://127.0.0.1:1/eureka"}]\n    oci_sd_configs: [{auth: instance_principal, region: eu-frankfurt-1}]\n`, 'p.yml');
  let groups: TargetGroup[] = [];
  const stop = startDiscovery(cfg.scrapeConfigs[0]!, '/', new Logger({ level: 'error', write: () => {} }), (g) => (groups = g), { metrics, name: 'scrape', config: 'j' });
  t.after(stop);
  for (let i = 0; i < 200 && groups.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
  for (let i = 0; i < 200 && !(await registry.metrics()).includes('prometheus_sd_refresh_failures_total{mechanism="eureka"'); i++) await new Promise((r) => setTimeout(r, 25));
  const text = await registry.metrics();
  assert.match(text, /prometheus_sd_discovered_targets\{config="j",name="scrape"\} 2/);
  assert.match(text, /prometheus_sd_refresh_failures_total\{mechanism="eureka",config="j"\} 1/);
  assert.match(text, /prometheus_sd_refresh_duration_seconds_count\{mechanism="nomad",config="j"\} 1/);
  assert.match(text, /prometheus_sd_failed_configs\{name="scrape"\} 1/); // instance-principal OCI cannot be created
});

test('ionos: the data center\'s servers at the first NIC address, NIC addresses by name, boot image', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/cloudapi/v6/datacenters/dc-1/servers', {
    id: 'dc-1-servers',
    items: [
      { id: 's1', metadata: { state: 'AVAILABLE' }, properties: { name: 'web', availabilityZone: 'AUTO', cpuFamily: 'INTEL_SKYLAKE', vmState: 'RUNNING', type: 'ENTERPRISE', bootVolume: { id: 'vol-1' } }, entities: { nics: { items: [{ properties: { name: 'metrics', ips: ['10.0.0.1'] } }, { properties: { ips: ['85.1.1.1', '85.1.1.2'] } }] }, volumes: { items: [{ properties: { image: 'img-1' } }] } } },
      { id: 's2', properties: { name: 'no-nic' }, entities: { nics: { items: [] } } },
    ],
  });
  const { ionosRefresh } = await import('../../src/discovery/providers/ionos.js');
  const g = await ionosRefresh(sdConfig('ionos_sd_configs:\n  - datacenter_id: dc-1\n    basic_auth: {username: u, password: p}\n    port: 9100'), api.base)(new AbortController().signal);
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_ionos_server_ip, x.labels.__meta_ionos_server_nic_ip_metrics, x.labels.__meta_ionos_server_nic_ip_unnamed, x.labels.__meta_ionos_server_boot_image_id, x.labels.__meta_ionos_server_servers_id]), [['85.1.1.1:9100', ',85.1.1.1,85.1.1.2,10.0.0.1,', ',10.0.0.1,', ',85.1.1.1,85.1.1.2,', 'img-1', 'dc-1-servers']]);
  assert.equal(api.requests[0]!.query.get('depth'), '3');
});

test('ovhcloud: signed calls with the server\'s time, VPS details and their IPs; a server whose details fail is left out', async (t) => {
  const api = await fakeApi(t);
  const serverTime = Math.floor(Date.now() / 1000) - 100;
  api.routes.set('/1.0/auth/time', serverTime);
  api.routes.set('/1.0/vps', ['vps-1', 'vps-broken']);
  api.routes.set('/1.0/vps/vps-1', { zone: 'Region OpenStack: os-gra2', model: { offer: 'VPS Value', datacenter: ['gra'], vcore: 1, maximumAdditionnalIp: 16, version: '2019v1', name: 'vps-value-1-2-40', disk: 40, memory: 2048 }, displayName: 'my vps', cluster: 'c1', state: 'running', name: 'vps-1', netbootMode: 'local', memoryLimit: 2048, offerType: 'ssd', vcore: 1 });
  api.routes.set('/1.0/vps/vps-1/ips', ['192.0.2.1', '2001:db8::1', '198.51.100.0/24']);
  const warnings: string[] = [];
  const { ovhcloudRefresh } = await import('../../src/discovery/providers/ovhcloud.js');
  const c = sdConfig(`ovhcloud_sd_configs:\n  - endpoint: ${api.base}/1.0\n    application_key: ak\n    application_secret: as\n    consumer_key: ck\n    service: vps`);
  const g = await ovhcloudRefresh(c, (m) => warnings.push(m))(new AbortController().signal);
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.instance, x.labels.__meta_ovhcloud_vps_ipv6, x.labels.__meta_ovhcloud_vps_datacenter, x.labels.__meta_ovhcloud_vps_maximum_additional_ip]), [['192.0.2.1', 'vps-1', '2001:db8::1', '[gra]', '16']]);
  assert.match(warnings[0]!, /Could not get details of vps-broken/);
  const r = api.requests.find((x) => x.path === '/1.0/vps/vps-1')!;
  const ts = r.headers['x-ovh-timestamp'] as string;
  assert.ok(Math.abs(Number(ts) - serverTime) <= 2);
  assert.equal(r.headers['x-ovh-signature'], '$1$' + createHash('sha1').update(`as+ck+GET+${api.base}/1.0/vps/vps-1++${ts}`).digest('hex'));
  assert.equal(r.headers['x-ovh-application'], 'ak');
});

test('outscale: ReadVms signed with SigV4 (service oapi), page by page, at the private IP', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('POST /api/v1/ReadVms', (_q: URLSearchParams, body: string) =>
    body === '{}' ? { Vms: [{ VmId: 'i-1', State: 'running', PrivateIp: '10.0.0.9', PublicIp: '1.1.1.1', Placement: { SubregionName: 'eu-west-2a' }, Tags: [{ Key: 'name', Value: 'web' }] }], NextPageToken: 'p2' } : { Vms: [{ VmId: 'i-2', State: 'stopped' }] },
  );
  const dir = mkdtempSync(join(tmpdir(), 'osc-'));
  writeFileSync(join(dir, 'secret'), 'wJalrXUtnFEMI\n');
  const c = parseConfig(`scrape_configs:\n  - job_name: j\n    outscale_sd_configs:\n      - endpoint: ${api.base}/api/v1\n        region: eu-west-2\n        access_key: AKIDEXAMPLE\n        secret_key_file: secret\n`, join(dir, 'p.yml')).scrapeConfigs[0]!.otherSdConfigs[0]!;
  const g = await discover(c);
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_outscale_vm_subregion, x.labels.__meta_outscale_vm_tag_name, x.labels.__meta_outscale_vm_public_ip]), [['10.0.0.9:80', 'eu-west-2a', 'web', '1.1.1.1']]);
  assert.equal(JSON.parse(api.requests[1]!.body).NextPageToken, 'p2');
  for (const r of api.requests) assertSigned(r, 'oapi', 'eu-west-2');
});

test('scaleway: instances of the project at their private IP (IPAM for private NICs), Elastic Metal servers with offer and OS names', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('/instance/v1/zones/fr-par-1/servers', { total_count: 2, servers: [
    { id: 's1', name: 'web', hostname: 'web', organization: 'o1', project: 'p1', state: 'running', commercial_type: 'DEV1-S', zone: 'fr-par-1', boot_type: 'local', image: { id: 'img', name: 'Ubuntu', arch: 'x86_64' }, tags: ['prom'], public_ips: [{ address: '51.1.1.1', family: 'inet' }], public_ip: { address: '51.1.1.1', family: 'inet' }, private_ip: '10.1.1.1' },
    { id: 's2', name: 'private-only', zone: 'fr-par-1', private_nics: [{ id: 'nic-2' }] },
  ] });
  api.routes.set('/ipam/v1/regions/fr-par/ips', { total_count: 1, ips: [{ address: '172.16.0.5/22', is_ipv6: false, resource: { id: 'nic-2' } }] });
  api.routes.set('/baremetal/v1/zones/fr-par-2/servers', { total_count: 1, servers: [{ id: 'b1', name: 'metal', zone: 'fr-par-2', status: 'ready', project_id: 'p1', offer_id: 'off-1', install: { os_id: 'os-1' }, ips: [{ address: '2001:bc8::1', version: 'IPv6' }, { address: '51.2.2.2', version: 'IPv4' }] }] });
  api.routes.set('/baremetal/v1/zones/fr-par-2/offers', { total_count: 1, offers: [{ id: 'off-1', name: 'EM-A210R-HDD' }] });
  api.routes.set('/baremetal/v1/zones/fr-par-2/os', { total_count: 1, os: [{ id: 'os-1', name: 'Debian', version: '12' }] });
  const yml = (role: string, zone: string): string => `scaleway_sd_configs:\n  - role: ${role}\n    project_id: p1\n    zone: ${zone}\n    api_url: ${api.base}\n    access_key: SCWXXX\n    secret_key: 11111111-1111-1111-1111-111111111111\n    tags_filter: [prom]`;
  const inst = await discover(sdConfig(yml('instance', 'fr-par-1')));
  assert.deepEqual(inst.map((x) => [x.targets[0], x.labels.__meta_scaleway_instance_private_ipv4, x.labels.__meta_scaleway_instance_region, x.labels.__meta_scaleway_instance_public_ipv4_addresses]), [['10.1.1.1:80', '10.1.1.1', 'fr-par', ',51.1.1.1,'], ['172.16.0.5:80', '172.16.0.5', 'fr-par', undefined]]);
  const list = api.requests[0]!;
  assert.deepEqual([list.headers['x-auth-token'], list.query.get('project'), list.query.get('tags')], ['11111111-1111-1111-1111-111111111111', 'p1', 'prom']);
  assert.deepEqual(api.requests.find((r) => r.path.startsWith('/ipam'))!.query.getAll('resource_ids'), ['nic-2']);
  const metal = await discover(sdConfig(yml('baremetal', 'fr-par-2')));
  assert.deepEqual(metal.map((x) => [x.targets[0], x.labels.__meta_scaleway_baremetal_type, x.labels.__meta_scaleway_baremetal_os_name, x.labels.__meta_scaleway_baremetal_public_ipv6]), [['51.2.2.2:80', 'EM-A210R-HDD', 'Debian', '2001:bc8::1']]);
});

test('stackit: the key flow (a signed JWT for an access token), project servers with details at their public IP', async (t) => {
  const api = await fakeApi(t);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  api.routes.set('POST /token', (_q: URLSearchParams, body: string) => {
    const [head, claims, sig] = new URLSearchParams(body).get('assertion')!.split('.');
    const ok = createVerify('RSA-SHA512').update(`${head}.${claims}`).verify(publicKey, Buffer.from(sig!, 'base64url'));
    const c = JSON.parse(Buffer.from(claims!, 'base64url').toString()) as { iss: string; sub: string };
    return ok && c.iss === 'sa@example' ? { access_token: 'st-token', expires_in: 3600 } : { error: 'bad' };
  });
  api.routes.set('/v1/projects/proj-1/servers', { items: [
    { id: 'srv-1', name: 'web', availabilityZone: 'eu01-1', status: 'ACTIVE', powerStatus: 'RUNNING', machineType: 'g1.1', labels: { team: 'a', n: 1 }, nics: [{ networkName: 'my net', ipv4: '10.0.0.3' }, { networkName: 'pub', ipv4: '10.0.1.3', publicIp: '193.1.1.1' }] },
    { id: 'srv-2', name: 'no-nics' },
  ] });
  const dir = mkdtempSync(join(tmpdir(), 'stackit-'));
  writeFileSync(join(dir, 'sa.json'), JSON.stringify({ id: 'k1', credentials: { kid: 'kid-1', iss: 'sa@example', sub: 'uuid-1', aud: 'https://stackit-service-account-prod.apps.01.cf.eu01.stackit.cloud', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) } }));
  const c = parseConfig(`scrape_configs:\n  - job_name: j\n    stackit_sd_configs:\n      - project: proj-1\n        endpoint: ${api.base}\n        service_account_key_path: sa.json\n`, join(dir, 'p.yml')).scrapeConfigs[0]!.otherSdConfigs[0]!;
  const { stackitRefresh } = await import('../../src/discovery/providers/stackit.js');
  const g = await stackitRefresh(c, `${api.base}/token`)(new AbortController().signal);
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_stackit_public_ipv4, x.labels.__meta_stackit_private_ipv4_my_net, x.labels.__meta_stackit_label_team, x.labels.__meta_stackit_label_n]), [['193.1.1.1:80', '193.1.1.1', '10.0.0.3', 'a', undefined]]);
  const list = api.requests.find((r) => r.path.endsWith('/servers'))!;
  assert.deepEqual([list.headers.authorization, list.query.get('details')], ['Bearer st-token', 'true']);
});

/** A fake ZooKeeper server: sessions, getData and getChildren over a tree of znodes. */
async function fakeZookeeper(t: TestContext, tree: Record<string, string>): Promise<{ address: string; sessions: () => number }> {
  let sessions = 0;
  const server = createNetServer((sock) => {
    let buf = Buffer.alloc(0);
    let connected = false;
    const send = (b: Buffer): void => {
      const head = Buffer.alloc(4);
      head.writeInt32BE(b.length);
      sock.write(Buffer.concat([head, b]));
    };
    const reply = (xid: number, err: number, body: Buffer = Buffer.alloc(0)): void => {
      const h = Buffer.alloc(16);
      h.writeInt32BE(xid, 0);
      h.writeInt32BE(err, 12);
      send(Buffer.concat([h, body]));
    };
    const lp = (s: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (s.length >> (24 - 8 * i)) & 255)), s]);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        if (!connected) {
          connected = true;
          sessions++;
          const r = Buffer.alloc(4 + 4 + 8 + 4 + 16);
          r.writeInt32BE(10_000, 4);
          r.writeInt32BE(16, 16);
          send(r);
          continue;
        }
        const xid = frame.readInt32BE(0);
        const op = frame.readInt32BE(4);
        if (op === -11) {
          reply(xid, 0);
          sock.end();
          continue;
        }
        const path = frame.toString('utf8', 12, 12 + frame.readInt32BE(8));
        if (tree[path] === undefined) {
          reply(xid, -101);
          continue;
        }
        if (op === 4) reply(xid, 0, Buffer.concat([lp(Buffer.from(tree[path]!)), Buffer.alloc(68)]));
        else {
          const kids = Object.keys(tree).filter((p) => p.startsWith(`${path}/`) && !p.slice(path.length + 1).includes('/')).map((p) => p.slice(path.length + 1));
          const count = Buffer.alloc(4);
          count.writeInt32BE(kids.length);
          reply(xid, 0, Buffer.concat([count, ...kids.map((k) => lp(Buffer.from(k)))]));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, sessions: () => sessions };
}

test('serverset and nerve: members read from ZooKeeper under the configured paths', async (t) => {
  const zk = await fakeZookeeper(t, {
    '/aurora': '',
    '/aurora/web': '',
    '/aurora/web/member_0001': JSON.stringify({ serviceEndpoint: { host: '10.0.0.1', port: 8080 }, additionalEndpoints: { 'http-admin': { host: '10.0.0.1', port: 9090 } }, status: 'ALIVE', shard: 2 }),
    '/aurora/web/member_0002': 'not json',
    '/nerve': '',
    '/nerve/svc_1': JSON.stringify({ host: '10.0.0.2', port: 9100, name: 'node' }),
  });
  const ss = await discover(sdConfig(`serverset_sd_configs:\n  - servers: ['${zk.address}']\n    paths: [/aurora]`));
  assert.deepEqual(ss.map((g) => [g.targets[0], g.labels.__meta_serverset_path, g.labels.__meta_serverset_endpoint_port_http_admin, g.labels.__meta_serverset_status, g.labels.__meta_serverset_shard]), [['10.0.0.1:8080', '/aurora/web/member_0001', '9090', 'ALIVE', '2']]);
  const nerve = await discover(sdConfig(`nerve_sd_configs:\n  - servers: ['127.0.0.1:1', '${zk.address}']\n    paths: [/nerve, /missing]\n    timeout: 2s`));
  assert.deepEqual(nerve.map((g) => [g.targets[0], g.labels.__meta_nerve_path, g.labels.__meta_nerve_endpoint_name]), [['10.0.0.2:9100', '/nerve/svc_1', 'node']]);
  assert.equal(zk.sessions(), 2);
});

test('oci: signed requests, compartments under the tenancy, instances at their primary VNIC address with tags', async (t) => {
  const api = await fakeApi(t);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = mkdtempSync(join(tmpdir(), 'oci-'));
  writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  api.routes.set('/20160918/compartments', (q: URLSearchParams) => (q.get('compartmentId') === 'ocid1.tenancy' ? [{ id: 'ocid1.comp.a', lifecycleState: 'ACTIVE' }, { id: 'ocid1.comp.gone', lifecycleState: 'DELETED' }] : []));
  api.routes.set('/20160918/instances', (q: URLSearchParams) => (q.get('compartmentId') === 'ocid1.comp.a' ? [{ id: 'ocid1.inst.1', displayName: 'web', lifecycleState: 'RUNNING', shape: 'VM.Standard.E4.Flex', availabilityDomain: 'AD-1', faultDomain: 'FD-1', region: 'eu-frankfurt-1', compartmentId: 'ocid1.comp.a', imageId: 'img', freeformTags: { team: 'obs' }, definedTags: { 'Ops-NS': { 'cost-center': 42, obj: { a: 1 } } } }] : []));
  api.routes.set('/20160918/vnicAttachments', [{ vnicId: 'ocid1.vnic.2', lifecycleState: 'ATTACHED' }, { vnicId: 'ocid1.vnic.1', lifecycleState: 'ATTACHED' }]);
  api.routes.set('/20160918/vnics/ocid1.vnic.2', { id: 'ocid1.vnic.2', isPrimary: false, privateIp: '10.0.1.2' });
  api.routes.set('/20160918/vnics/ocid1.vnic.1', { id: 'ocid1.vnic.1', isPrimary: true, privateIp: '10.0.0.2', publicIp: '130.1.1.1', ipv6Addresses: ['2603::2', '2603::1'], hostnameLabel: 'web' });
  const c = parseConfig(`scrape_configs:\n  - job_name: j\n    oci_sd_configs:\n      - region: eu-frankfurt-1\n        tenancy: ocid1.tenancy\n        user: ocid1.user\n        fingerprint: aa:bb\n        key_file: key.pem\n        port: 9100\n`, join(dir, 'p.yml')).scrapeConfigs[0]!.otherSdConfigs[0]!;
  const { ociRefresh } = await import('../../src/discovery/providers/oci.js');
  const g = await ociRefresh(c, () => {}, { iaas: api.base, identity: api.base })(new AbortController().signal);
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_oci_public_ip, x.labels.__meta_oci_ipv6_addresses, x.labels.__meta_oci_tag_team, x.labels.__meta_oci_defined_tag_Ops_NS_cost_center, x.labels.__meta_oci_compartment_id]), [['10.0.0.2:9100', '130.1.1.1', ',2603::1,2603::2,', 'obs', '42', 'ocid1.comp.a']]);
  for (const r of api.requests) {
    const m = /keyId="([^"]+)",algorithm="rsa-sha256",headers="date \(request-target\) host",signature="([^"]+)"/.exec(r.headers.authorization as string)!;
    assert.equal(m[1], 'ocid1.tenancy/ocid1.user/aa:bb');
    const target = `${r.path}${r.query.toString() !== '' ? `?${r.query.toString()}` : ''}`;
    assert.ok(createVerify('RSA-SHA256').update(`date: ${r.headers.date as string}\n(request-target): get ${target}\nhost: ${r.headers.host as string}`).verify(publicKey, Buffer.from(m[2]!, 'base64')), target);
  }
});

test('ecs: tasks of every cluster, awsvpc tasks at their ENI address and bridge tasks at their EC2 instance, with service and tag labels', async (t) => {
  const api = await fakeApi(t);
  const target = (r: { headers: Record<string, string | string[] | undefined> }): string => String(r.headers['x-amz-target']).replace('AmazonEC2ContainerServiceV20141113.', '');
  const answers: Record<string, unknown> = {
    ListClusters: { clusterArns: ['arn:c1'] },
    DescribeClusters: { clusters: [{ clusterArn: 'arn:c1', clusterName: 'prod', tags: [{ key: 'env', value: 'prod' }] }] },
    ListTasks: { taskArns: ['arn:t1', 'arn:t2'] },
    ListServices: { serviceArns: ['arn:s1'] },
    DescribeServices: { services: [{ serviceName: 'web', serviceArn: 'arn:s1', status: 'ACTIVE', tags: [{ key: 'team', value: 'a' }] }] },
    DescribeTasks: { tasks: [
      { taskArn: 'arn:t1', group: 'service:web', launchType: 'FARGATE', lastStatus: 'RUNNING', availabilityZone: 'eu-west-1a', attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: '10.0.0.10' }, { name: 'subnetId', value: 'subnet-1' }, { name: 'networkInterfaceId', value: 'eni-1' }] }], tags: [{ key: 'v', value: '2' }] },
      { taskArn: 'arn:t2', group: 'family:batch', launchType: 'EC2', containerInstanceArn: 'arn:ci1' },
    ] },
    DescribeContainerInstances: { containerInstances: [{ containerInstanceArn: 'arn:ci1', ec2InstanceId: 'i-9' }] },
  };
  api.routes.set('POST /ecs/', () => answers[target(api.requests[api.requests.length - 1]!)] ?? {});
  api.routes.set('POST /ec2/', (_q: URLSearchParams, body: string) =>
    new URLSearchParams(body).get('Action') === 'DescribeInstances'
      ? '<DescribeInstancesResponse><reservationSet><item><instancesSet><item><instanceId>i-9</instanceId><privateIpAddress>10.0.5.5</privateIpAddress><ipAddress>3.3.3.3</ipAddress><subnetId>subnet-9</subnetId><instanceType>m5.large</instanceType><tagSet><item><key>Name</key><value>host-9</value></item></tagSet></item></instancesSet></item></reservationSet></DescribeInstancesResponse>'
      : '<DescribeNetworkInterfacesResponse><networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId><association><publicIp>54.1.1.1</publicIp></association></item></networkInterfaceSet></DescribeNetworkInterfacesResponse>',
  );
  const { ecsRefresh } = await import('../../src/discovery/providers/ecs.js');
  const c = sdConfig(`ecs_sd_configs:\n  - region: eu-west-1\n    endpoint: ${api.base}/ecs/\n    access_key: AKIDEXAMPLE\n    secret_key: wJalrXUtnFEMI\n    port: 9100`);
  const g = await ecsRefresh(c, `${api.base}/ec2/`)(new AbortController().signal);
  assert.deepEqual(
    g.map((x) => [x.targets[0], x.labels.__meta_ecs_network_mode, x.labels.__meta_ecs_service, x.labels.__meta_ecs_public_ip, x.labels.__meta_ecs_tag_cluster_env, x.labels.__meta_ecs_tag_service_team, x.labels.__meta_ecs_tag_task_v, x.labels.__meta_ecs_ec2_instance_type, x.labels.__meta_ecs_tag_ec2_Name]),
    [
      ['10.0.0.10:9100', 'awsvpc', 'web', '54.1.1.1', 'prod', 'a', '2', undefined, undefined],
      ['10.0.5.5:9100', 'bridge', undefined, '3.3.3.3', 'prod', undefined, undefined, 'm5.large', 'host-9'],
    ],
  );
  for (const r of api.requests) assertSigned(r, r.path.startsWith('/ecs') ? 'ecs' : 'ec2', 'eu-west-1');
  assert.deepEqual(JSON.parse(api.requests.find((r) => target(r) === 'DescribeTasks')!.body), { cluster: 'arn:c1', tasks: ['arn:t1', 'arn:t2'], include: ['TAGS'] });
});

test('msk: provisioned clusters and their broker and controller endpoints, signed GETs', async (t) => {
  const api = await fakeApi(t);
  const arn = 'arn:aws:kafka:eu-west-1:1:cluster/demo/abc';
  api.routes.set('/api/v2/clusters', { clusterInfoList: [{ clusterArn: arn, clusterName: 'demo', state: 'ACTIVE', clusterType: 'PROVISIONED', currentVersion: 'K1', tags: { team: 'data' }, provisioned: { currentBrokerSoftwareInfo: { kafkaVersion: '3.6.0', configurationRevision: 2 }, openMonitoring: { prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } } } } }] });
  api.routes.set(`/v1/clusters/${encodeURIComponent(arn)}/nodes`, { nodeInfoList: [
    { nodeARN: 'arn:n1', instanceType: 'kafka.m5.large', brokerNodeInfo: { attachedENIId: 'eni-1', brokerId: 1, clientSubnet: 'subnet-1', clientVpcIpAddress: '10.0.0.1', endpoints: ['b-1.demo.kafka.eu-west-1.amazonaws.com'] } },
    { nodeARN: 'arn:n2', controllerNodeInfo: { endpoints: ['c-1.demo', 'c-2.demo'] } },
  ] });
  const g = await discover(sdConfig(`msk_sd_configs:\n  - region: eu-west-1\n    endpoint: ${api.base}\n    access_key: AKIDEXAMPLE\n    secret_key: wJalrXUtnFEMI\n    port: 11001`));
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_msk_node_type, x.labels.__meta_msk_broker_id, x.labels.__meta_msk_broker_endpoint_index ?? x.labels.__meta_msk_controller_endpoint_index, x.labels.__meta_msk_cluster_tag_team, x.labels.__meta_msk_broker_node_exporter_enabled]), [
    ['b-1.demo.kafka.eu-west-1.amazonaws.com:11001', 'BROKER', '1', '0', 'data', 'true'],
    ['c-1.demo:11001', 'CONTROLLER', undefined, '0', 'data', undefined],
    ['c-2.demo:11001', 'CONTROLLER', undefined, '1', 'data', undefined],
  ]);
  assert.equal(api.requests[0]!.query.get('clusterTypeFilter'), 'PROVISIONED');
  for (const r of api.requests) assertSigned({ ...r, path: `${r.path}${r.query.toString() !== '' ? `?${r.query.toString()}` : ''}` }, 'kafka', 'eu-west-1');
});

test('rds: the instances of each DB cluster (filtered), at their endpoint with cluster and instance fields, writer flag and tags', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('POST /', (_q: URLSearchParams, body: string) => {
    const p = new URLSearchParams(body);
    if (p.get('Action') === 'DescribeDBClusters') return `<DescribeDBClustersResponse><DescribeDBClustersResult><DBClusters><DBCluster><DBClusterArn>arn:cl1</DBClusterArn><DBClusterIdentifier>aurora-1</DBClusterIdentifier><Engine>aurora-postgresql</Engine><Port>5432</Port><MultiAZ>true</MultiAZ><ClusterCreateTime>2024-03-01T10:20:30.456Z</ClusterCreateTime><DBClusterMembers><DBClusterMember><DBInstanceIdentifier>db-1</DBInstanceIdentifier><IsClusterWriter>true</IsClusterWriter></DBClusterMember></DBClusterMembers><TagList><Tag><Key>env</Key><Value>prod</Value></Tag></TagList></DBCluster></DBClusters></DescribeDBClustersResult></DescribeDBClustersResponse>`;
    return `<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances><DBInstance><DBInstanceIdentifier>db-1</DBInstanceIdentifier><DBInstanceClass>db.r6g.large</DBInstanceClass><Engine>aurora-postgresql</Engine><Endpoint><Address>db-1.x.eu-west-1.rds.amazonaws.com</Address><Port>5432</Port></Endpoint><TagList><Tag><Key>team:name</Key><Value>data</Value></Tag></TagList></DBInstance></DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>`;
  });
  const g = await discover(sdConfig(`rds_sd_configs:\n  - region: eu-west-1\n    endpoint: ${api.base}/\n    access_key: AKIDEXAMPLE\n    secret_key: wJalrXUtnFEMI\n    port: 9187\n    filters: [{name: engine, values: [aurora-postgresql]}]`));
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_rds_cluster_identifier, x.labels.__meta_rds_cluster_multi_az, x.labels.__meta_rds_cluster_cluster_create_time, x.labels.__meta_rds_cluster_tag_env, x.labels.__meta_rds_instance_class, x.labels.__meta_rds_instance_endpoint_port, x.labels.__meta_rds_instance_is_cluster_writer, x.labels.__meta_rds_instance_tag_team_name]), [
    ['db-1.x.eu-west-1.rds.amazonaws.com:9187', 'aurora-1', 'true', '2024-03-01T10:20:30Z', 'prod', 'db.r6g.large', '5432', 'true', 'data'],
  ]);
  const inst = new URLSearchParams(api.requests.find((r) => r.body.includes('DescribeDBInstances'))!.body);
  assert.deepEqual([inst.get('Filters.Filter.1.Name'), inst.get('Filters.Filter.1.Values.Value.1'), inst.get('Filters.Filter.2.Name'), inst.get('Filters.Filter.2.Values.Value.1')], ['db-cluster-id', 'arn:cl1', 'engine', 'aurora-postgresql']);
  for (const r of api.requests) assertSigned(r, 'rds', 'eu-west-1');
});

test('elasticache: serverless caches at their endpoint, cache-cluster nodes at theirs, with indexed lists and tags', async (t) => {
  const api = await fakeApi(t);
  api.routes.set('POST /', (_q: URLSearchParams, body: string) => {
    const p = new URLSearchParams(body);
    switch (p.get('Action')) {
      case 'DescribeServerlessCaches':
        return '<DescribeServerlessCachesResponse><DescribeServerlessCachesResult><ServerlessCaches><member><ServerlessCacheName>sess</ServerlessCacheName><ARN>arn:aws:elasticache:eu-west-1:1:serverlesscache:sess</ARN><Status>available</Status><Engine>valkey</Engine><CreateTime>2025-01-02T03:04:05.678Z</CreateTime><Endpoint><Address>sess.serverless.cache.amazonaws.com</Address><Port>6379</Port></Endpoint><SecurityGroupIds><SecurityGroupId>sg-1</SecurityGroupId><SecurityGroupId>sg-2</SecurityGroupId></SecurityGroupIds><CacheUsageLimits><DataStorage><Maximum>10</Maximum><Unit>GB</Unit></DataStorage></CacheUsageLimits></member></ServerlessCaches></DescribeServerlessCachesResult></DescribeServerlessCachesResponse>';
      case 'DescribeCacheClusters':
        return p.get('ShowCacheClustersNotInReplicationGroups') === 'true'
          ? '<DescribeCacheClustersResponse><DescribeCacheClustersResult><CacheClusters/></DescribeCacheClustersResult></DescribeCacheClustersResponse>'
          : '<DescribeCacheClustersResponse><DescribeCacheClustersResult><CacheClusters><CacheCluster><ARN>arn:aws:elasticache:eu-west-1:1:cluster:redis-001</ARN><CacheClusterId>redis-001</CacheClusterId><Engine>redis</Engine><NumCacheNodes>1</NumCacheNodes><SecurityGroups><member><SecurityGroupId>sg-9</SecurityGroupId><Status>active</Status></member></SecurityGroups><CacheNodes><CacheNode><CacheNodeId>0001</CacheNodeId><CacheNodeStatus>available</CacheNodeStatus><Endpoint><Address>redis-001.cache.amazonaws.com</Address><Port>6379</Port></Endpoint></CacheNode></CacheNodes></CacheCluster></CacheClusters></DescribeCacheClustersResult></DescribeCacheClustersResponse>';
      default:
        return `<ListTagsForResourceResponse><ListTagsForResourceResult><TagList><Tag><Key>team</Key><Value>${p.get('ResourceName')!.includes('serverless') ? 'web' : 'cache'}</Value></Tag></TagList></ListTagsForResourceResult></ListTagsForResourceResponse>`;
    }
  });
  const g = await discover(sdConfig(`elasticache_sd_configs:\n  - region: eu-west-1\n    endpoint: ${api.base}/\n    access_key: AKIDEXAMPLE\n    secret_key: wJalrXUtnFEMI`));
  assert.deepEqual(g.map((x) => [x.targets[0], x.labels.__meta_elasticache_deployment_option, x.labels.__meta_elasticache_serverless_cache_security_group_id_1 ?? x.labels.__meta_elasticache_cache_cluster_security_group_membership_id_0, x.labels.__meta_elasticache_serverless_cache_tag_team ?? x.labels.__meta_elasticache_cache_cluster_tag_team]), [
    ['sess.serverless.cache.amazonaws.com:6379', 'serverless', 'sg-2', 'web'],
    ['redis-001.cache.amazonaws.com:6379', 'node', 'sg-9', 'cache'],
  ]);
  const sl = g[0]!.labels;
  assert.deepEqual([sl.__meta_elasticache_serverless_cache_create_time, sl.__meta_elasticache_serverless_cache_cache_usage_limit_data_storagemaximum, sl.__meta_elasticache_serverless_cache_cache_usage_limit_data_storageunit], ['2025-01-02T03:04:05Z', '10', 'GB']);
  assert.equal(g[1]!.labels.__meta_elasticache_cache_cluster_node_id, '0001');
  for (const r of api.requests) assertSigned(r, 'elasticache', 'eu-west-1');
});
