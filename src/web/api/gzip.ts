// Query answers the query workers encoded, gzip-compressed when the client asks (Grafana does).
// Every other API answer is compressed by the server's compression hook (../compression.ts); an
// encoded answer is compressed here because its buffer is returned for reuse (`done`) only once
// the compressor has stopped reading it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { acceptsGzip, gzipped, MIN_GZIP_BYTES, varyingOnEncoding } from '../../common/gzip.js';

/**
 * Sends a JSON body, gzip-compressed when the request accepts it. `done`, if given, is called
 * once nothing reads `body` any more: the response is over (sent, or the client went away) and
 * the compressor, if any, has closed.
 */
export function sendJson(req: FastifyRequest, reply: FastifyReply, body: Buffer, done?: () => void): FastifyReply {
  reply.type('application/json; charset=utf-8');
  let pending = 1;
  const finished = (): void => {
    if (--pending === 0) done?.();
  };
  if (done) reply.raw.once('close', finished);
  if (body.length < MIN_GZIP_BYTES) return reply.send(body);
  // The answer now depends on Accept-Encoding.
  reply.header('vary', varyingOnEncoding(reply.getHeader('vary')));
  if (!acceptsGzip(req.headers['accept-encoding'])) return reply.send(body);
  const out = gzipped(body);
  if (done && !Buffer.isBuffer(out)) {
    pending++;
    out.once('close', finished);
  }
  return reply.header('content-encoding', 'gzip').send(out);
}
