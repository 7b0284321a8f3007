// /federate with native histograms: protobuf when the Accept header asks for it (histograms as
// native histograms, read back by our own scrape parser), the text format otherwise (without them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { federateApi } from '../../src/web/api/federate.js';
import { acceptsProtobuf, histogramToProto } from '../../src/web/api/federate-protobuf.js';
import { parseProtobufInto } from '../../src/exposition/protobuf.js';
import type { FederatedSample, WebServices } from '../../src/web/services.js';
import type { FloatHistogram } from '../../src/model/histogram.js';

const H: FloatHistogram = { counterResetHint: 0, schema: 1, zeroThreshold: 0.01, zeroCount: 1, count: 9, sum: 5.5, positiveSpans: [{ offset: -1, length: 2 }, { offset: 2, length: 1 }], positiveBuckets: [2, 3, 1], negativeSpans: [{ offset: 0, length: 1 }], negativeBuckets: [2], customValues: [], isInteger: true };

async function app(samples: FederatedSample[]) {
  const a = Fastify({ logger: false });
  a.decorate('services', { getter: () => ({ federation: { federate: () => samples, externalLabels: () => ({ dc: 'x' }) } }) as unknown as WebServices });
  await a.register(federateApi);
  return a;
}

const SAMPLES: FederatedSample[] = [
  { labels: { __name__: 'lat', job: 'a' }, t: 5000, v: NaN, h: H },
  { labels: { __name__: 'gauge_h', job: 'a' }, t: 5000, v: NaN, h: { ...H, counterResetHint: 3, isInteger: false, count: 2.5, zeroCount: 0.5, positiveBuckets: [1, 0.5, 0.5], negativeBuckets: [0] } },
  { labels: { __name__: 'up', job: 'a' }, t: 4000, v: 1 },
];

test('Accept asking for protobuf: floats untyped, histograms native, external labels added; our parser reads back the same histograms', async (t) => {
  const a = await app(SAMPLES);
  t.after(() => a.close());
  const res = await a.inject({ url: '/federate?match[]={job="a"}', headers: { accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3' } });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/vnd\.google\.protobuf; proto=io\.prometheus\.client\.MetricFamily; encoding=delimited/);
  const floats: [string, number, number | undefined][] = [];
  const hs: [string, FloatHistogram, number | undefined][] = [];
  const meta = new Map();
  parseProtobufInto(res.rawPayload, meta, { nativeHistograms: true }, (s, v, ts) => floats.push([s, v, ts]), (s, h, ts) => hs.push([s, h, ts]));
  assert.deepEqual(floats, [['up{dc="x",job="a"}', 1, 4000]]);
  assert.deepEqual(hs.map(([s, , ts]) => [s, ts]), [['gauge_h{dc="x",job="a"}', 5000], ['lat{dc="x",job="a"}', 5000]]);
  assert.deepEqual(hs[1]![1], H);
  const g = hs[0]![1];
  assert.deepEqual([g.isInteger, g.counterResetHint, g.count, g.zeroCount, g.positiveBuckets], [false, 3, 2.5, 0.5, [1, 0.5, 0.5]]);
  assert.equal(meta.get('gauge_h').type, 'gaugehistogram');
  assert.equal(meta.get('up').type, 'unknown');
});

test('without protobuf in Accept: the text format, histograms left out', async (t) => {
  const a = await app(SAMPLES);
  t.after(() => a.close());
  const res = await a.inject({ url: '/federate?match[]={job="a"}', headers: { accept: 'text/plain;version=0.0.4' } });
  assert.equal(res.body, '# TYPE up untyped\nup{dc="x",job="a"} 1 4000\n');
});

test('the Accept header is read as expfmt negotiates: type, proto and encoding must match, q=0 refuses', () => {
  assert.equal(acceptsProtobuf('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'), true);
  assert.equal(acceptsProtobuf('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text'), false);
  assert.equal(acceptsProtobuf('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0'), false);
  assert.equal(acceptsProtobuf('*/*'), false);
  assert.equal(acceptsProtobuf(undefined), false);
});

test('an empty histogram is marked native with a zero-length span; custom-bucket histograms cannot be carried', () => {
  const empty = histogramToProto({ ...H, zeroThreshold: 0, zeroCount: 0, count: 0, sum: 0, positiveSpans: [], positiveBuckets: [], negativeSpans: [], negativeBuckets: [] })!;
  assert.deepEqual(empty.positiveSpan, [{ offset: 0, length: 0 }]);
  assert.equal(histogramToProto({ ...H, schema: -53, customValues: [1] }), undefined);
});
