// Scrapes over plain http (src/common/http-config/http-get.ts with a target's
// scrape-body-buffer.ts): bodies arrive whole and exact however the server frames and splits them,
// the target's memory and connection are reused, and limits, gzip, redirects, truncation and dead
// kept-alive connections give the usual outcomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { scrapeHttp, ScrapeBodyBuffer } from '../../../src/common/http-config/http-get.js';
import { randomFractions as random } from '../../helpers/random.js';

function bodyOf(lines: number, seed: number): string {
  const next = random(seed);
  let s = '';
  for (let i = 0; i < lines; i++) s += `metric_${i}{path="/p/${Math.floor(next() * 1e6)}"} ${Math.floor(next() * 1e9)}\n`;
  return s;
}

/** A raw TCP server answering each request with `answer(requestNumber)` written in pieces. */
async function rawServer(answer: (n: number, socket: net.Socket) => void): Promise<{ url: URL; connections: () => number; close: () => void }> {
  let requests = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        answer(requests++, socket);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/metrics`),
    connections: () => connections,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** Writes `data` in pieces of random sizes, a few of them after a pause (separate reads). */
function writeInPieces(socket: net.Socket, data: Buffer, next: () => number, end = false): void {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = 1 + Math.floor(next() * (next() < 0.3 ? 20 : 70_000));
    pieces.push(data.subarray(at, at + n));
    at += n;
  }
  const step = (i: number): void => {
    if (socket.destroyed) return;
    if (i === pieces.length) {
      if (end) socket.end();
      return;
    }
    socket.write(pieces[i]!);
    if (next() < 0.2) setTimeout(() => step(i + 1), 2);
    else step(i + 1);
  };
  step(0);
}

function chunkedEncoding(body: Buffer, next: () => number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const n = 1 + Math.floor(next() * 50_000);
    const piece = body.subarray(at, at + n);
    parts.push(Buffer.from(`${piece.length.toString(16)}${next() < 0.2 ? ';ext=1' : ''}\r\n`), piece, Buffer.from('\r\n'));
    at += n;
  }
  parts.push(Buffer.from('0\r\nX-Trailer: 1\r\n\r\n'));
  return Buffer.concat(parts);
}

test('bodies arrive exact with Content-Length, chunked and close-delimited framing, split anywhere', async (t) => {
  const next = random(7);
  const bodies = [bodyOf(20_000, 1), '', bodyOf(3, 2), bodyOf(5_000, 3), bodyOf(40_000, 4)].map((b) => Buffer.from(b));
  const framings = ['length', 'chunked', 'length', 'chunked', 'length', 'close'] as const;
  let expected = Buffer.alloc(0);
  const server = await rawServer((n, socket) => {
    const framing = framings[n % framings.length]!;
    expected = bodies[n % bodies.length]!;
    const head =
      framing === 'length'
        ? `HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: ${expected.length}\r\n\r\n`
        : framing === 'chunked'
          ? 'HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nTransfer-Encoding: chunked\r\n\r\n'
          : 'HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\r\n';
    const payload = framing === 'chunked' ? chunkedEncoding(expected, next) : expected;
    writeInPieces(socket, Buffer.concat([Buffer.from(head), payload]), next, framing === 'close');
  });
  t.after(server.close);
  const buffers = new ScrapeBodyBuffer();
  t.after(() => buffers.close());
  for (let i = 0; i < 24; i++) {
    const res = await scrapeHttp({ url: server.url, timeoutMs: 10_000, bodyBuffer: buffers });
    assert.equal(res.contentType, 'text/plain; version=0.0.4');
    assert.ok(res.body.equals(expected), `scrape ${i} (${framings[i % framings.length]}): ${res.body.length} bytes, expected ${expected.length}`);
  }
  // Kept alive between scrapes; only the close-delimited answers (1 in 6) cost a new connection.
  assert.equal(server.connections(), 1 + Math.floor(24 / 6) - (24 % 6 === 0 ? 1 : 0));
});

test('a kept-alive connection the server closed is replaced without failing the scrape', async (t) => {
  const body = bodyOf(100, 5);
  const answered = new WeakSet<net.Socket>();
  const server = await rawServer((_n, socket) => {
    // One answer per connection: a second request finds it closed, as after an idle timeout that
    // raced the request (the client only learns of it once it has sent the request).
    if (answered.has(socket)) return void socket.destroy();
    answered.add(socket);
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
  t.after(server.close);
  const buffers = new ScrapeBodyBuffer();
  t.after(() => buffers.close());
  for (let i = 0; i < 3; i++) assert.equal((await scrapeHttp({ url: server.url, timeoutMs: 5000, bodyBuffer: buffers })).body.toString(), body);
  assert.equal(server.connections(), 3);
});

test('body_size_limit, gzip, redirects, statuses and truncated bodies', async (t) => {
  const body = bodyOf(2000, 6);
  const gz = zlib.gzipSync(body);
  const server = http.createServer((req, res) => {
    if (req.url === '/gzip') res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain' }).end(gz);
    else if (req.url === '/chunked') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write(body.slice(0, 1000));
      res.end(body.slice(1000));
    } else if (req.url === '/moved') res.writeHead(302, { Location: '/plain' }).end();
    else if (req.url === '/broken') res.writeHead(500, 'Internal Server Error').end('no');
    else if (req.url === '/truncated') {
      res.writeHead(200, { 'Content-Length': String(body.length) });
      res.write(body.slice(0, 100), () => res.socket?.destroy());
    } else res.writeHead(200, { 'Content-Type': 'text/plain' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  server.keepAliveTimeout = 100;
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const buffers = new ScrapeBodyBuffer();
  t.after(() => buffers.close());
  const get = (path: string, extra: { bodySizeLimit?: number; followRedirects?: boolean } = {}) => scrapeHttp({ url: new URL(base + path), timeoutMs: 5000, bodyBuffer: buffers, ...extra });
  assert.equal((await get('/gzip')).body.toString(), body);
  assert.equal((await get('/chunked')).body.toString(), body);
  assert.equal((await get('/moved')).body.toString(), body);
  assert.equal((await get('/plain', { bodySizeLimit: body.length })).body.toString(), body);
  for (const path of ['/plain', '/gzip', '/chunked']) {
    await assert.rejects(get(path, { bodySizeLimit: body.length - 1 }), { message: `body size limit exceeded: more than ${body.length - 1} bytes` }, path);
  }
  await assert.rejects(get('/moved', { followRedirects: false }), { message: 'server returned HTTP status 302 Found' });
  await assert.rejects(get('/broken'), { message: 'server returned HTTP status 500 Internal Server Error' });
  await assert.rejects(get('/truncated'), { message: `Get "${base}/truncated": unexpected EOF` });
  // After all of that the buffer still serves a whole body.
  assert.equal((await get('/plain')).body.toString(), body);
});

test('a target that does not answer times out; a refused connection is worded as Go does', async (t) => {
  const server = await rawServer(() => undefined);
  t.after(server.close);
  await assert.rejects(scrapeHttp({ url: server.url, timeoutMs: 200, bodyBuffer: new ScrapeBodyBuffer() }), { message: `Get "${server.url.href}": context deadline exceeded` });
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  await assert.rejects(scrapeHttp({ url: new URL(`http://127.0.0.1:${port}/metrics`), timeoutMs: 2000 }), { message: `Get "http://127.0.0.1:${port}/metrics": dial tcp 127.0.0.1:${port}: connect: connection refused` });
});
