// The server's HTTP face: one fastify instance with a plugin per API area (src/web/api/*.ts) and
// the lifecycle endpoints. Shared services reach the plugins as the `services` decorator, so a
// plugin never imports the server that owns them.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { ApiError, failure } from './api/envelope.js';
import type { WebServices } from './services.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: WebServices;
  }
}

export interface WebAppOptions {
  /** `--web.route-prefix` equivalent: where the API is mounted. */
  routePrefix?: string;
  /** Registered after the core plugins (API areas, UI). */
  plugins: ((app: FastifyInstance) => Promise<void>)[];
}

/** The `handler` label of prometheus_http_requests_total: the route pattern, not the raw URL. */
function handlerLabel(req: FastifyRequest): string {
  return req.routeOptions.url ?? 'not_found';
}

export async function buildWebApp(services: WebServices, options: WebAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // Large PromQL queries and match[] lists arrive as form bodies.
    bodyLimit: 16 * 1024 * 1024,
    // Prometheus tolerates a trailing slash on API paths.
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: true },
  });
  app.decorate('services', services);
  await app.register(formbody);

  app.addHook('onResponse', async (req, reply) => {
    const handler = handlerLabel(req);
    services.metrics.httpRequests.inc({ handler, code: String(reply.statusCode) });
    services.metrics.httpDuration.observe({ handler }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (err: unknown, req, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.statusCode).send(failure(err));
    }
    const e = err as { statusCode?: number; message?: string; validation?: unknown };
    // Fastify's own client errors (bad content type, body too large, schema validation).
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(e.statusCode).send(failure(new ApiError('bad_data', e.message ?? 'bad request')));
    }
    services.logger.error('HTTP handler failed', { url: req.url, err: err instanceof Error ? err : String(err) });
    return reply.status(500).send(failure(new ApiError('internal', err instanceof Error ? err.message : String(err))));
  });

  for (const plugin of options.plugins) await app.register(plugin, { prefix: options.routePrefix ?? '' });
  return app;
}
