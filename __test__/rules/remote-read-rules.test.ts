// Rules read what Prometheus's rule manager reads, the fanout storage: a recording rule over a
// series only a remote_read endpoint has gets its value with read_recent; without read_recent a
// rule over recent data (after the oldest local sample) does not ask the remote at all, while one
// reaching back before the local data does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import { engineRuleDeps } from '../../src/rules/engine-deps.js';
import { RecordingRule } from '../../src/rules/recording.js';
import { RemoteReaders } from '../../src/remote/read/readers.js';
import { readEndpoint, remoteReadConfigs } from '../remote/read-endpoint.js';

const T = 1_700_000_000_000;
const HOUR = 3_600_000;

test('recording rules read remote_read series, subject to read_recent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-rules-remote-'));
  const local = Storage.open(dir);
  t.after(() => {
    local.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // Local data since T - 2h: a rule at T with the default 5m lookback reads only recent data.
  const app = local.appender();
  app.add({ __name__: 'local_only' }, T - 2 * HOUR, 1);
  app.commit();
  const remote = await readEndpoint(t);
  const rapp = remote.storage.appender();
  for (let ts = T - 3 * HOUR; ts <= T; ts += 60_000) rapp.add({ __name__: 'remote_only', job: 'r' }, ts, ts === T ? 42 : 7);
  rapp.commit();

  const rule = new RecordingRule({ record: 'job:remote_only:copy', expr: 'remote_only', labels: {} });
  const ruleDeps = (readRecent: boolean) => {
    const readers = new RemoteReaders();
    readers.apply(remoteReadConfigs([remote.url], `    read_recent: ${readRecent}\n`), {});
    return engineRuleDeps(local, new Engine(local), 'http://x', undefined, { readers, timeoutMs: 30_000 });
  };

  const recent = ruleDeps(true);
  const { samples } = await rule.eval(T, recent.query, 0);
  assert.deepEqual(samples.map((s) => [s.labels, s.v]), [[{ __name__: 'job:remote_only:copy', job: 'r' }, 42]]);
  assert.equal(remote.selections.length, 1);
  // The rule's output goes to the local storage as any rule's does.
  recent.sink.append(samples.map((s) => ({ ...s, t: T })));
  const recorded = new Engine(local).instantQuery('job:remote_only:copy', T);
  assert.equal(recorded.resultType === 'vector' && recorded.result[0]?.value, 42);

  const older = ruleDeps(false);
  assert.deepEqual((await rule.eval(T, older.query, 0)).samples, [], 'recent data: the remote is not asked');
  assert.equal(remote.selections.length, 1);
  // A range starting before the oldest local sample does go to the remote.
  const reachingBack = new RecordingRule({ record: 'job:remote_only:max3h', expr: 'max_over_time(remote_only[3h])', labels: {} });
  const back = await reachingBack.eval(T, older.query, 0);
  assert.deepEqual(back.samples.map((s) => s.v), [42]);
  assert.equal(remote.selections.length, 2);
  assert.equal(remote.selections[1]!.mint, T - 3 * HOUR + 1);
});
