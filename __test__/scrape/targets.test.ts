import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTarget, type TargetDefaults } from '../../src/scrape/targets.js';
import type { Labels } from '../../src/model/labels.js';

const d: TargetDefaults = { jobName: 'node', scheme: 'http', metricsPath: '/metrics', params: {}, intervalMs: 15000, timeoutMs: 10000 };
const identity = (l: Labels): Labels => l;

test('a static target gets job and instance, and no meta labels', () => {
  const r = buildTarget('localhost:9100', { env: 'dev' }, d, identity);
  assert.equal(r.kind, 'target');
  if (r.kind !== 'target') return;
  assert.deepEqual(r.target.labels, { env: 'dev', instance: 'localhost:9100', job: 'node' });
  assert.equal(r.target.url.href, 'http://localhost:9100/metrics');
  assert.equal(r.target.discoveredLabels.__scrape_interval__, '15s');
  assert.equal(r.target.discoveredLabels.__address__, 'localhost:9100');
});

test('relabeling can rewrite address, path, params, interval, and drop', () => {
  const r = buildTarget('host:1', {}, { ...d, params: { module: ['a'] } }, (l) => ({ ...l, __address__: 'other:2', __metrics_path__: '/probe', __param_module: 'b', __scrape_interval__: '30s', instance: 'pretty' }));
  assert.ok(r.kind === 'target');
  if (r.kind !== 'target') return;
  assert.equal(r.target.url.href, 'http://other:2/probe?module=b');
  assert.equal(r.target.intervalMs, 30000);
  assert.equal(r.target.labels.instance, 'pretty');
  assert.equal(buildTarget('h:1', {}, d, () => null).kind, 'dropped');
});

test('group labels may override job settings; bad intervals are target errors', () => {
  const r = buildTarget('h:1', { job: 'custom', __metrics_path__: '/m' }, d, identity);
  assert.ok(r.kind === 'target' && r.target.labels.job === 'custom' && r.target.url.pathname === '/m');
  const bad = buildTarget('h:1', {}, d, (l) => ({ ...l, __scrape_timeout__: '1m' }));
  assert.ok(bad.kind === 'error' && bad.error.includes('scrape timeout cannot be greater than scrape interval'));
  const noAddr = buildTarget('h:1', {}, d, (l) => ({ ...l, __address__: '' }));
  assert.ok(noAddr.kind === 'error' && noAddr.error === 'no address');
});
