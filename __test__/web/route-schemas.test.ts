// Issue 17: every HTTP route has its JSON schema (the server's API, lifecycle and UI routes and the
// Alertmanager's API v2), and the schemas refuse nothing Prometheus accepts: repeated one-value
// parameters, POST form bodies, POSTs with the parameters in the query string only, unknown
// parameters. What a schema does refuse is a 400 in Prometheus's error envelope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { lifecyclePlugin } from '../../src/web/lifecycle.js';
import { statusApi } from '../../src/web/api/status.js';
import { queryApi } from '../../src/web/api/query.js';
import { seriesApi } from '../../src/web/api/series.js';
import { targetsApi } from '../../src/web/api/targets.js';
import { metadataApi } from '../../src/web/api/metadata.js';
import { federateApi } from '../../src/web/api/federate.js';
import { exemplarsApi } from '../../src/web/api/exemplars.js';
import { tsdbApi } from '../../src/web/api/tsdb.js';
import { rulesApi } from '../../src/web/api/rules.js';
import { uiPlugin } from '../../src/web/ui-plugin.js';
import { alertmanagerApiV2 } from '../../src/alertmanager/api/v2.js';
import { startFuzzServer } from '../fuzz/fuzz-server.js';
import type { ActiveTarget } from '../../src/scrape/manager.js';
import type { WebServices } from '../../src/web/services.js';

/** Stands in for every service: the plugins only keep references while registering, no handler runs here. */
const stub: unknown = new Proxy(function stubService() {}, { get: (_t, key) => (key === 'then' ? undefined : stub), apply: () => stub });

/** Method and URL of every route the plugins register without a schema. */
async function routesWithoutSchema(plugins: ((app: FastifyInstance) => Promise<void>)[]): Promise<{ all: number; missing: string[] }> {
  const app = Fastify({ logger: false });
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (r) => {
    routes.push(r);
  });
  for (const name of ['services', 'rules', 'alertmanager']) app.decorate(name, { getter: () => stub });
  for (const plugin of plugins) await app.register(plugin);
  await app.ready();
  await app.close();
  // HEAD routes are fastify's own copies of the GET routes (same schema).
  const own = routes.filter((r) => r.method !== 'HEAD');
  const missing = own.filter((r) => r.schema === undefined || Object.keys(r.schema).length === 0).map((r) => `${String(r.method)} ${r.url}`);
  return { all: own.length, missing };
}

test('every route of the server (API, lifecycle, UI) and of the Alertmanager API v2 has a schema', async () => {
  const server = await routesWithoutSchema([
    lifecyclePlugin,
    statusApi,
    queryApi,
    seriesApi,
    targetsApi,
    metadataApi,
    federateApi,
    exemplarsApi,
    tsdbApi,
    rulesApi,
    uiPlugin({ title: 'Promethium', routePrefix: '' }),
  ]);
  assert.ok(server.all > 40, `only ${server.all} routes seen`);
  assert.deepEqual(server.missing, []);
  const am = await routesWithoutSchema([alertmanagerApiV2]);
  assert.ok(am.all >= 8, `only ${am.all} routes seen`);
  assert.deepEqual(am.missing, []);
});

test('/api/v1/targets takes any state, in any case, and the first of repeated parameters, as Prometheus 2.42 does', async (t) => {
  const app = Fastify({ logger: false });
  t.after(() => app.close());
  const target = (pool: string): ActiveTarget => ({
    discoveredLabels: {},
    labels: { job: pool },
    scrapePool: pool,
    scrapeUrl: 'http://127.0.0.1:1/metrics',
    globalUrl: 'http://127.0.0.1:1/metrics',
    state: { lastError: '', lastScrape: 0, lastScrapeDurationSeconds: 0, health: 'unknown', lastSamples: 0 },
    intervalMs: 60_000,
    timeoutMs: 10_000,
    metadata: () => new Map(),
  });
  const targets = { active: () => [target('a'), target('b')], dropped: () => [{ discoveredLabels: {}, scrapePool: 'a' }], droppedCounts: () => ({ a: 1, b: 0 }) };
  // Only the target service is reached; the rest stays the stub.
  app.decorate('services', { getter: () => ({ targets }) as unknown as WebServices });
  await app.register(targetsApi);
  const shown = async (query: string): Promise<{ active: number; dropped: number }> => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/targets?${query}` });
    assert.equal(r.statusCode, 200, `${query}: ${r.body}`);
    const { data } = r.json<{ data: { activeTargets: unknown[]; droppedTargets: unknown[] } }>();
    return { active: data.activeTargets.length, dropped: data.droppedTargets.length };
  };
  assert.deepEqual(await shown(''), { active: 2, dropped: 1 });
  assert.deepEqual(await shown('state=bogus'), { active: 0, dropped: 0 });
  assert.deepEqual(await shown('state=ACTIVE'), { active: 2, dropped: 0 });
  assert.deepEqual(await shown('state=active&state=bogus'), { active: 2, dropped: 0 });
  assert.deepEqual(await shown('scrapePool=a&scrapePool=b'), { active: 1, dropped: 1 });
});

test('the schemas take what Prometheus takes and refuse in its envelope', async (t) => {
  const server = await startFuzzServer();
  t.after(() => server.stop());
  const get = (path: string) => fetch(server.base + path);
  const post = (path: string, body: string, type = 'application/x-www-form-urlencoded') => fetch(server.base + path, { method: 'POST', body, headers: { 'content-type': type } });
  // A one-value parameter given twice (Prometheus reads it without complaint).
  for (const path of ['/api/v1/query?query=up&query=up&time=1700000300', '/api/v1/query_range?query=up&start=1700000000&end=1700000300&step=60&step=60', '/api/v1/labels?start=1700000000&start=1700000000']) {
    const r = await get(path);
    assert.equal(r.status, 200, `${path}: ${await r.text()}`);
  }
  // Form bodies, repeated match[], and unknown parameters.
  for (const [path, body] of [
    ['/api/v1/query', 'query=up&time=1700000300&unknown=1'],
    ['/api/v1/query', 'query=up&query=up&time=1700000300'],
    ['/api/v1/series', 'match[]=fuzz_gauge&match[]=up&start=1700000000'],
    ['/api/v1/labels', 'match[]=fuzz_gauge'],
    ['/api/v1/query_exemplars', 'query=up'],
    ['/api/v1/format_query', 'query=up%2B1'],
  ] as const) {
    const r = await post(path, body);
    assert.equal(r.status, 200, `${path} ${body}: ${await r.text()}`);
  }
  // A POST with its parameters in the query string and no body; one with a text body Go's ParseForm ignores.
  assert.equal((await fetch(`${server.base}/api/v1/query?query=up&time=1700000300`, { method: 'POST' })).status, 200);
  assert.equal((await post('/api/v1/query?query=up&time=1700000300', 'not a form', 'text/plain')).status, 200);
  assert.equal((await post('/api/v1/query?query=up&time=1700000300', '[1]', 'application/json')).status, 200);
  // Refused by a schema: a 400 in Prometheus's envelope that names the parameter (Prometheus refuses
  // this one too: it ignores JSON bodies, so the query is missing).
  const json = await post('/api/v1/query', JSON.stringify({ query: { nested: 1 } }), 'application/json');
  assert.equal(json.status, 400);
  const env = (await json.json()) as { status: string; errorType: string; error: string };
  assert.deepEqual([env.status, env.errorType], ['error', 'bad_data']);
  assert.match(env.error, /query/);
});
