// gzip on the answers Prometheus compresses: the HTTP API, /federate and /metrics (the
// Alertmanager's /metrics too), whenever the client accepts it (Grafana, a federating or scraping
// Prometheus, a browser do). Label values, series lists and federation are often large and go to
// another machine; uncompressed they cost the network ten times the bytes. Answers already encoded
// (the query workers' own gzip, remote read's snappy) and streamed answers are left as they are;
// so are bodies under MIN_GZIP_BYTES (1,200 bytes: one TCP segment with the headers).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { acceptsGzip, gzipped, MIN_GZIP_BYTES, varyingOnEncoding } from '../common/gzip.js';

/** Whether the request is for an answer Prometheus compresses (the path, without the route prefix). */
function compressible(req: FastifyRequest, prefix: string): boolean {
  const end = req.url.indexOf('?');
  const path = (end < 0 ? req.url : req.url.slice(0, end)).slice(prefix.length);
  return path.startsWith('/api/v1/') || path === '/federate' || path === '/metrics';
}

/**
 * Whether a body of `bytes` goes gzip-compressed to this request. From MIN_GZIP_BYTES on the answer
 * depends on Accept-Encoding, which Vary then says; Content-Encoding is set when it does.
 */
export function negotiateGzip(req: FastifyRequest, reply: FastifyReply, bytes: number): boolean {
  if (bytes < MIN_GZIP_BYTES) return false;
  reply.header('vary', varyingOnEncoding(reply.getHeader('vary')));
  if (!acceptsGzip(req.headers['accept-encoding'])) return false;
  reply.header('content-encoding', 'gzip');
  return true;
}

/** Adds the hook to `app`; routes registered after this call (in any plugin) get it. */
export function registerCompression(app: FastifyInstance, prefix: string): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (reply.hasHeader('content-encoding') || !compressible(req, prefix)) return payload;
    // A string's size is measured without copying it; the copy is made only to compress it.
    if (!negotiateGzip(req, reply, typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length)) return payload;
    // Fastify sets Content-Length for a buffer and sends a stream chunked.
    return gzipped(typeof payload === 'string' ? Buffer.from(payload) : payload);
  });
}
