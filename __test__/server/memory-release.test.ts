// The release of a burst's transient memory (src/server/memory-release.ts): it waits until the
// native request count stops changing, collects V8's garbage before glibc trims, serves steady
// churn after a bound, and the native side counts the requests that series creation and large
// queries make; a query worker collects its own heap once idle after a query that asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryReleaser, nativeMemoryReleaseHooks } from '../../src/server/memory-release.js';
import type { MemoryReleaseHooks } from '../../src/server/memory-release.js';
import { Storage } from '../../src/storage/index.js';
import { loadNative } from '../../src/storage/native.js';
import { newLabels, setLabel } from '../../src/model/labels.js';
import { Engine } from '../../src/promql/index.js';
import { idleCollection } from '../../src/server/query-pool/idle-collection.js';

/** Hooks whose request count the test sets, recording what the releaser called in which order. */
function fakeHooks(): MemoryReleaseHooks & { count: number; calls: string[] } {
  const hooks = {
    count: 0,
    calls: [] as string[],
    trimRequests: () => hooks.count,
    collectGarbage: async () => {
      hooks.calls.push('gc');
    },
    releaseNativeMemory: async () => {
      hooks.calls.push('trim');
      return new Float64Array(5);
    },
  };
  return hooks;
}

test('nothing is released while no request came in', async () => {
  const hooks = fakeHooks();
  hooks.count = 3; // requests before the releaser started are not its business
  const releaser = new MemoryReleaser(hooks, undefined, { maxWaitPolls: 3 });
  for (let i = 0; i < 5; i++) assert.equal(await releaser.poll(), false);
  assert.deepEqual(hooks.calls, []);
});

test('a release owed without a request (the start-up\'s) is served at the next poll, once', async () => {
  const hooks = fakeHooks();
  const releaser = new MemoryReleaser(hooks, undefined, { maxWaitPolls: 3 });
  releaser.owe();
  assert.equal(await releaser.poll(), true);
  for (let i = 0; i < 3; i++) assert.equal(await releaser.poll(), false);
  assert.deepEqual(hooks.calls, ['gc', 'trim']);
});

test('a burst is served once it is over: V8 collects first, then glibc trims, once', async () => {
  const hooks = fakeHooks();
  const releaser = new MemoryReleaser(hooks, undefined, { maxWaitPolls: 10 });
  hooks.count = 1;
  assert.equal(await releaser.poll(), false, 'the burst is still going on');
  hooks.count = 4;
  assert.equal(await releaser.poll(), false, 'the burst is still going on');
  assert.deepEqual(hooks.calls, []);
  assert.equal(await releaser.poll(), true, 'the count stayed put: the burst is over');
  assert.deepEqual(hooks.calls, ['gc', 'trim']);
  assert.equal(await releaser.poll(), false);
  assert.equal(releaser.releases, 1);
});

test('requests that never stop are served every few polls', async () => {
  const hooks = fakeHooks();
  const releaser = new MemoryReleaser(hooks, undefined, { maxWaitPolls: 2 });
  const released: boolean[] = [];
  for (let i = 0; i < 9; i++) {
    hooks.count++;
    released.push(await releaser.poll());
  }
  assert.deepEqual(released, [false, false, true, false, false, true, false, false, true]);
});

test('a failed release is reported, not thrown, and the next burst is served', async () => {
  const hooks = fakeHooks();
  let fail = true;
  hooks.releaseNativeMemory = async () => {
    if (fail) throw new Error('no trim today');
    hooks.calls.push('trim');
    return new Float64Array(5);
  };
  const releaser = new MemoryReleaser(hooks);
  hooks.count++;
  await releaser.poll();
  assert.equal(await releaser.poll(), false);
  fail = false;
  hooks.count++;
  await releaser.poll();
  assert.equal(await releaser.poll(), true);
  assert.deepEqual(hooks.calls, ['gc', 'gc', 'trim']);
});

test('creating many series at once asks for a release; the real hooks collect and trim', async () => {
  const native = loadNative();
  const dir = mkdtempSync(join(tmpdir(), 'promethium-memory-release-'));
  const storage = Storage.open(dir);
  try {
    const before = native.memoryTrimRequests();
    storage.seriesRefs(Array.from({ length: 100 }, (_, i) => Object.assign(newLabels(), { __name__: 'few', i: String(i) })));
    assert.equal(native.memoryTrimRequests(), before, 'a hundred series are no burst');
    const many = Array.from({ length: 12_000 }, (_, i) => {
      const l = newLabels();
      setLabel(l, '__name__', 'burst');
      setLabel(l, 'i', String(i));
      return l;
    });
    storage.seriesRefs(many);
    assert.equal(native.memoryTrimRequests(), before + 1);

    const hooks = nativeMemoryReleaseHooks();
    let garbage: object[] | null = Array.from({ length: 400_000 }, (_, i) => ({ i, s: `garbage-${i}` }));
    const withGarbage = process.memoryUsage().heapUsed;
    garbage = null;
    await hooks.collectGarbage();
    assert.equal(garbage, null);
    assert.ok(process.memoryUsage().heapUsed < withGarbage - 10 * 2 ** 20, `heap used ${withGarbage} -> ${process.memoryUsage().heapUsed}`);
    const [heapBefore, , heapAfter, , micros] = await hooks.releaseNativeMemory();
    if (process.platform === 'linux' && process.report?.getReport && (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime) {
      assert.ok(heapBefore! > 0 && heapAfter! > 0, `glibc's heap figures: ${heapBefore}, ${heapAfter}`);
    }
    assert.ok(micros! >= 0);
  } finally {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a query that selected many series asks for a release when it ends; a small one does not', () => {
  const native = loadNative();
  const dir = mkdtempSync(join(tmpdir(), 'promethium-memory-release-query-'));
  const storage = Storage.open(dir);
  try {
    const app = storage.appender();
    for (let i = 0; i < 12_000; i++) app.add({ __name__: 'big', i: String(i) }, 1000, i);
    for (let i = 0; i < 100; i++) app.add({ __name__: 'small', i: String(i) }, 1000, i);
    app.commit();
    const engine = new Engine(storage);
    const before = native.memoryTrimRequests();
    engine.instantQuery('count(small)', 1000);
    assert.equal(native.memoryTrimRequests(), before, 'a hundred series are no large query');
    const r = engine.instantQuery('count(big)', 1000);
    assert.deepEqual(Array.isArray(r.result) ? r.result.map((x) => ('value' in x ? x.value : undefined)) : r.result, [12_000]);
    assert.equal(native.memoryTrimRequests(), before + 1);
  } finally {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker collects its heap once idle after a query that asked for a release, not while queries run', async () => {
  let requests = 0;
  let collections = 0;
  const quiet = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const idle = idleCollection(() => requests, async () => void collections++, 20);

  idle.queryStarted();
  idle.queryEnded();
  await quiet(60);
  assert.equal(collections, 0, 'the query asked for nothing');

  idle.queryStarted();
  requests++;
  idle.queryEnded();
  idle.queryStarted(); // the next query comes before the worker was idle long enough
  await quiet(60);
  assert.equal(collections, 0, 'a query is running');
  idle.queryEnded();
  await quiet(60);
  assert.equal(collections, 1, 'idle after the large query: one collection');
  await quiet(60);
  assert.equal(collections, 1);
});

test('a compaction that cut the head asks for a release; one that cut nothing does not', async () => {
  const native = loadNative();
  const dir = mkdtempSync(join(tmpdir(), 'promethium-memory-release-cut-'));
  const storage = Storage.open(dir);
  try {
    const refs = storage.seriesRefs([{ __name__: 'g' }]);
    const H = 3_600_000;
    for (let t = 0; t < 5 * H; t += 60_000) storage.append(refs, new Float64Array([t]), new Float64Array([1]));
    const before = native.memoryTrimRequests();
    await storage.compact();
    assert.equal(native.memoryTrimRequests(), before + 1);
    await storage.compact();
    assert.equal(native.memoryTrimRequests(), before + 1, 'nothing left to cut');
  } finally {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
