// API queries over remote_read data are evaluated on a query worker, never on the main thread:
// the worker finds the selections, the main thread fetches them, and the worker merges the remote
// series (shipped in one buffer) with its local data. Same answers and warnings as the main-thread
// path, the query log written, and the worker's sample limit applied to the remote samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { Engine } from '../../src/promql/index.js';
import { QueryLog, type LoggedQuery } from '../../src/promql/query-log.js';
import { QueryPool } from '../../src/server/query-pool/pool.js';
import { makeQueryService } from '../../src/server/services.js';
import { RemoteReaders } from '../../src/remote/read/readers.js';
import { MergedQueryable, mergeSeries } from '../../src/remote/read/merge.js';
import { packRemoteSeries, unpackRemoteSeries } from '../../src/remote/read/transfer.js';
import { STALE_NAN } from '../../src/scrape/loop.js';
import { Selection } from '../../src/storage/storage.js';
import { newLabels } from '../../src/model/labels.js';
import { readEndpoint, remoteReadConfigs } from './read-endpoint.js';
import { csr } from './csr.js';

const T = 1_700_000_000_000;
const HOUR = 3_600_000;
const SERIES = 50;
const STEPS = 2400;
/** Above one selection of all of `big` (120,000 samples), below two. */
const MAX_SAMPLES = 200_000;

class CapturedLog extends QueryLog {
  readonly entries: LoggedQuery[] = [];
  override log(q: LoggedQuery): void {
    this.entries.push(q);
  }
}

/** Counts evaluations on this (the main) thread: a worker has its own copy of the engine module. */
function countMainThreadEvaluations(t: { after(f: () => void): void }): { calls: number } {
  const counter = { calls: 0 };
  const proto = Engine.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['instantQuery', 'rangeQuery', 'rangeQueryDense']) {
    const original = proto[name]!;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      counter.calls++;
      return original.apply(this, args);
    };
    t.after(() => {
      proto[name] = original;
    });
  }
  return counter;
}

test('a query over remote_read data runs on a worker with the same answer as on the main thread', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-read-worker-'));
  const local = Storage.open(dir);
  t.after(() => {
    local.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // Local: one series of its own and half of a series the remote has too (the local sample wins a shared timestamp).
  const app = local.appender();
  for (let ts = T - HOUR; ts <= T; ts += 60_000) {
    app.add({ __name__: 'm', src: 'local' }, ts, 1);
    if (ts < T - HOUR / 2) app.add({ __name__: 'm', src: 'both' }, ts, 10);
  }
  app.commit();
  // Remote: the other half of `m{src="both"}` and 50 series of 10h at 15s (120,000 samples).
  const remote = await readEndpoint(t);
  const rapp = remote.storage.appender();
  for (let ts = T - HOUR; ts <= T; ts += 60_000) rapp.add({ __name__: 'm', src: 'both' }, ts, 20);
  rapp.commit();
  const refs = remote.storage.seriesRefs(Array.from({ length: SERIES }, (_, i) => ({ __name__: 'big', i: String(i) })));
  for (let k = 0; k < STEPS; k++) {
    const ts = new Float64Array(SERIES).fill(T - STEPS * 15_000 + k * 15_000);
    remote.storage.append(refs, ts, Float64Array.from({ length: SERIES }, (_, i) => k * (i + 1)));
  }
  const failing = createServer((_req, res) => {
    res.writeHead(503);
    res.end('remote down');
  });
  await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
  t.after(() => failing.close());
  const readers = new RemoteReaders();
  readers.apply(remoteReadConfigs([remote.url, `http://127.0.0.1:${(failing.address() as { port: number }).port}/api/v1/read`], '    read_recent: true\n'), {});

  const engine = { maxSamples: MAX_SAMPLES, timeoutMs: 60_000 };
  const pool = new QueryPool({ init: { storageId: local.id, dir, engine }, maxQueued: 10, maxMemoryBytes: 0, workers: 1 });
  t.after(() => pool.close());
  const metrics = { engineQueryDuration: { startTimer: () => () => 0 } } as never;
  const log = new CapturedLog();
  const onWorkers = makeQueryService(local, engine, metrics, log, pool, readers);
  const onMain = makeQueryService(local, engine, metrics, undefined, undefined, readers);
  const opts = { origin: { httpRequest: {} } };

  // The worker started before measuring (starting one is not the query's cost).
  (await pool.run({ job: { kind: 'instant', expr: '1', timeMs: T }, limit: 0, timeoutMs: 30_000 })).release();
  const mainThread = countMainThreadEvaluations(t);
  const range = await onWorkers.range('sum by (i) (rate(big[5m]))', T - 3 * HOUR, T, 60_000, opts);
  const instant = await onWorkers.instant('m', T, opts);
  assert.equal(mainThread.calls, 0, 'no evaluation (nor dry run) on the main thread');

  const matrix = range.data.result as { values: unknown[] }[];
  assert.equal(matrix.length, SERIES);
  assert.equal(matrix[0]!.values.length, 181);
  const vector = instant.data.result as { metric: Record<string, string>; value: [number, string] }[];
  assert.deepEqual(vector.map((s) => [s.metric['src'], s.value[1]]).sort(), [['both', '20'], ['local', '1']]);
  // The failed remote is a warning of the answer, as Prometheus's secondary querier's error is.
  assert.ok(instant.warnings.some((w) => /HTTP status 503: remote down/.test(w)), instant.warnings.join('; '));

  // The same queries on the main thread: the same data and warnings.
  const rangeMain = await onMain.range('sum by (i) (rate(big[5m]))', T - 3 * HOUR, T, 60_000, opts);
  const instantMain = await onMain.instant('m', T, opts);
  assert.ok(mainThread.calls > 0, 'the counter sees main-thread evaluations');
  assert.deepEqual(range.data, rangeMain.data);
  assert.deepEqual(instant.data, instantMain.data);
  assert.deepEqual(instant.warnings, instantMain.warnings);

  assert.deepEqual(log.entries.map((e) => [e.query, e.error]), [['sum by (i) (rate(big[5m]))', undefined], ['m', undefined]]);

  // A selection of the whole 10h holds 120,000 remote samples (under the per-answer limit);
  // reading it twice passes the worker's --query.max-samples.
  await assert.rejects(onWorkers.instant('count_over_time(big[10h]) + count_over_time(big[10h])', T, opts), /too many samples/);
  assert.equal(log.entries.at(-1)?.error !== undefined, true, 'the failed query is logged with its error');

  // A remote that never answers: the query's timeout (not remote_timeout) ends it, as a timeout.
  const hanging = createServer(() => undefined);
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  t.after(() => {
    hanging.closeAllConnections();
    hanging.close();
  });
  const slow = new RemoteReaders();
  slow.apply(remoteReadConfigs([`http://127.0.0.1:${(hanging.address() as { port: number }).port}/api/v1/read`], '    read_recent: true\n'), {});
  const stuck = makeQueryService(local, engine, metrics, log, pool, slow);
  await assert.rejects(stuck.instant('m', T, { ...opts, timeoutMs: 300 }), (e: Error & { errorType?: string }) => e.errorType === 'timeout');
  assert.match(log.entries.at(-1)?.error ?? '', /timed out/);
});

test('packed remote series unpack to the same selections, stale markers bit for bit', () => {
  const a = csr([[[1000, 1], [2000, 2]], [[1500, 5]]]);
  a.v[1] = STALE_NAN;
  // An answer whose offsets start inside its arrays (as a slice of a larger decode would).
  const sliced = { offsets: Uint32Array.of(1, 3), t: Float64Array.of(9, 3000, 4000), v: Float64Array.of(9, 7, 8) };
  const key = '[[["=","__name__","m"]],0,5000]';
  // A label named __proto__ must stay a label.
  const odd = newLabels();
  odd['__name__'] = 'm';
  odd['__proto__'] = 'x';
  const remote = new Map([[key, [{ labels: [{ __name__: 'm', a: '1' }, odd], samples: a }, { labels: [{ __name__: 'm', a: '2' }], samples: sliced }]]]);
  const local = { select: () => new Selection(undefined) };
  const packed = packRemoteSeries(new MergedQueryable(local, remote, ['w']));
  assert.equal(packed.buffer.byteLength, 5 * 16 + (3 + 2) * 4, 'one buffer: timestamps, values, offsets');
  const back = unpackRemoteSeries(local, packed);
  assert.deepEqual(back.warnings, ['w']);
  const [first, second] = back.remote.get(key)!;
  assert.deepEqual([...first!.samples.offsets], [0, 2, 3]);
  assert.equal(new BigUint64Array(first!.samples.v.buffer, first!.samples.v.byteOffset, 3)[1], 0x7ff0000000000002n);
  assert.deepEqual([...second!.samples.t], [3000, 4000]);
  assert.deepEqual([...second!.samples.offsets], [0, 2]);
  assert.equal(Object.getPrototypeOf(first!.labels[1]), null, 'label sets without a prototype');
  assert.equal(first!.labels[1]!['__proto__'], 'x');
  assert.deepEqual(mergeSeries(back.remote.get(key)!).samples.t, mergeSeries(remote.get(key)!).samples.t);
});
