// `promethium server`: wires configuration, storage, scraping, the query engine and the HTTP API
// together, and owns the life cycle — start, reload (SIGHUP, /-/reload), and a clean shutdown
// (scrapes stopped, head flushed to the WAL, lock released) on SIGTERM/SIGINT or /-/quit.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../util/logger.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { ScrapeManager, type PoolSource } from '../scrape/manager.js';
import type { ExpositionCodec, ScrapeStorage } from '../scrape/loop.js';
import { buildWebApp } from '../web/app.js';
import { lifecyclePlugin } from '../web/lifecycle.js';
import { statusApi } from '../web/api/status.js';
import { queryApi } from '../web/api/query.js';
import { seriesApi } from '../web/api/series.js';
import { targetsApi } from '../web/api/targets.js';
import { metadataApi } from '../web/api/metadata.js';
import { tsdbApi } from '../web/api/tsdb.js';
import { federateApi } from '../web/api/federate.js';
import { exemplarsApi } from '../web/api/exemplars.js';
import { remoteApi } from '../web/api/remote.js';
import type { FederationService, QueryService, RemoteEndpointService, SeriesService, TsdbService, WebServices } from '../web/services.js';
import { buildInfo } from '../version.js';
import { formatDuration } from '../model/duration.js';
import type { WebServing } from '../web-config/serve.js';

/** A loaded configuration, reduced to what the server acts on. */
export interface LoadedConfig {
  /** The file's text as the status page shows it: secrets hidden, once per load. */
  yaml: string;
  /** One source per scrape job. */
  scrapePools: PoolSource[];
  /** Applies the rest of the configuration (rules, alerting); throws to refuse it. */
  applyOthers?: () => Promise<void>;
  /** `global.external_labels`. */
  externalLabels?: Record<string, string>;
}

/** The storage as the server drives it. */
export interface ServerStorage extends ScrapeStorage {
  close(): void;
  /** Runs head compaction, block compaction and retention (in the background). */
  compact(): Promise<void>;
}

export interface ServerParts {
  logger: Logger;
  listenHost: string;
  listenPort: number;
  lifecycleEnabled: boolean;
  flags: Record<string, string>;
  retentionText: string;
  storage: ServerStorage;
  /** The exposition parsers (text format and OpenMetrics). */
  codec: ExpositionCodec;
  /** The query service, or a factory that gets the server's metrics (for query timings). */
  queries: QueryService | ((metrics: ServerMetrics) => QueryService);
  series: SeriesService;
  tsdb: TsdbService;
  /** /federate over the storage; `externalLabels` reads the running configuration's. */
  federation: (externalLabels: () => Record<string, string>) => FederationService;
  /** `/api/v1/write` and `/api/v1/read`; `externalLabels` reads the running configuration's. */
  remote?: (externalLabels: () => Record<string, string>, metrics: ServerMetrics) => RemoteEndpointService;
  /** Reads and validates the configuration file; throws with file:line:col and reason. */
  loadConfig(): LoadedConfig;
  /** Extra HTTP plugins (UI, rules API) registered after the core ones. */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
  /** Registers collectors that read storage figures at scrape time. */
  registerStorageMetrics?(metrics: ServerMetrics): void;
  /** Stops what the server does not own itself (rule evaluation, the notifier). */
  onStop?: () => Promise<void>;
  /** How often the head is compacted and retention applied. */
  compactionIntervalMs?: number;
  /** --web.read-timeout, --web.max-connections, --web.cors.origin, --web.route-prefix ('' for none), --web.config.file. */
  web?: { readTimeoutMs?: number; maxConnections?: number; corsOrigin?: string; routePrefix?: string; serving?: WebServing };
}

export class Server {
  readonly metrics: ServerMetrics = createServerMetrics();
  private app: FastifyInstance | undefined;
  private config: LoadedConfig | undefined;
  private scrape: ScrapeManager;
  private ready = false;
  private lastConfigTime = 0;
  private reloadSuccess = true;
  private compactionTimer: NodeJS.Timeout | undefined;
  private compacting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly startTime = new Date();
  /** Resolves when the server has shut down (via quit, a signal or stop()). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(private readonly parts: ServerParts) {
    this.done = new Promise((r) => (this.resolveDone = r));
    const m = this.metrics;
    this.scrape = new ScrapeManager(
      {
        storage: parts.storage,
        codec: parts.codec,
        logger: parts.logger.with({ component: 'scrape manager' }),
        onScrape: (r) => {
          m.targetIntervalLength.observe({ interval: formatDuration(Math.round(r.intervalSeconds) * 1000) }, r.intervalSeconds);
          if (r.counts.outOfOrder > 0) m.targetScrapesSampleOutOfOrder.inc(r.counts.outOfOrder);
          if (r.counts.duplicate > 0) m.targetScrapesSampleDuplicate.inc(r.counts.duplicate);
          // Prometheus counts both kinds here: before the head's bounds and too far in the future.
          const outOfBounds = r.counts.tooOld + r.counts.outOfBounds;
          if (outOfBounds > 0) m.targetScrapesSampleOutOfBounds.inc(outOfBounds);
          if (r.sampleLimitExceeded) m.targetScrapesExceededSampleLimit.inc();
          if (r.bodyLimitExceeded) m.targetScrapesExceededBodySizeLimit.inc();
          if (r.exemplarsOutOfOrder > 0) m.targetScrapesExemplarOutOfOrder.inc(r.exemplarsOutOfOrder);
          if (r.bucketLimitExceeded === true) m.targetScrapesExceededNativeHistogramBucketLimit.inc();
        },
      },
      parts.logger.with({ component: 'scrape manager' }),
    );
    parts.registerStorageMetrics?.(m);
  }

  /** Starts everything; resolves when the HTTP server listens and the first config is applied. */
  async start(): Promise<{ port: number }> {
    const log = this.parts.logger;
    const config = this.parts.loadConfig();
    this.config = config;
    this.lastConfigTime = Date.now();
    this.metrics.configLastReloadSuccessful.set(1);
    this.metrics.configLastReloadSuccessTimestamp.set(this.lastConfigTime / 1000);
    log.info('Completed loading of configuration file', { component: 'server' });

    const services: WebServices = {
      logger: log.with({ component: 'web' }),
      metrics: this.metrics,
      lifecycle: {
        enabled: this.parts.lifecycleEnabled,
        reload: () => this.reload(),
        quit: () => void this.stop(),
        isReady: () => this.ready,
      },
      status: {
        flags: () => this.parts.flags,
        configYaml: () => this.config?.yaml ?? '',
        runtimeInfo: () => ({
          startTime: this.startTime.toISOString(),
          CWD: process.cwd(),
          reloadConfigSuccess: this.reloadSuccess,
          lastConfigTime: new Date(this.lastConfigTime).toISOString(),
          corruptionCount: 0,
          goroutineCount: 0,
          GOMAXPROCS: os.availableParallelism(),
          GOMEMLIMIT: 0,
          GOGC: '',
          GODEBUG: '',
          storageRetention: this.parts.retentionText,
        }),
      },
      queries: typeof this.parts.queries === 'function' ? this.parts.queries(this.metrics) : this.parts.queries,
      series: this.parts.series,
      targets: { active: () => this.scrape.activeTargets(), dropped: () => this.scrape.droppedTargets(), droppedCounts: () => this.scrape.droppedTargetCounts() },
      tsdb: this.parts.tsdb,
      federation: this.parts.federation(() => this.config?.externalLabels ?? {}),
      remote: this.parts.remote?.(() => this.config?.externalLabels ?? {}, this.metrics),
    };
    this.app = await buildWebApp(services, {
      ...this.parts.web,
      plugins: [lifecyclePlugin, statusApi, queryApi, seriesApi, targetsApi, metadataApi, federateApi, exemplarsApi, tsdbApi, remoteApi, ...(this.parts.plugins ?? [])],
    });
    await this.app.listen({ host: this.parts.listenHost, port: this.parts.listenPort });
    const addr = this.app.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : this.parts.listenPort;
    log.info('Start listening for connections', { component: 'web', address: `${this.parts.listenHost}:${port}` });
    log.info(this.parts.web?.serving?.describe() ?? 'TLS is disabled.', { component: 'web', http2: this.parts.web?.serving?.http2 ?? false });

    // Remote write and rules before scraping, as on a reload (and as Prometheus applies remote
    // storage's config before the scrape manager's): a new remote-write queue starts reading at
    // the WAL's end, so a scrape appended before it started would never be sent.
    await config.applyOthers?.();
    await this.scrape.apply(config.scrapePools);
    this.scheduleCompaction();
    this.ready = true;
    log.info('Server is ready to receive web requests.');
    return { port };
  }

  /** The metric families the active targets exposed (name, TYPE/HELP/UNIT), e.g. for remote write's metadata. */
  *metricFamilies(): Iterable<readonly [string, { type: string; help: string; unit: string }]> {
    for (const t of this.scrape.activeTargets()) yield* t.metadata();
  }

  /** Re-reads the configuration; a bad one is refused and the running one stays. */
  async reload(): Promise<void> {
    const log = this.parts.logger;
    log.info('Loading configuration file', { filename: this.parts.flags['config.file'] });
    let next: LoadedConfig;
    try {
      next = this.parts.loadConfig();
    } catch (e) {
      this.reloadSuccess = false;
      this.metrics.configLastReloadSuccessful.set(0);
      log.error('Error reloading config', { err: e as Error });
      throw e;
    }
    try {
      await next.applyOthers?.();
    } catch (e) {
      this.reloadSuccess = false;
      this.metrics.configLastReloadSuccessful.set(0);
      log.error('Error reloading config', { err: e as Error });
      throw e;
    }
    await this.scrape.apply(next.scrapePools);
    this.config = next;
    this.reloadSuccess = true;
    this.lastConfigTime = Date.now();
    this.metrics.configLastReloadSuccessful.set(1);
    this.metrics.configLastReloadSuccessTimestamp.set(this.lastConfigTime / 1000);
    log.info('Completed loading of configuration file', { filename: this.parts.flags['config.file'] });
  }

  private scheduleCompaction(): void {
    const every = this.parts.compactionIntervalMs ?? 60_000;
    this.compactionTimer = setInterval(() => {
      if (this.compacting !== undefined) return;
      this.compacting = this.parts.storage
        .compact()
        .catch((e: unknown) => this.parts.logger.error('Compaction failed', { component: 'tsdb', err: e as Error }))
        .finally(() => (this.compacting = undefined));
    }, every);
    this.compactionTimer.unref();
  }

  /** Stops scraping, closes the HTTP server and the storage. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.stopping = (async () => {
      const log = this.parts.logger;
      this.ready = false;
      if (this.compactionTimer !== undefined) clearInterval(this.compactionTimer);
      log.info('Stopping scrape manager...');
      await this.scrape.stop();
      log.info('Scrape manager stopped');
      await this.parts.onStop?.();
      await this.app?.close();
      await this.compacting;
      this.parts.storage.close();
      log.info('See you next time!');
      this.resolveDone();
    })();
    return this.stopping;
  }

  /** Start-up lines as Prometheus logs them, so operators find the same facts in the same place. */
  static logStartup(logger: Logger, flags: Record<string, string>): void {
    const b = buildInfo();
    logger.info('Starting Promethium Server', { mode: String(flags['agent']) === 'true' ? 'agent' : 'server', version: `(version=${b.version}, branch=${b.branch}, revision=${b.revision})` });
    logger.info('operational information', {
      build_context: `(go=${b.goVersion}, platform=${b.platform}, user=${b.buildUser}, date=${b.buildDate}, tags=promethium)`,
      host_details: `(${os.type()} ${os.release()} ${os.arch()} ${os.hostname()})`,
      fd_limits: fdLimits(),
      vm_limits: '(soft=unlimited, hard=unlimited)',
    });
    logger.info(String(flags['agent']) === 'true' ? 'Starting WAL storage ...' : 'Starting TSDB ...', { path: String(flags['agent']) === 'true' ? flags['storage.agent.path'] : flags['storage.tsdb.path'] });
  }
}

function fdLimits(): string {
  try {
    // /proc/self/limits has the soft and hard RLIMIT_NOFILE on Linux.
    const text = readFileSync('/proc/self/limits', 'utf8');
    const m = /Max open files\s+(\S+)\s+(\S+)/.exec(text);
    if (m !== null) return `(soft=${m[1]}, hard=${m[2]})`;
  } catch {
    // Not Linux: fall through.
  }
  return '(soft=unknown, hard=unknown)';
}
