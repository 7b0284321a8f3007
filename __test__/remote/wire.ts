// Test helpers: the remote-write messages as protobufjs reflection types (no .proto file), and a
// fake receiver on 127.0.0.1 that decodes what it gets and answers as a script says.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';
import snappy from 'snappy';

const { Type, Field, Root } = protobuf;

function v1Root(): protobuf.Root {
  const label = new Type('Label').add(new Field('name', 1, 'string')).add(new Field('value', 2, 'string'));
  const sample = new Type('Sample').add(new Field('value', 1, 'double')).add(new Field('timestamp', 2, 'int64'));
  const exemplar = new Type('Exemplar').add(new Field('labels', 1, 'Label', 'repeated')).add(new Field('value', 2, 'double')).add(new Field('timestamp', 3, 'int64'));
  const ts = new Type('TimeSeries').add(new Field('labels', 1, 'Label', 'repeated')).add(new Field('samples', 2, 'Sample', 'repeated')).add(new Field('exemplars', 3, 'Exemplar', 'repeated'));
  const md = new Type('MetricMetadata').add(new Field('type', 1, 'int32')).add(new Field('metricFamilyName', 2, 'string')).add(new Field('help', 4, 'string')).add(new Field('unit', 5, 'string'));
  const req = new Type('WriteRequest').add(new Field('timeseries', 1, 'TimeSeries', 'repeated')).add(new Field('metadata', 3, 'MetricMetadata', 'repeated'));
  return new Root().define('prometheus').add(label).add(sample).add(exemplar).add(ts).add(md).add(req).root;
}

function v2Root(): protobuf.Root {
  const sample = new Type('Sample').add(new Field('value', 1, 'double')).add(new Field('timestamp', 2, 'int64')).add(new Field('startTimestamp', 3, 'int64'));
  const exemplar = new Type('Exemplar').add(new Field('labelsRefs', 1, 'uint32', 'repeated')).add(new Field('value', 2, 'double')).add(new Field('timestamp', 3, 'int64'));
  const md = new Type('Metadata').add(new Field('type', 1, 'int32')).add(new Field('helpRef', 3, 'uint32')).add(new Field('unitRef', 4, 'uint32'));
  const ts = new Type('TimeSeries').add(new Field('labelsRefs', 1, 'uint32', 'repeated')).add(new Field('samples', 2, 'Sample', 'repeated')).add(new Field('exemplars', 4, 'Exemplar', 'repeated')).add(new Field('metadata', 5, 'Metadata')).add(new Field('createdTimestamp', 6, 'int64'));
  const req = new Type('Request').add(new Field('symbols', 4, 'string', 'repeated')).add(new Field('timeseries', 5, 'TimeSeries', 'repeated'));
  return new Root().define('io.prometheus.write.v2').add(sample).add(exemplar).add(md).add(ts).add(req).root;
}

const V1 = v1Root().lookupType('prometheus.WriteRequest');
const V2 = v2Root().lookupType('io.prometheus.write.v2.Request');

export interface DecodedSeries {
  labels: Record<string, string>;
  samples: { t: number; v: number; st?: number }[];
  exemplars: { labels: Record<string, string>; t: number; v: number }[];
  metadata?: { type: number; help: string; unit: string };
}

const num = (x: unknown): number => Number(x);

export function decodeV1(body: Uint8Array): DecodedSeries[] {
  const m = V1.toObject(V1.decode(body), { longs: String, defaults: true }) as { timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: string }[]; exemplars: { labels: { name: string; value: string }[]; value: number; timestamp: string }[] }[] };
  const lbl = (ls: { name: string; value: string }[]) => Object.fromEntries(ls.map((l) => [l.name, l.value]));
  return m.timeseries.map((ts) => ({ labels: lbl(ts.labels), samples: ts.samples.map((s) => ({ t: num(s.timestamp), v: s.value })), exemplars: ts.exemplars.map((e) => ({ labels: lbl(e.labels), t: num(e.timestamp), v: e.value })) }));
}

export function decodeV1Metadata(body: Uint8Array): { type: number; metricFamilyName: string; help: string; unit: string }[] {
  return (V1.toObject(V1.decode(body), { defaults: true }) as { metadata: { type: number; metricFamilyName: string; help: string; unit: string }[] }).metadata;
}

export function decodeV2(body: Uint8Array): { symbols: string[]; series: DecodedSeries[] } {
  const m = V2.toObject(V2.decode(body), { longs: String, defaults: true }) as { symbols: string[]; timeseries: { labelsRefs: number[]; samples: { value: number; timestamp: string; startTimestamp: string }[]; exemplars: { labelsRefs: number[]; value: number; timestamp: string }[]; metadata?: { type: number; helpRef: number; unitRef: number } }[] };
  const sym = m.symbols;
  const lbl = (refs: number[]) => {
    const o: Record<string, string> = {};
    for (let i = 0; i < refs.length; i += 2) o[sym[refs[i]!]!] = sym[refs[i + 1]!]!;
    return o;
  };
  return {
    symbols: sym,
    series: m.timeseries.map((ts) => ({
      labels: lbl(ts.labelsRefs),
      samples: ts.samples.map((s) => ({ t: num(s.timestamp), v: s.value, st: num(s.startTimestamp) })),
      exemplars: ts.exemplars.map((e) => ({ labels: lbl(e.labelsRefs), t: num(e.timestamp), v: e.value })),
      ...(ts.metadata ? { metadata: { type: ts.metadata.type, help: sym[ts.metadata.helpRef] ?? '', unit: sym[ts.metadata.unitRef] ?? '' } } : {}),
    })),
  };
}

export function uncompress(b: Uint8Array): Uint8Array {
  return snappy.uncompressSync(Buffer.from(b)) as Buffer;
}

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  body: Uint8Array;
  /** What the receiver answered. */
  status?: number;
}

/** A receiver answering each request with what `answer` returns (status, headers). */
export async function fakeReceiver(answer: (r: ReceivedRequest, n: number) => { status: number; headers?: Record<string, string> }): Promise<{ url: string; requests: ReceivedRequest[]; close(): Promise<void> }> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: uncompress(Buffer.concat(chunks)) };
      requests.push(r);
      const a = answer(r, requests.length);
      (r as ReceivedRequest).status = a.status;
      res.writeHead(a.status, a.headers ?? {});
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/api/v1/write`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * A scrape target on 127.0.0.1 serving `body()`. `freeze()` stops the scraped series from
 * changing: every later scrape is answered 503 (so only stale markers follow). Closing the
 * listener would not do: a scrape in flight at that moment keeps its kept-alive connection, and
 * node:http goes on answering on it, so the server would keep storing samples.
 */
export async function scrapeTarget(body: () => string): Promise<{ port: number; freeze(): void; close(): void }> {
  let frozen = false;
  const server = http.createServer((_req, res) => {
    if (frozen) {
      res.writeHead(503, { Connection: 'close' });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(body());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    freeze: () => {
      frozen = true;
    },
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
