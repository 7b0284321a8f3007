// The remote-read endpoint's streamed answer: frames are made as the stream is read (one batch of
// series at a time, each query's series read only when its turn comes), the concurrency slot is
// held until the stream ends or is destroyed, and the frames decode (with our client's decoder) to
// the stored samples. SAMPLES answers honour the sample limit with Prometheus's 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Storage } from '../../src/storage/index.js';
import { batches, RemoteReadServer, STREAM_BATCH_SAMPLES, type ReadableStorage } from '../../src/remote/read/server.js';
import { decodeChunkedResponse } from '../../src/storage/remote-codec.js';
import { encodeReadRequest } from './proto.js';

function open(t: { after(f: () => void): void }): Storage {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-read-server-'));
  const storage = Storage.open(dir);
  t.after(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // 200 series x 400 samples: more than one batch of frames.
  const app = storage.appender();
  for (let s = 0; s < 200; s++) for (let k = 0; k < 400; k++) app.add({ __name__: 'big', s: String(s).padStart(3, '0') }, k * 1000, s * 1000 + k);
  app.commit();
  return storage;
}

function counting(storage: Storage): ReadableStorage & { selects: number } {
  const c = {
    selects: 0,
    select: (...args: Parameters<Storage['select']>) => {
      c.selects++;
      return storage.select(...args);
    },
  };
  return c;
}

const request = (queries: number, types: number[]) =>
  ({ contentType: 'application/x-protobuf', contentEncoding: 'snappy', body: encodeReadRequest(Array.from({ length: queries }, () => ({ start: 0, end: 1e6, matchers: [[0, '__name__', 'big'] as [number, string, string]] })), types) });

async function drain(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

test('streamed frames are made as they are read and decode to the stored samples', async (t) => {
  const storage = counting(open(t));
  const server = new RemoteReadServer(storage, { sampleLimit: 10, concurrentLimit: 0, maxBytesInFrame: 1 << 20, externalLabels: () => ({}) });
  const res = await server.read(request(3, [1, 0]));
  assert.equal(res.status, 200);
  assert.ok(res.body instanceof Readable);
  assert.equal(storage.selects, 0, 'nothing is read before the stream is');
  const body = await drain(res.body);
  assert.equal(storage.selects, 3);
  const decoded = await decodeChunkedResponse(body, [0, 1, 2].map(() => ({ startMs: 0, endMs: 1e6 })), 1e9);
  for (const q of decoded) {
    assert.equal(q.labels.length, 200);
    assert.equal(q.samples.t.length, 200 * 400, 'the sample limit does not apply to streamed answers, as in Prometheus');
    assert.equal(q.samples.v[401], 1001);
  }
  // SAMPLES: the limit applies.
  const limited = await server.read(request(1, [0]));
  assert.equal(limited.status, 400);
  assert.match(String(limited.body), /exceeded sample limit \(10\)/);
});

test('a streamed answer holds its concurrency slot until it ends or is destroyed', async (t) => {
  const storage = open(t);
  let inFlight = 0;
  const server = new RemoteReadServer(storage, { sampleLimit: 0, concurrentLimit: 1, maxBytesInFrame: 1 << 20, externalLabels: () => ({}), inFlight: { inc: () => inFlight++, dec: () => inFlight-- } });
  const first = await server.read(request(1, [1]));
  let secondDone = false;
  const second = server.read(request(1, [1])).then((r) => {
    secondDone = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(secondDone, false, 'the second request waits for the slot');
  assert.equal(inFlight, 2);
  await drain(first.body as Readable);
  const r2 = await second;
  // Destroyed unread (the client went away): the slot is freed all the same.
  (r2.body as Readable).destroy();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(inFlight, 0);
  const third = await server.read(request(1, [1]));
  assert.ok((await drain(third.body as Readable)).length > 0);
});

test('series are cut into batches of about a batch of samples, every series in exactly one', () => {
  const offsets = Uint32Array.from([0, 10, 20, 30, 100, 101]);
  assert.deepEqual(batches(offsets, 25), [[0, 3], [3, 4], [4, 5]]);
  assert.deepEqual(batches(Uint32Array.from([0]), STREAM_BATCH_SAMPLES), []);
  assert.deepEqual(batches(Uint32Array.from([0, 5, 5]), STREAM_BATCH_SAMPLES), [[0, 2]]);
});
