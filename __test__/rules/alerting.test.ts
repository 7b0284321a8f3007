import { test } from 'node:test';
import assert from 'node:assert/strict';
import client from 'prom-client';
import { AlertingRule, RESOLVED_RETENTION_MS } from '../../src/rules/alerting.js';
import { RecordingRule } from '../../src/rules/recording.js';
import { RuleGroup } from '../../src/rules/group.js';
import { createRuleMetrics } from '../../src/rules/metrics.js';
import type { InstantSample, QueryFn, ExpandFn } from '../../src/rules/types.js';
import type { Labels } from '../../src/model/labels.js';

// A query function over a scripted world: which targets are down at each time.
function world(down: (t: number) => string[]): QueryFn {
  return async (_expr, t) => down(t).map((instance): InstantSample => ({ labels: { __name__: 'up', instance, job: 'node' }, value: 0 }));
}
const expand: ExpandFn = async (_n, text, data) => text.replace('{{ $labels.instance }}', data.labels.instance ?? '');

const rule = (forMs: number, keepFiringForMs = 0) =>
  new AlertingRule({ name: 'InstanceDown', expr: 'up == 0', forMs, keepFiringForMs, labels: { severity: 'page' }, annotations: { summary: 'Instance {{ $labels.instance }} down' } });

test('pending, then firing after `for`, then resolved and kept 15m', async () => {
  const r = rule(60_000);
  const q = world((t) => (t >= 10_000 && t < 100_000 ? ['a:9100'] : []));
  const ev = (t: number) => r.eval(t, q, expand, {}, 'http://p', 0);
  assert.deepEqual((await ev(0)).samples, []);
  let out = await ev(10_000);
  assert.equal(r.state(), 'pending');
  assert.deepEqual(out.samples[0]!.labels, { alertname: 'InstanceDown', instance: 'a:9100', job: 'node', severity: 'page', __name__: 'ALERTS', alertstate: 'pending' });
  assert.deepEqual(out.samples[1], { labels: { alertname: 'InstanceDown', instance: 'a:9100', job: 'node', severity: 'page', __name__: 'ALERTS_FOR_STATE' }, v: 10 });
  await ev(40_000);
  assert.equal(r.state(), 'pending');
  out = await ev(70_000);
  assert.equal(r.state(), 'firing');
  assert.equal(out.samples[0]!.labels.alertstate, 'firing');
  const [a] = [...r.active.values()];
  assert.equal(a!.annotations.summary, 'Instance a:9100 down');
  assert.equal(a!.activeAt, 10_000);
  assert.equal(r.alertsToSend(70_000, 60_000, 10_000).length, 1);
  assert.equal(r.alertsToSend(80_000, 60_000, 10_000).length, 0, 'not re-sent before the resend delay');
  out = await ev(100_000);
  assert.equal(r.state(), 'inactive');
  assert.deepEqual(out.samples, []);
  const resolved = r.alertsToSend(100_000, 60_000, 10_000);
  assert.equal(resolved.length, 1, 'resolved alerts are sent once more');
  assert.equal(resolved[0]!.resolvedAt, 100_000);
  await ev(100_000 + RESOLVED_RETENTION_MS + 1);
  assert.equal(r.active.size, 0, 'dropped after the retention');
});

test('a pending alert that goes away is forgotten; keep_firing_for holds a firing one', async () => {
  const r = rule(60_000);
  await r.eval(0, world(() => ['x']), expand, {}, '', 0);
  await r.eval(10_000, world(() => []), expand, {}, '', 0);
  assert.equal(r.active.size, 0);

  const k = rule(0, 30_000);
  await k.eval(0, world(() => ['x']), expand, {}, '', 0);
  assert.equal(k.state(), 'firing');
  await k.eval(10_000, world(() => []), expand, {}, '', 0);
  assert.equal(k.state(), 'firing', 'kept firing');
  await k.eval(40_000, world(() => []), expand, {}, '', 0);
  assert.equal(k.state(), 'inactive');
});

test('limit and duplicate label sets are evaluation errors', async () => {
  const r = rule(0);
  await assert.rejects(r.eval(0, world(() => ['a', 'b']), expand, {}, '', 1), /exceeded limit of 1 with 2 alerts/);
  const dup: QueryFn = async () => [
    { labels: { __name__: 'x', instance: 'a' }, value: 1 },
    { labels: { __name__: 'y', instance: 'a' }, value: 1 },
  ];
  await assert.rejects(rule(0).eval(0, dup, expand, {}, '', 0), /same labelset after applying alert labels/);
});

test('a group evaluates rules in order, appends results and stale markers, counts failures', async () => {
  const appended: { labels: Labels; t: number; v: number }[] = [];
  const registry = new client.Registry();
  let phase = 0;
  const query: QueryFn = async (expr) => {
    if (expr === 'boom') throw new Error('query failed');
    if (expr === 'sum(up)') return phase === 0 ? [{ labels: { job: 'a' }, value: 2 }] : [];
    return [];
  };
  const g = new RuleGroup(
    {
      name: 'g',
      file: 'f.yml',
      intervalMs: 10_000,
      limit: 0,
      queryOffsetMs: 0,
      rules: [new RecordingRule({ record: 'job:up:sum', expr: 'sum(up)', labels: { env: 'x' } }), new RecordingRule({ record: 'bad', expr: 'boom', labels: {} })],
    },
    { query, expand, sink: { append: (s) => appended.push(...s) }, externalLabels: {}, externalURL: '', resendDelayMs: 60_000, notify: () => undefined, metrics: createRuleMetrics(registry) },
  );
  await g.evaluate(1_000);
  assert.deepEqual(appended, [{ labels: { job: 'a', __name__: 'job:up:sum', env: 'x' }, t: 1_000, v: 2 }]);
  phase = 1;
  await g.evaluate(11_000);
  assert.equal(appended.length, 2);
  assert.ok(Number.isNaN(appended[1]!.v) && appended[1]!.t === 11_000, 'stale marker for the vanished series');
  const bad = g.spec.rules[1]!;
  assert.equal(bad.health, 'err');
  assert.equal(bad.lastError, 'query failed');
  assert.match(await registry.metrics(), /prometheus_rule_evaluation_failures_total\{rule_group="f.yml;g"\} 2/);
  assert.equal(g.evalTimestamp(g.evalTimestamp(123_456)), g.evalTimestamp(123_456), 'aligned timestamps are fixed points');
});

test("after a restart, an alert's `for` state is restored from ALERTS_FOR_STATE (outage tolerance, grace period)", async () => {
  const MIN = 60_000;
  const labels = { alertname: 'InstanceDown', instance: 'a:9100', job: 'node', severity: 'page' };
  const restoreAt = async (forMs: number, activeAtMs: number, downAtMs: number, ts: number): Promise<{ activeAt: number; appendedAlerts: number; lookups: number }> => {
    const r = rule(forMs);
    const appended: { labels: Labels }[] = [];
    let lookups = 0;
    const g = new RuleGroup(
      { name: 'g', file: 'f.yml', intervalMs: MIN, limit: 0, queryOffsetMs: 0, rules: [r] },
      {
        query: world(() => ['a:9100']),
        expand,
        sink: { append: (s) => appended.push(...s) },
        externalLabels: {},
        externalURL: '',
        resendDelayMs: MIN,
        notify: () => undefined,
        metrics: createRuleMetrics(new client.Registry()),
        forState: {
          outageToleranceMs: 60 * MIN,
          gracePeriodMs: 10 * MIN,
          lastForState: async (alertname, start, end) => {
            lookups++;
            assert.equal(alertname, 'InstanceDown');
            assert.deepEqual([start, end], [ts - 60 * MIN, ts]);
            return [{ labels, t: downAtMs, v: activeAtMs / 1000 }];
          },
        },
      },
    );
    g.restoreOnFirstEvaluation();
    await g.evaluate(ts);
    const appendedAlerts = appended.filter((s) => s.labels['__name__'] === 'ALERTS' || s.labels['__name__'] === 'ALERTS_FOR_STATE').length;
    await g.restoreForState(ts);
    return { activeAt: [...r.active.values()][0]!.activeAt, appendedAlerts, lookups };
  };
  const now = 1_000 * MIN;
  // Pending for 10m of a 30m `for` when the server went down 5m ago: 20m still to go from now.
  const moved = await restoreAt(30 * MIN, now - 15 * MIN, now - 5 * MIN, now);
  assert.equal(moved.activeAt, now - 10 * MIN);
  assert.equal(moved.appendedAlerts, 0, 'no ALERTS written before the state is restored');
  // Would have fired 2m after going down (28m of 30m spent): it gets the 10m grace period.
  const graced = await restoreAt(30 * MIN, now - 33 * MIN, now - 5 * MIN, now);
  assert.equal(graced.activeAt, now + 10 * MIN - 30 * MIN);
  // Already past its `for` before the outage: fires at the next evaluation.
  const due = await restoreAt(30 * MIN, now - 40 * MIN, now - 5 * MIN, now);
  assert.equal(due.activeAt, now - 40 * MIN);
  // A `for` shorter than the grace period is not restored.
  const short = await restoreAt(5 * MIN, now - 4 * MIN, now - 1 * MIN, now);
  assert.equal(short.activeAt, now);
  assert.equal(short.lookups, 0);
});
