// gzip on the answers Prometheus compresses: the HTTP API, /federate and /metrics (the
// Alertmanager's /metrics too), whenever the client accepts it (Grafana, a federating or scraping Prometheus, a browser do). Label values,
// series lists and federation are often large and go to another machine; uncompressed they cost
// the network ten times the bytes. Answers already encoded (the query workers' own gzip, remote
// read's snappy) and streamed answers are left as they are; so are bodies under 1 KiB.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { acceptsGzip, gzipped, MIN_GZIP_BYTES, varyingOnEncoding } from '../common/gzip.js';

/** Whether the request is for an answer Prometheus compresses (the path, without the route prefix). */
function compressible(req: FastifyRequest, prefix: string): boolean {
  const end = req.url.indexOf('?');
  const path = (end < 0 ? req.url : req.url.slice(0, end)).slice(prefix.length);
  return path.startsWith('/api/v1/') || path === '/federate' || path === '/metrics';
}

/** Adds the hook to `app`; routes registered after this call (in any plugin) get it. */
export function registerCompression(app: FastifyInstance, prefix: string): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (reply.hasHeader('content-encoding') || !compressible(req, prefix)) return payload;
    if ((typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length) < MIN_GZIP_BYTES) return payload;
    reply.header('vary', varyingOnEncoding(reply.getHeader('vary')));
    if (!acceptsGzip(req.headers['accept-encoding'])) return payload;
    reply.header('content-encoding', 'gzip');
    // Fastify sets Content-Length for a buffer and sends a stream chunked.
    return gzipped(typeof payload === 'string' ? Buffer.from(payload) : payload);
  });
}
