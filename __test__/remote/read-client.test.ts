// The remote_read client against a scripted server: it accepts STREAMED_XOR_CHUNKS first and
// decodes the CRC-checked frames (series split over frames joined again, samples outside the
// query's range dropped), falls back to SAMPLES when that is what comes back, sends an oauth2
// token, bounds the body, and stops on its query's abort. A failing remote is a warning of the
// merged query, not its failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import snappy from 'snappy';
import { parseConfig } from '../../src/config/index.js';
import { RemoteReadClient } from '../../src/remote/read/client.js';
import { fetchRemote } from '../../src/remote/read/merge.js';
import { encodeChunkedFrames, encodeQueryResult } from '../../src/storage/remote-codec.js';
import { Selection } from '../../src/storage/storage.js';
import { ReadRequest } from './proto.js';
import { csr } from './csr.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

async function serve(t: { after(f: () => void): void }, handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => handler(req, Buffer.concat(parts), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

function client(url: string, extra = ''): RemoteReadClient {
  const cfg = parseConfig(`remote_read:\n  - url: ${url}/api/v1/read\n    remote_timeout: 5s\n${extra}`, 'x.yml');
  return new RemoteReadClient(cfg.remoteRead[0]!, {});
}


const LABELS = [{ __name__: 'm', i: 'a' }, { __name__: 'm', i: 'b' }];
// 300 samples for a (three chunks), 10 for b.
const SAMPLES = csr([Array.from({ length: 300 }, (_, k): [number, number] => [k * 1000, k]), Array.from({ length: 10 }, (_, k): [number, number] => [k * 1000, -k])]);
const M = [{ type: '=' as const, name: '__name__', value: 'm' }];

test('streamed chunks are asked for first and decoded; series split over frames come back whole', async (t) => {
  let accepted: number[] = [];
  const url = await serve(t, (_req, body, res) => {
    const r = ReadRequest.toObject(ReadRequest.decode(snappy.uncompressSync(body) as Buffer), { enums: Number }) as { accepted_response_types: number[]; queries: unknown[] };
    accepted = r.accepted_response_types;
    res.writeHead(200, { 'Content-Type': 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse' });
    // A frame limit small enough that series a is cut into several frames; the second query gets the same series.
    res.end(Buffer.concat([encodeChunkedFrames(LABELS, SAMPLES, 0, 64), encodeChunkedFrames(LABELS, SAMPLES, 1, 1 << 20)]));
  });
  const [all, part] = await client(url).read([{ matchers: M, mint: 0, maxt: 1e6 }, { matchers: M, mint: 5000, maxt: 150_000 }]);
  assert.deepEqual(accepted, [1, 0]);
  assert.deepEqual(all!.labels, LABELS);
  assert.deepEqual([...all!.samples.offsets], [0, 300, 310]);
  assert.deepEqual([...all!.samples.t], [...SAMPLES.t]);
  assert.deepEqual([...all!.samples.v], [...SAMPLES.v]);
  // Only the samples in [5000, 150000]: a's 5..150, b's 5..9.
  assert.deepEqual([...part!.samples.offsets], [0, 146, 151]);
  assert.equal(part!.samples.t[0], 5000);
});

test('a server answering SAMPLES is read as SAMPLES; a corrupt frame is a clear error', async (t) => {
  let corrupt = false;
  const url = await serve(t, (_req, _body, res) => {
    if (corrupt) {
      const frames = Buffer.from(encodeChunkedFrames(LABELS, SAMPLES, 0, 1 << 20));
      frames[frames.length - 1]! ^= 0xff;
      res.writeHead(200, { 'Content-Type': 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse' });
      res.end(frames);
      return;
    }
    const msg = encodeQueryResult(LABELS, SAMPLES);
    // ReadResponse { results = 1 } with one QueryResult.
    const len: number[] = [];
    for (let n = msg.length; ; n = Math.floor(n / 128)) {
      if (n < 128) {
        len.push(n);
        break;
      }
      len.push((n & 0x7f) | 0x80);
    }
    res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' });
    res.end(snappy.compressSync(Buffer.concat([Buffer.from([0x0a, ...len]), msg])));
  });
  const [r] = await client(url).read([{ matchers: M, mint: 0, maxt: 1e6 }]);
  assert.deepEqual([...r!.samples.offsets], [0, 300, 310]);
  corrupt = true;
  await assert.rejects(client(url).read([{ matchers: M, mint: 0, maxt: 1e6 }]), /remote_read .*streamed response: frame 0: checksum mismatch/);
});

test('oauth2 from the HTTP settings: the token endpoint is asked and the token sent', async (t) => {
  let tokenRequests = 0;
  let authorization: string | undefined;
  const tokens = await serve(t, (_req, _body, res) => {
    tokenRequests++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ access_token: 'tok-123', token_type: 'Bearer', expires_in: 3600 }));
  });
  const url = await serve(t, (req, _body, res) => {
    authorization = req.headers.authorization;
    res.writeHead(200, { 'Content-Type': 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse' });
    res.end();
  });
  const c = client(url, `    oauth2:\n      client_id: id\n      client_secret: s\n      token_url: ${tokens}/token\n`);
  const [r] = await c.read([{ matchers: M, mint: 0, maxt: 1 }]);
  assert.equal(r!.labels.length, 0);
  assert.equal(authorization, 'Bearer tok-123');
  await c.read([{ matchers: M, mint: 0, maxt: 1 }]);
  assert.equal(tokenRequests, 1, 'the token is reused until it expires');
});

test('the query abort stops a read that hangs; a failing remote becomes a warning of the merged query', async (t) => {
  const url = await serve(t, () => undefined);
  const c = client(url);
  const started = Date.now();
  await assert.rejects(c.read([{ matchers: M, mint: 0, maxt: 1 }], { signal: AbortSignal.timeout(200) }), /remote_read .*: the query was cancelled or timed out/);
  assert.ok(Date.now() - started < 4000, 'stopped by the query, not by remote_timeout');
  const failing = await serve(t, (_req, _body, res) => {
    res.writeHead(500);
    res.end('boom');
  });
  const local = { select: () => new Selection(undefined) };
  const merged = await fetchRemote(local, [client(failing)], [{ matchers: M, mint: 0, maxt: 1 }], null);
  assert.equal(merged.warnings.length, 1);
  assert.match(merged.warnings[0]!, /server returned HTTP status 500: boom/);
  // The query's own timeout fails the query instead.
  await assert.rejects(fetchRemote(local, [c], [{ matchers: M, mint: 0, maxt: 1 }], null, { signal: AbortSignal.timeout(100) }));
});
