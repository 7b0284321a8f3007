// Reusing what earlier queries left: an answer's memory handed back to the next query once it was
// sent (no fresh buffer, whose pages each cost a fault when first written), the native encoder
// writing into it, and instant queries measured cheap on a worker running on the main thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryPool } from '../../src/server/query-pool/pool.js';
import { encodeRangeSuccess, utf8Bytes } from '../../src/server/query-pool/encode.js';
import { CheapQueries, INLINE_EVICT_MS, INLINE_MAX_BYTES, INLINE_MAX_EVAL_MS, InlineAnswerMemory } from '../../src/server/query-pool/inline.js';
import { denseRows } from '../../src/promql/range-result.js';
import { parseExpr } from '../../src/promql/index.js';

const workerUrl = new URL('./fixtures/buffer-reusing-query-worker.mjs', import.meta.url);
const init = { storageId: 0, dir: '', engine: {} };
const job = (padding: number) => ({ job: { kind: 'instant' as const, expr: String(padding), timeMs: 0 }, limit: 0, timeoutMs: 5000 });
const intoOf = (encoded: Buffer): number => (JSON.parse(encoded.toString()) as { data: { into: number } }).data.into;

test('an answer released after sending is the memory the next query writes into', async (t) => {
  const pool = new QueryPool({ init, maxQueued: 20, maxMemoryBytes: 0, workers: 1, workerUrl });
  t.after(() => pool.close());
  const first = await pool.run(job(1000));
  assert.equal(intoOf(first.encoded), 0, 'nothing to reuse yet');
  const size = first.encoded.buffer.byteLength;
  // Not released yet: still being sent, so the next query gets other memory.
  const second = await pool.run(job(10));
  assert.equal(intoOf(second.encoded), 0);
  first.release();
  first.release();
  const third = await pool.run(job(10));
  assert.equal(intoOf(third.encoded), size, 'the first answer\'s buffer');
  assert.equal(third.encoded.buffer.byteLength, size, 'the answer is a view of that buffer');
  // Given to one query only.
  const fourth = await pool.run(job(10));
  assert.equal(intoOf(fourth.encoded), 0);
});

test('the native encoder writes into a large enough buffer, else into a new one, the same bytes', () => {
  const n = 3;
  const d = denseRows([{ metric: { job: 'a' }, values: Float64Array.of(1, 0.1, 7), present: Uint8Array.of(1, 1, 1) }], n, 1000, 500, [], []);
  const fresh = encodeRangeSuccess(d);
  const big = new Uint8Array(4096).fill(120);
  const reused = encodeRangeSuccess(d, 0, big);
  assert.equal(reused.buffer, big.buffer);
  assert.equal(Buffer.from(reused).toString(), Buffer.from(fresh).toString());
  const small = new Uint8Array(8);
  const grown = encodeRangeSuccess(d, 0, small);
  assert.notEqual(grown.buffer, small.buffer);
  assert.equal(Buffer.from(grown).toString(), Buffer.from(fresh).toString());
  assert.ok(grown.buffer.byteLength >= grown.length, 'room to spare for the next answer');
  // Instant answers (JavaScript text) too, multi-byte characters included.
  const text = '{"metric":{"é":"ü"}}';
  assert.equal(Buffer.from(utf8Bytes(text, big)).toString(), text);
  assert.equal(utf8Bytes(text, big).buffer, big.buffer);
  assert.equal(Buffer.from(utf8Bytes(text, new Uint8Array(text.length))).toString(), text, 'too small by the multi-byte characters: a new buffer');
});

test('an instant query runs inline once its fastest run was cheap, never with a subquery', () => {
  const q = new CheapQueries();
  const plain = 'sum(rate(x[5m]))';
  assert.equal(q.allows(plain), false, 'unmeasured queries go to a worker');
  q.record(plain, parseExpr(plain), INLINE_MAX_EVAL_MS + 1, 1000);
  assert.equal(q.allows(plain), false, 'too slow');
  q.record(plain, parseExpr(plain), 2, 1000);
  assert.equal(q.allows(plain), true);
  q.record(plain, parseExpr(plain), INLINE_MAX_EVAL_MS + 1, 1000);
  assert.equal(q.allows(plain), true, 'a slower run (a busy machine) does not undo the fastest');
  q.record(plain, parseExpr(plain), INLINE_EVICT_MS + 1, 1000);
  assert.equal(q.allows(plain), false, 'far past the bound: back to the workers');
  q.record(plain, parseExpr(plain), 2, INLINE_MAX_BYTES + 1);
  assert.equal(q.allows(plain), false, 'a large answer stays on the workers');
  q.record(plain, parseExpr(plain), undefined, 10);
  assert.equal(q.allows(plain), false, 'a worker that did not say');
  const sub = 'max_over_time(rate(x[5m])[1h:1ms])';
  q.record(sub, parseExpr(sub), 0.1, 10);
  assert.equal(q.allows(sub), false);
  q.record(plain, parseExpr(plain), 2, 1000);
  q.forget(plain);
  assert.equal(q.allows(plain), false);
  // Long expressions are not remembered: 2,000 of them would hold hundreds of MB.
  const long = `sum(x{a="${'y'.repeat(5000)}"})`;
  q.record(long, parseExpr(long), 1, 10);
  assert.equal(q.allows(long), false, 'a long expression stays on the workers');
});

test('an inline answer, once sent, is the memory the next inline answer is written into', () => {
  const memory = new InlineAnswerMemory();
  const first = memory.encode(`{"a":"${'x'.repeat(5000)}"}`);
  // Not sent yet: the next answer gets other memory and the first stays as it was.
  const second = memory.encode('{"b":"ü"}');
  assert.notEqual(second.encoded.buffer, first.encoded.buffer);
  assert.equal(first.encoded.toString(), `{"a":"${'x'.repeat(5000)}"}`);
  assert.equal(second.encoded.toString(), '{"b":"ü"}');
  first.release();
  first.release();
  const third = memory.encode('{"c":[1,2,3]}');
  assert.equal(third.encoded.buffer, first.encoded.buffer, 'the first answer\'s memory');
  assert.equal(third.encoded.toString(), '{"c":[1,2,3]}');
  // Taken by the third answer until it is sent: a fourth does not share it.
  const fourth = memory.encode('{"d":1}');
  assert.notEqual(fourth.encoded.buffer, third.encoded.buffer);
  // An answer larger than the memory kept gets memory of its own.
  third.release();
  const large = memory.encode(`"${'y'.repeat(9000)}"`);
  assert.notEqual(large.encoded.buffer, third.encoded.buffer);
  assert.equal(large.encoded.length, 9002);
});
