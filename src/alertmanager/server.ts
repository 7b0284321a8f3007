// The Alertmanager process: HTTP server (API v2, /-/ endpoints, /metrics, UI) around the core,
// configuration reload on SIGHUP and POST /-/reload (a bad file keeps the running configuration).
import Fastify, { type FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { AlertmanagerCore, type CoreConfig } from './core.js';
import { alertmanagerApiV2 } from './api/v2.js';
import { createAlertmanagerMetrics, type AlertmanagerMetrics } from './metrics.js';
import type { SilenceMatcher } from './silences.js';
import type { Logger } from '../util/logger.js';
import type { WebServing } from '../web-config/serve.js';
import { listenOn } from '../web-config/listen.js';
import { GO_MAX_HEADER_BYTES } from '../util/http-limits.js';
import { registerCompression } from '../web/compression.js';

export interface AlertmanagerServerOptions {
  /** '' for every interface (IPv6 and IPv4 where the machine has both). */
  listenHost: string;
  listenPort: number;
  /** --web.route-prefix: where everything is mounted ('' for /). */
  routePrefix: string;
  externalUrl: string;
  storagePath: string;
  retentionMs: number;
  logger: Logger;
  /** Reads and validates alertmanager.yml; throws with the reason. */
  loadConfig: () => CoreConfig;
  parseMatcher: (s: string) => SilenceMatcher;
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
  /** --web.config.file: TLS, HTTP/2 and basic auth (plain HTTP without it). */
  serving?: WebServing;
}

export class AlertmanagerServer {
  readonly metrics: AlertmanagerMetrics = createAlertmanagerMetrics();
  core: AlertmanagerCore | undefined;
  private app: FastifyInstance | undefined;
  private readonly startTime = new Date();
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: AlertmanagerServerOptions) {
    this.metrics.attach(() => this.core);
  }

  async start(): Promise<{ port: number }> {
    const config = this.o.loadConfig();
    this.metrics.configHash(configHash(config.original), true);
    this.core = new AlertmanagerCore(config, {
      storagePath: this.o.storagePath,
      retentionMs: this.o.retentionMs,
      externalUrl: this.o.externalUrl,
      logger: this.o.logger,
      metrics: this.metrics,
    });
    this.o.logger.info('Completed loading of configuration file', { component: 'configuration' });

    const app = Fastify({
      logger: false,
      bodyLimit: 16 * 1024 * 1024,
      // Long GET query strings as Go's server takes them.
      http: { maxHeaderSize: GO_MAX_HEADER_BYTES },
      routerOptions: { maxParamLength: GO_MAX_HEADER_BYTES, ignoreTrailingSlash: true },
      // `__proto__` and `constructor` are label names like any other (Alertmanager keeps them):
      // bodies are plain JSON.parse results and label sets are copied into null-prototype objects.
      onProtoPoisoning: 'ignore',
      onConstructorPoisoning: 'ignore',
      // Bodies are checked against the API's schemas as sent: `1` is not the string "1".
      ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
      ...this.o.serving?.fastifyOptions,
    });
    this.o.serving?.attach(app);
    app.decorate('alertmanager', { core: this.core, parseMatcher: this.o.parseMatcher, startTime: this.startTime });
    const prefix = this.o.routePrefix.replace(/\/$/, '');
    // /metrics gzip-compressed when the scraper accepts it, as the Alertmanager's promhttp sends it.
    registerCompression(app, prefix);
    // Under a route prefix, `/` leads to it (as the Alertmanager does).
    if (prefix !== '') app.get('/', async (_req, reply) => reply.redirect(prefix, 302));
    await app.register(
      async (scoped) => {
        scoped.get('/-/healthy', async (_req, reply) => reply.type('text/plain').send('OK'));
        scoped.get('/-/ready', async (_req, reply) => reply.type('text/plain').send('OK'));
        scoped.post('/-/reload', async (_req, reply) => {
          try {
            this.reload();
            return reply.status(200).send();
          } catch (e) {
            return reply.status(500).type('text/plain').send(`failed to reload config: ${(e as Error).message}`);
          }
        });
        scoped.get('/metrics', async (_req, reply) => reply.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics()));
        await scoped.register(alertmanagerApiV2);
        for (const p of this.o.plugins ?? []) await scoped.register(p);
      },
      { prefix },
    );
    const host = await listenOn(app, this.o.listenHost, this.o.listenPort);
    this.app = app;
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : this.o.listenPort;
    this.o.logger.info('Listening', { address: `${host.includes(':') ? `[${host}]` : host}:${port}` });
    this.o.logger.info(this.o.serving?.describe() ?? 'TLS is disabled.', { http2: this.o.serving?.http2 ?? false });
    return { port };
  }

  /** Applies the configuration file again; throws (and keeps the old one) when it is invalid. */
  reload(): void {
    let config: CoreConfig;
    try {
      config = this.o.loadConfig();
    } catch (e) {
      this.metrics.configHash(0, false);
      this.o.logger.error('Loading configuration file failed', { component: 'configuration', err: e as Error });
      throw e;
    }
    this.core?.applyConfig(config);
    this.metrics.configHash(configHash(config.original), true);
    this.o.logger.info('Completed loading of configuration file', { component: 'configuration' });
  }

  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.stopping = (async () => {
      this.core?.stop();
      await this.app?.close();
    })();
    return this.stopping;
  }
}

/** A number that changes when the configuration text does (alertmanager_config_hash). */
function configHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}
