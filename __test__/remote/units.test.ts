// Units of the receiver and the read endpoint: content negotiation, the partial-write message,
// received metadata, the external-label matcher filter, label-set order and the read gate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate, refusalMessage } from '../../src/remote/receiver/receiver.js';
import { ReceivedMetadata } from '../../src/remote/receiver/metadata.js';
import { compareLabelPairs, withoutExternalLabelMatchers } from '../../src/remote/read/server.js';
import { Semaphore } from '../../src/remote/read/semaphore.js';
import { parseMediaType } from '../../src/remote/http-exchange.js';
import type { RemoteWriteOutcome } from '../../src/storage/storage.js';

test('content negotiation follows the 2.0 spec: proto parameter picks the message, anything else is unsupported', () => {
  assert.deepEqual(negotiate(undefined), { version: 1 });
  assert.deepEqual(negotiate('application/x-protobuf'), { version: 1 });
  assert.deepEqual(negotiate('Application/X-Protobuf; proto=prometheus.WriteRequest'), { version: 1 });
  assert.deepEqual(negotiate('application/x-protobuf;proto=io.prometheus.write.v2.Request'), { version: 2 });
  assert.deepEqual(negotiate('application/x-protobuf; proto="io.prometheus.write.v2.Request"'), { version: 2 });
  assert.ok('unsupported' in negotiate('application/x-protobuf;proto=foo.Bar'));
  assert.ok('unsupported' in negotiate('text/plain'));
  assert.deepEqual([...parseMediaType('a/b; X=1; y="2"').params], [['x', '1'], ['y', '2']]);
});

const outcome = (o: Partial<RemoteWriteOutcome>): RemoteWriteOutcome => ({ series: 1, samplesWritten: 0, exemplarsWritten: 0, histogramsWritten: 0, outOfOrder: 0, duplicate: 0, tooOld: 0, outOfBounds: 0, exemplarsRefused: 0, firstOffender: null, metadata: [], ...o });

test('a partial write is described with counts per reason and the first offender; a full write needs no message', () => {
  assert.equal(refusalMessage(outcome({ samplesWritten: 5, exemplarsRefused: 2 })), undefined);
  assert.equal(refusalMessage(outcome({ samplesWritten: 5, tooOld: 2, outOfBounds: 1, firstOffender: 'X' })), '3 of 8 samples not written (2 too old for the head, 1 out of bounds (too far in the future)); first: X');
  assert.equal(refusalMessage(outcome({ samplesWritten: 1, histogramsWritten: 4 })), undefined, 'histograms are stored');
  assert.equal(refusalMessage(outcome({ histogramsWritten: 4, outOfOrder: 1, firstOffender: 'Y' })), '1 of 5 samples not written (1 out of order); first: Y');
});

test('received metadata keeps the latest per family, within its bound', () => {
  const m = new ReceivedMetadata(2);
  m.record([{ family: 'a', type: 1, help: 'x', unit: '' }, { family: '', type: 2, help: '', unit: '' }, { family: 'b', type: 9, help: '', unit: 's' }]);
  m.record([{ family: 'a', type: 2, help: 'y', unit: '' }, { family: 'c', type: 1, help: '', unit: '' }]);
  assert.deepEqual(m.get('a'), { type: 'gauge', help: 'y', unit: '' });
  assert.deepEqual(m.get('b'), { type: 'unknown', help: '', unit: 's' });
  assert.equal(m.get('c'), undefined);
  assert.equal(m.size, 2);
});

test('matchers an external label satisfies are dropped; others stay', () => {
  const ext = { region: 'eu', replica: 'a' };
  const kept = withoutExternalLabelMatchers(
    [
      { type: '=', name: '__name__', value: 'up' },
      { type: '=', name: 'region', value: 'eu' },
      { type: '=~', name: 'replica', value: 'a|b' },
      { type: '=', name: 'region', value: 'us' },
    ],
    ext,
  );
  assert.deepEqual(kept, [{ type: '=', name: '__name__', value: 'up' }, { type: '=', name: 'region', value: 'us' }]);
  // A label name that is an Object.prototype member is no external label.
  assert.equal(withoutExternalLabelMatchers([{ type: '=', name: 'constructor', value: '' }], ext).length, 1);
});

test('label sets order pair by pair, as Prometheus compares them', () => {
  assert.ok(compareLabelPairs([['a', '1']], [['ab', '0']]) < 0);
  assert.ok(compareLabelPairs([['a', '2']], [['a', '10']]) > 0);
  assert.ok(compareLabelPairs([['a', '1']], [['a', '1'], ['b', '1']]) < 0);
  assert.equal(compareLabelPairs([['a', '1']], [['a', '1']]), 0);
});

test('the read gate lets `limit` holders in and queues the rest in order', async () => {
  const gate = new Semaphore(1);
  const order: string[] = [];
  await gate.acquire();
  const second = gate.acquire().then(() => order.push('second'));
  const third = gate.acquire().then(() => order.push('third'));
  await Promise.resolve();
  assert.deepEqual(order, []);
  gate.release();
  await second;
  gate.release();
  await third;
  assert.deepEqual(order, ['second', 'third']);
  const unlimited = new Semaphore(0);
  await Promise.all([unlimited.acquire(), unlimited.acquire()]);
});
