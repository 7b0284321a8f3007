import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTarget, type TargetDefaults } from '../../src/scrape/targets.js';
import type { Labels } from '../../src/model/labels.js';
import { ScrapeManager } from '../../src/scrape/manager.js';
import { scrapePools } from '../../src/server/scrape-pools.js';
import { parseConfig } from '../../src/config/index.js';
import { ExpositionCodecImpl } from '../../src/exposition/index.js';
import { Logger } from '../../src/util/logger.js';

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

test('keep_dropped_targets lists that many dropped targets and counts them all', async () => {
  const cfg = parseConfig('scrape_configs:\n  - job_name: j\n    keep_dropped_targets: 2\n    static_configs:\n      - targets: [a:1, b:1, c:1, d:1, e:1]\n    relabel_configs:\n      - action: drop\n        source_labels: [__address__]\n        regex: .*\n  - job_name: none\n    static_configs:\n      - targets: []\n', 'prometheus.yml');
  const logger = new Logger({ level: 'error', write: () => undefined });
  const manager = new ScrapeManager({ storage: { seriesRefs: () => new Uint32Array(), append: () => ({ appended: 0, outOfOrder: 0, duplicate: 0, tooOld: 0, outOfBounds: 0, unknownRef: 0 }) }, codec: new ExpositionCodecImpl(), logger }, logger);
  await manager.apply(scrapePools(cfg, '/', logger));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(manager.droppedTargets().length, 2);
  assert.deepEqual(manager.droppedTargetCounts(), { j: 5, none: 0 });
  await manager.stop();
});

test('discovered labels named like Object.prototype members are kept (__proto__ in discoveredLabels, constructor on the target)', () => {
  // JSON.parse, as file_sd reads a group: `__proto__` is an own key there.
  const group = JSON.parse('{"__proto__":"p","constructor":"c"}') as Labels;
  const r = buildTarget('h:1', group, d, identity);
  assert.equal(r.kind, 'target');
  if (r.kind !== 'target') return;
  assert.ok(Object.prototype.hasOwnProperty.call(r.target.discoveredLabels, '__proto__'));
  assert.equal(r.target.discoveredLabels['__proto__'], 'p');
  assert.equal(JSON.stringify(r.target.labels), '{"job":"node","constructor":"c","instance":"h:1"}');
});
