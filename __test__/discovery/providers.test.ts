// The `<name>_sd_configs` mechanisms that discover targets, each against a fake of its API:
// the targets and meta labels Prometheus gives, and what is sent (credentials, filters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.js';
import type { GenericSdConfig } from '../../src/config/index.js';
import { PROVIDERS } from '../../src/discovery/providers/index.js';
import { DISCOVERING_MECHANISMS } from '../../src/discovery/mechanisms.js';
import { aggregatedStatus } from '../../src/discovery/providers/consul.js';
import type { TargetGroup } from '../../src/scrape/targets.js';
import { fakeApi } from './fake-api.js';

/** The first `<mechanism>_sd_configs` entry of a one-job config. */
function sdConfig(yaml: string): GenericSdConfig {
  const c = parseConfig(`scrape_configs:\n  - job_name: j\n${yaml.replace(/^/gm, '    ')}\n`, '/etc/prometheus/p.yml');
  return c.scrapeConfigs[0]!.otherSdConfigs[0]!;
}

async function discover(c: GenericSdConfig): Promise<TargetGroup[]> {
  return PROVIDERS[c.mechanism]!(c)(new AbortController().signal);
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
