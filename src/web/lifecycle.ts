// /-/healthy, /-/ready, /-/reload and /-/quit, with Prometheus's texts and status codes.
import type { FastifyInstance } from 'fastify';
import { noParams } from './api/schemas.js';

// No parameters: any query string (or body) is taken and ignored, as Prometheus does.
const schema = noParams;

export async function lifecyclePlugin(app: FastifyInstance): Promise<void> {
  const { lifecycle, logger } = app.services;

  app.get('/-/healthy', { schema }, async (_req, reply) => reply.type('text/plain; charset=utf-8').send('Prometheus Server is Healthy.\n'));

  const ready = async (_req: unknown, reply: import('fastify').FastifyReply): Promise<void> => {
    if (lifecycle.isReady()) {
      await reply.type('text/plain; charset=utf-8').send('Prometheus Server is Ready.\n');
    } else {
      await reply.status(503).type('text/plain; charset=utf-8').send('Service Unavailable');
    }
  };
  app.get('/-/ready', { schema }, ready);

  const disabled = 'Lifecycle API is not enabled.';
  const reload = async (_req: unknown, reply: import('fastify').FastifyReply): Promise<void> => {
    if (!lifecycle.enabled) {
      await reply.status(403).type('text/plain; charset=utf-8').send(disabled);
      return;
    }
    try {
      await lifecycle.reload();
      await reply.status(200).send();
    } catch (e) {
      await reply.status(500).type('text/plain; charset=utf-8').send(`failed to reload config: ${(e as Error).message}\n`);
    }
  };
  app.post('/-/reload', { schema }, reload);
  app.put('/-/reload', { schema }, reload);

  const quit = async (_req: unknown, reply: import('fastify').FastifyReply): Promise<void> => {
    if (!lifecycle.enabled) {
      await reply.status(403).type('text/plain; charset=utf-8').send(disabled);
      return;
    }
    logger.warn('Received termination request via web service, exiting gracefully...');
    await reply.type('text/plain; charset=utf-8').send('Requesting termination... Goodbye!');
    // Let the response leave before shutting the server down.
    setImmediate(() => lifecycle.quit());
  };
  app.post('/-/quit', { schema }, quit);
  app.put('/-/quit', { schema }, quit);

  app.get('/metrics', { schema }, async (_req, reply) => {
    const { registry } = app.services.metrics;
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
