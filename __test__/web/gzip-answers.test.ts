// sendJson, the query routes' way out: identity below MIN_GZIP_BYTES or when gzip is not accepted; a
// small body compressed in one call (no compressor stream for it: its set-up and thread-pool hop
// cost more than the compression); a large one streamed through the compressor. The client gets
// the same bytes every way, and `done` runs once, after the response is over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import Fastify from 'fastify';
import { sendJson } from '../../src/web/api/gzip.js';
import { MIN_GZIP_BYTES } from '../../src/common/gzip.js';

/** A JSON body of about `size` bytes that compresses as query answers do. */
function jsonBody(size: number): Buffer {
  const rows: string[] = [];
  let n = 0;
  for (let i = 0; n < size; i++) {
    const row = `{"metric":{"__name__":"up","instance":"10.0.${i >> 8}.${i & 255}:9100"},"value":[1700000000.${i % 1000},"1"]}`;
    rows.push(row);
    n += row.length + 1;
  }
  return Buffer.from(`[${rows.join(',')}]`);
}

/** A JSON body of exactly `size` bytes. */
function exactBody(size: number): Buffer {
  const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(size - 10) }));
  assert.equal(body.length, size);
  return body;
}

test('sendJson: identity, gzip in one call for a small body, a compressor stream for a large one; done once after the response', async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  const bodies = new Map([
    ['tiny', jsonBody(200)],
    // Just under the threshold (an `up` over ten targets is 1,112 bytes): sent as it is.
    ['under', exactBody(MIN_GZIP_BYTES - 1)],
    ['at', exactBody(MIN_GZIP_BYTES)],
    ['small', jsonBody(8 * 1024)],
    ['large', jsonBody(200 * 1024)],
  ]);
  const sent: { payload: string; done: number }[] = [];
  app.addHook('onSend', async (_req, _reply, payload) => {
    sent.push({ payload: payload instanceof Readable ? 'stream' : Buffer.isBuffer(payload) ? 'buffer' : typeof payload, done: 0 });
    return payload;
  });
  app.get<{ Params: { name: string } }>('/:name', (req, reply) => {
    const entry = sent.length;
    return sendJson(req, reply, bodies.get(req.params.name)!, () => sent[entry]!.done++);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  const cases: [string, boolean, string | null, string][] = [
    ['tiny', true, null, 'buffer'],
    ['under', true, null, 'buffer'],
    ['at', true, 'gzip', 'buffer'],
    ['small', false, null, 'buffer'],
    ['small', true, 'gzip', 'buffer'],
    ['large', true, 'gzip', 'stream'],
    ['large', false, null, 'buffer'],
  ];
  for (const [name, gzip, encoding, payload] of cases) {
    const r = await fetch(`${base}/${name}`, { headers: { 'accept-encoding': gzip ? 'gzip' : 'identity' } });
    const raw = Buffer.from(await r.arrayBuffer());
    assert.equal(r.headers.get('content-encoding'), encoding, `${name} gzip=${gzip}: content-encoding`);
    // fetch decodes gzip itself; what arrives must be the body, byte for byte.
    assert.deepEqual(raw, bodies.get(name), `${name} gzip=${gzip}: body`);
    const last = sent.at(-1)!;
    assert.equal(last.payload, payload, `${name} gzip=${gzip}: what fastify was given to send`);
    // The response is over once fetch has read it; `close` may follow a tick later.
    for (let i = 0; i < 100 && last.done === 0; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(last.done, 1, `${name} gzip=${gzip}: done calls`);
  }
});
