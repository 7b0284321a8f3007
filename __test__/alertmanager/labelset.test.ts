// Label lookups in matching, grouping and inhibition read own properties only: a label set that
// lacks `constructor` or `toString` has them as "", whatever its prototype, and `__proto__` is a
// label like any other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matcherPredicate, parseMatcher } from '../../src/alertmanager/matchers.js';
import { matchersPredicate } from '../../src/alertmanager/silences.js';
import { groupLabels, type RouteNode } from '../../src/alertmanager/route.js';
import { Inhibitor } from '../../src/alertmanager/inhibit.js';
import { templateData } from '../../src/alertmanager/notify.js';
import type { Alert } from '../../src/alertmanager/alert.js';

const plain = { alertname: 'A' };
const withProto = JSON.parse('{"alertname":"A","__proto__":"p"}') as Record<string, string>;

test('route and silence matchers see absent prototype-named labels as empty', () => {
  for (const predicate of [matcherPredicate, matchersPredicate]) {
    assert.equal(predicate([parseMatcher('constructor=""')])(plain), true);
    assert.equal(predicate([parseMatcher('toString=~".+"')])(plain), false);
    assert.equal(predicate([parseMatcher('__proto__="p"')])(withProto), true);
    assert.equal(predicate([parseMatcher('__proto__="p"')])(plain), false);
  }
});

test('grouping by prototype-named labels and the common labels of a notification', () => {
  const node = { groupBy: ['constructor', '__proto__', 'alertname'] } as unknown as RouteNode;
  assert.deepEqual(Object.entries(groupLabels(node, plain)), [['alertname', 'A']]);
  assert.deepEqual(Object.entries(groupLabels(node, withProto)), [['__proto__', 'p'], ['alertname', 'A']]);
  const alert = (labels: Record<string, string>): { fingerprint: string; alert: Alert } => ({ fingerprint: 'f', alert: { labels, annotations: {}, startsAt: 0, endsAt: 10, generatorURL: '', updatedAt: 0, timeout: false } });
  const data = templateData('r', {}, [alert(withProto), alert(plain)], 'http://am', 5);
  assert.deepEqual(Object.entries(data.CommonLabels), [['alertname', 'A']]);
  assert.deepEqual(Object.entries(templateData('r', {}, [alert(withProto), alert(withProto)], 'http://am', 5).CommonLabels), [['alertname', 'A'], ['__proto__', 'p']]);
});

test('inhibition compares prototype-named labels by their own values', () => {
  const source: Alert = { labels: { alertname: 'Src' }, annotations: {}, startsAt: 0, endsAt: 100, generatorURL: '', updatedAt: 0, timeout: false };
  const inhibitor = new Inhibitor([{ sourceMatches: (l) => l['alertname'] === 'Src', targetMatches: () => true, equal: ['constructor'] }], () => [source]);
  // Neither has a constructor label: equal ("" == ""), so the target is inhibited, whether its
  // label set has a prototype (the source's does) or not (as the API builds them).
  assert.equal(inhibitor.inhibitedBy({ alertname: 'Dst' }, 50).length, 1);
  assert.equal(inhibitor.inhibitedBy(Object.assign(Object.create(null) as Record<string, string>, { alertname: 'Dst' }), 50).length, 1);
  assert.equal(inhibitor.inhibitedBy({ alertname: 'Dst', constructor: 'x' }, 50).length, 0);
});
