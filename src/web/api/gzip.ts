// Query answers the query workers encoded, gzip-compressed when the client asks (Grafana does).
// Every other API answer is compressed by the server's compression hook (../compression.ts); an
// encoded answer is compressed here because its buffer is returned for reuse (`done`) only once
// the compressor has stopped reading it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { gzipped } from '../../common/gzip.js';
import { negotiateGzip } from '../compression.js';

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
  if (!negotiateGzip(req, reply, body.length)) return reply.send(body);
  const out = gzipped(body);
  if (done && !Buffer.isBuffer(out)) {
    pending++;
    out.once('close', finished);
  }
  return reply.send(out);
}
