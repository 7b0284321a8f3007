// `POST /api/v1/write` (the remote-write receiver) and `POST /api/v1/read` (remote read). Bodies are
// protobuf, not forms: this plugin's own context takes any body as raw bytes (up to the limit),
// so the receiver itself decides on the Content-Type (415 for one it does not speak).
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RemoteRequest, RemoteResponse } from '../../remote/http-exchange.js';
import { noParams } from './schemas.js';

/** The largest compressed body taken (fastify answers 413 beyond it). */
export const REMOTE_BODY_LIMIT = 32 * 1024 * 1024;

function exchange(req: FastifyRequest): RemoteRequest {
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const body = req.body instanceof Uint8Array ? req.body : new Uint8Array();
  return { contentType: header('content-type'), contentEncoding: header('content-encoding'), body };
}

/** A stream body (remote read's streamed frames) is piped to the socket, which paces it. */
function answer(reply: FastifyReply, r: Omit<RemoteResponse, 'body'> & { body: RemoteResponse['body'] | Readable }): FastifyReply {
  reply.code(r.status).headers(r.headers);
  if (r.status === 204) return reply.send();
  if (r.body instanceof Readable || typeof r.body === 'string') return reply.send(r.body);
  return reply.send(Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength));
}

export async function remoteApi(app: FastifyInstance): Promise<void> {
  const remote = app.services.remote;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: REMOTE_BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.post('/api/v1/write', { schema: noParams }, async (req, reply) => {
    const write = remote?.write;
    if (write === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n');
    return answer(reply, await write(exchange(req)));
  });
  app.post('/api/v1/read', { schema: noParams }, async (req, reply) => {
    const read = remote?.read;
    if (read === undefined) return reply.code(422).type('application/json').send({ status: 'error', errorType: 'execution', error: 'unavailable with Prometheus Agent' });
    return answer(reply, await read(exchange(req)));
  });
}
