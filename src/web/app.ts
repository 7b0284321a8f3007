// The server's HTTP face: one fastify instance with a plugin per API area (src/web/api/*.ts) and
// the lifecycle endpoints. Shared services reach the plugins as the `services` decorator, so a
// plugin never imports the server that owns them.
import { appendFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { ApiError, failure } from './api/envelope.js';
import type { WebServices } from './services.js';
import { compileAnchored } from '../regex/re2.js';
import type { WebServing } from '../web-config/serve.js';
import { GO_MAX_HEADER_BYTES } from '../util/http-limits.js';
import { isStackOverflow } from '../promql/parser/parser.js';
import { lazySchemaCompilers, validatorWriter } from './lazy-schema-compilers.js';
import { registerCompression } from './compression.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: WebServices;
  }
}

export interface WebAppOptions {
  /** `--web.route-prefix` equivalent: where the API is mounted. */
  routePrefix?: string;
  /** --web.read-timeout: to receive a whole request, and how long an idle connection stays open. */
  readTimeoutMs?: number;
  /** --web.max-connections: simultaneous connections (0 = no limit). */
  maxConnections?: number;
  /** --web.cors.origin: API responses to a matching Origin carry CORS headers (the pattern is fully anchored). */
  corsOrigin?: string;
  /** --web.config.file: TLS, HTTP/2 and basic auth for the server (plain HTTP without it). */
  serving?: WebServing;
  /** Registered after the core plugins (API areas, UI). */
  plugins: ((app: FastifyInstance) => Promise<void>)[];
}

/** The `handler` label of prometheus_http_requests_total: the route pattern, not the raw URL. */
function handlerLabel(req: FastifyRequest): string {
  return req.routeOptions.url ?? 'not_found';
}

const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Headers': 'Accept, Authorization, Content-Type, Origin',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Expose-Headers': 'Date',
  Vary: 'Origin',
};

/** CORS on the API as Prometheus sets it: every header when there is an Origin, Allow-Origin when it matches. */
function registerCors(app: FastifyInstance, pattern: string, prefix: string): void {
  const any = pattern === '.*';
  const re = compileAnchored(pattern);
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin === undefined || origin === '' || !req.url.startsWith(`${prefix}/api/`)) return;
    reply.headers(CORS_HEADERS);
    if (any) reply.header('Access-Control-Allow-Origin', '*');
    else if (re.test(origin)) reply.header('Access-Control-Allow-Origin', origin);
  });
  // Preflight requests of browsers.
  app.options(`${prefix}/api/v1/*`, async (_req, reply) => reply.code(200).send());
}

/**
 * Set only by scripts/build-validators.mjs, which runs the server to gather its routes' validators:
 * the file each one's standalone source is appended to (a JSON line).
 */
const buildingValidators = process.env.PROMETHIUM_BUILD_VALIDATORS;

export async function buildWebApp(services: WebServices, options: WebAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // Large PromQL queries and match[] lists arrive as form bodies.
    bodyLimit: 16 * 1024 * 1024,
    // Long GET query strings and path parameters (label names) as Go's server takes them.
    http: { maxHeaderSize: GO_MAX_HEADER_BYTES },
    // Prometheus tolerates a trailing slash on API paths.
    routerOptions: { maxParamLength: GO_MAX_HEADER_BYTES, ignoreTrailingSlash: true },
    ...(options.readTimeoutMs !== undefined ? { requestTimeout: options.readTimeoutMs, keepAliveTimeout: options.readTimeoutMs } : {}),
    // Each route's schemas are compiled with its first request, not all at start, or come built
    // with the package (lazy-schema-compilers.ts).
    schemaController: { compilersFactory: buildingValidators ? validatorWriter((key, source) => appendFileSync(buildingValidators, `${JSON.stringify([key, source])}\n`)) : lazySchemaCompilers },
    ...options.serving?.fastifyOptions,
  });
  options.serving?.attach(app);
  if (options.maxConnections !== undefined && options.maxConnections > 0) app.server.maxConnections = options.maxConnections;
  app.decorate('services', services);
  if (options.corsOrigin !== undefined) registerCors(app, options.corsOrigin, options.routePrefix ?? '');
  await app.register(formbody);
  registerCompression(app, options.routePrefix ?? '');

  app.addHook('onResponse', async (req, reply) => {
    const handler = handlerLabel(req);
    services.metrics.httpRequests.inc({ handler, code: String(reply.statusCode) });
    services.metrics.httpDuration.observe({ handler }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(async (err: unknown, req, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.statusCode).send(failure(err));
    }
    // An expression too deeply nested for the evaluator's recursion (Prometheus's Go stacks grow):
    // the query's limit, not the server's failure.
    if (isStackOverflow(err)) return reply.status(422).send(failure(new ApiError('execution', 'query nested too deeply to evaluate (the evaluation exceeded the call stack)')));
    const e = err as { statusCode?: number; message?: string; validation?: unknown };
    // Fastify's own client errors (bad content type, body too large, schema validation).
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(e.statusCode).send(failure(new ApiError('bad_data', e.message ?? 'bad request')));
    }
    services.logger.error('HTTP handler failed', { url: req.url, err: err instanceof Error ? err : String(err) });
    return reply.status(500).send(failure(new ApiError('internal', err instanceof Error ? err.message : String(err))));
  });

  const prefix = options.routePrefix ?? '';
  // Under a route prefix, `/` leads to it (as Prometheus does); everything else is under it.
  if (prefix !== '') app.get('/', async (_req, reply) => reply.redirect(prefix, 302));
  for (const plugin of options.plugins) await app.register(plugin, { prefix });
  return app;
}
