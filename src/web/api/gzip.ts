// Query answers gzip-compressed when the client asks (Grafana does, as Prometheus's API answers
// it). The JSON is compressed as a stream on libuv's thread pool: the event loop is not held for
// the compression, and no second whole copy of the body is made.
import { createGzip, constants } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Bodies smaller than this are sent as they are: compressing them saves nothing worth the work. */
const MIN_GZIP_BYTES = 1024;

/** Whether an Accept-Encoding header accepts gzip (a `q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (name !== 'gzip' && name !== '*') continue;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

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
  // The answer now depends on Accept-Encoding: say so beside what Vary lists already (CORS: Origin).
  const vary = reply.getHeader('vary');
  const varies = vary === undefined ? [] : String(vary).split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (!varies.some((v) => v.toLowerCase() === 'accept-encoding')) varies.push('Accept-Encoding');
  reply.header('vary', varies.join(', '));
  if (!acceptsGzip(req.headers['accept-encoding'])) return reply.send(body);
  // The fastest level: a query answer is mostly repeated timestamps and digits, which even it
  // shrinks about tenfold, and the CPU it saves is what keeps large answers quick.
  const gz = createGzip({ level: constants.Z_BEST_SPEED });
  if (done) {
    pending++;
    gz.once('close', finished);
  }
  gz.end(body);
  return reply.header('content-encoding', 'gzip').send(gz);
}
