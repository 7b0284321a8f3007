// Alertmanagers from discovered groups: Prometheus's meta labels, relabeling, path_prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alertmanagersFromGroups, alertsPath } from '../../src/notifier/alertmanager-targets.js';
import type { AlertmanagerConfig } from '../../src/config/index.js';
import type { TargetGroup } from '../../src/discovery/target-group.js';

const am = { scheme: 'https', pathPrefix: 'am/', timeoutMs: 3000 } as AlertmanagerConfig;

test('targets become alerts URLs through __scheme__, __address__ and __alerts_path__', () => {
  assert.equal(alertsPath(''), '/api/v2/alerts');
  assert.equal(alertsPath('/x/'), '/x/api/v2/alerts');
  const groups: TargetGroup[] = [
    { targets: ['a:9093', 'b:9093'], labels: { dc: 'eu' }, source: 'static/0' },
    { targets: ['c:9093'], labels: { __scheme__: 'http', __alerts_path__: '/custom' }, source: 'static/1' },
  ];
  const seen: Record<string, string>[] = [];
  const set = alertmanagersFromGroups(am, groups, {
    relabel: (l) => {
      seen.push(l);
      return l.__address__ === 'b:9093' ? null : l;
    },
    headers: { Authorization: 'Bearer t' },
  });
  assert.deepEqual(seen[0], { dc: 'eu', __address__: 'a:9093', __scheme__: 'https', __alerts_path__: '/am/api/v2/alerts' });
  assert.deepEqual(
    set.active.map((t) => [t.alertsUrl, t.timeoutMs, t.headers?.Authorization]),
    [
      ['https://a:9093/am/api/v2/alerts', 3000, 'Bearer t'],
      ['http://c:9093/custom', 3000, 'Bearer t'],
    ],
  );
  assert.deepEqual(set.dropped, ['https://b:9093/am/api/v2/alerts']);
});
