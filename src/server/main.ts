// `promethium server`: Prometheus's server command line on Promethium's storage and engine.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseFlags, reportExit } from '../util/flags.js';
import { Logger } from '../util/logger.js';
import { runUntilSignal, startupStep } from '../util/process.js';
import { versionText } from '../version.js';
import { Storage } from '../storage/index.js';
import { parseConfig, defaultConfigYaml, redactSecrets } from '../config/index.js';
import type { Config } from '../config/index.js';
import { ExpositionCodecImpl } from '../exposition/index.js';
import { uiPlugin } from '../web/ui-plugin.js';
import { formatDuration } from '../model/duration.js';
import { serverFlags, flagsForStatus } from './flags.js';
import { Server } from './server.js';
import type { LoadedConfig } from './server.js';
import { makeFederationService, makeQueryService, makeSeriesService, makeTsdbService } from './services.js';
import { registerStorageMetrics } from './storage-metrics.js';
import { QueryPool } from './query-pool/pool.js';
import type { DiscoveryMetrics } from '../discovery/index.js';
import { scrapeFailureLogFiles, scrapePools } from './scrape-pools.js';
import { JsonLinesFile, JsonLinesFiles } from '../util/json-lines.js';
import { Ruling } from './rules.js';
import { tsdbSettings } from './tsdb-settings.js';
import { QueryLog } from '../promql/query-log.js';
import type { TsdbFlags, TsdbSettings } from './tsdb-settings.js';
import type { WebServing } from '../web-config/serve.js';
import { externalUrlAndPrefix } from '../web-config/external-url.js';
import { RemoteStorage, parseMaxBacklog } from '../remote/index.js';
import { remoteWriteStatusApi } from '../web/api/remote-write.js';
import { remoteEndpoints } from './remote-endpoints.js';
import { RemoteReaders } from '../remote/read/readers.js';
import { releaseYoungGeneration } from './startup-heap.js';
import { fixOldGenerationGrowth } from './old-generation-growth.js';
import { MemoryReleaser, nativeMemoryReleaseHooks } from './memory-release.js';
import { agentFederation, agentQueries, agentRulesApi, agentSeries, agentTsdb } from './agent.js';
import { AgentWalTruncator, agentRetention } from './agent-retention.js';


function splitAddress(a: string): { host: string; port: number } {
  const i = a.lastIndexOf(':');
  const host = i > 0 ? a.slice(0, i).replace(/^\[|\]$/g, '') : '0.0.0.0';
  return { host: host === '' ? '0.0.0.0' : host, port: Number(a.slice(i + 1)) };
}

export async function main(argv: string[]): Promise<number> {
  const r = parseFlags({ name: 'promethium server', description: 'The Promethium monitoring server (Prometheus-compatible).', version: versionText('prometheus') }, serverFlags, argv);
  if (r.kind === 'exit') return reportExit(r);
  const flags = r.values;
  const logger = new Logger({ level: flags['log.level'], format: flags['log.format'] });
  const raw: Record<string, string> = {};
  for (const name of r.given) raw[name] = String((flags as Record<string, unknown>)[name]);
  const { host, port } = splitAddress(flags['web.listen-address']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    logger.error('Invalid --web.listen-address', { address: flags['web.listen-address'] });
    return 1;
  }

  // The web config is checked before anything else starts: a bad one is a clear error at start.
  // Without one the server speaks plain HTTP, and the web config's modules (TLS, basic auth with
  // bcrypt's native addon) are never loaded.
  const webConfigFile = flags['web.config.file'];
  let serving: WebServing | undefined;
  if (webConfigFile !== '') {
    const { webServing } = await import('../web-config/serve.js');
    serving = startupStep(logger, 'Error loading web config', { file: webConfigFile }, () => webServing(webConfigFile, logger.with({ component: 'web' })));
    if (serving === undefined) return 1;
  }
  const scheme = serving?.scheme ?? 'http';
  const urls = startupStep(logger, 'Invalid external URL', {}, () => externalUrlAndPrefix(flags['web.external-url'], flags['web.route-prefix'], host, port, scheme));
  if (urls === undefined) return 1;
  const { externalUrl: externalURL, routePrefix } = urls;

  // No --config.file and no prometheus.yml here: the built-in default (the server scrapes itself).
  const configPath = flags['config.file'];
  const builtIn = !r.given.has('config.file') && !existsSync(configPath);
  let initial;
  try {
    initial = parseConfig(builtIn ? defaultConfigYaml('127.0.0.1:9090') : readFileSync(configPath, 'utf8'), builtIn ? '<built-in default>' : configPath, { agent: flags.agent });
  } catch (e) {
    logger.error('Error loading config', { file: configPath, err: e as Error });
    return 1;
  }
  if (builtIn) logger.info('No configuration file found: using the built-in default, which scrapes this server every 10s', { config: configPath });

  Server.logStartup(logger, flags as unknown as Record<string, string>);
  // Comma-separated as in Prometheus; unknown names are warned about, not fatal.
  const features = new Set(flags['enable-feature'].flatMap((f) => f.split(',')).map((f) => f.trim()).filter((f) => f !== ''));
  const KNOWN_FEATURES = ['promql-experimental-functions', 'promql-extended-range-selectors', 'promql-binop-fill-modifiers', 'promql-delayed-name-removal', 'use-start-timestamps', 'st-storage', 'exemplar-storage', 'xor2-encoding', 'native-histograms'];
  for (const f of features) {
    if (!KNOWN_FEATURES.includes(f)) logger.warn('Unknown option for --enable-feature', { option: f });
  }
  // Exemplars are kept only with exemplar-storage, as in Prometheus (storage.exemplars.max_exemplars).
  const exemplarStorage = features.has('exemplar-storage');
  const tsdbFlags: TsdbFlags = { retentionTimeMs: flags['storage.tsdb.retention.time'], retentionBytes: flags['storage.tsdb.retention.size'], stStorage: features.has('st-storage'), xor2Encoding: features.has('xor2-encoding') };
  // Agent mode keeps only a WAL, in its own directory, truncated between min-time and max-time
  // around the remote-write progress (agent-retention.ts).
  const agent = flags.agent;
  const dataPath = agent ? flags['storage.agent.path'] : flags['storage.tsdb.path'];
  const agentWal = agentRetention({ minTimeMs: flags['storage.agent.retention.min-time'], maxTimeMs: flags['storage.agent.retention.max-time'], truncateFrequencyMs: flags['storage.agent.wal-truncate-frequency'] });
  const settingsOf = (cfg: Config): TsdbSettings => tsdbSettings(cfg.storage.tsdb, tsdbFlags, dataPath);
  let storage: Storage;
  let initialSettings: TsdbSettings;
  try {
    mkdirSync(dataPath, { recursive: true });
    initialSettings = settingsOf(initial);
    const minBlock = flags['storage.tsdb.min-block-duration'];
    const maxBlock = flags['storage.tsdb.max-block-duration'];
    if (maxBlock !== 0 && maxBlock < minBlock) throw new Error('--storage.tsdb.max-block-duration must not be shorter than --storage.tsdb.min-block-duration');
    storage = Storage.open(dataPath, { blockRangeMs: minBlock, retentionMs: initialSettings.retentionMs, retentionBytes: initialSettings.retentionBytes, xor2Chunks: initialSettings.xor2Chunks, noLockfile: flags['storage.tsdb.no-lockfile'], agent, maxExemplars: exemplarStorage ? initial.storage.exemplars.maxExemplars : 0 });
  } catch (e) {
    logger.error('Opening storage failed', { err: e as Error });
    return 1;
  }
  let remote: RemoteStorage;
  let metricFamilies: () => Iterable<readonly [string, { type: string; help: string; unit: string }]> = () => [];
  try {
    // Metadata comes from the scrape targets, which exist once the server does (set below).
    remote = new RemoteStorage({ storage, dataDir: dataPath, logger, maxBacklog: parseMaxBacklog(flags['storage.remote.max-backlog']), ...(agent ? { maxAgeMs: agentWal.maxTimeMs } : {}), families: () => metricFamilies() });
  } catch (e) {
    logger.error('Invalid flag', { err: e as Error });
    storage.close();
    return 1;
  }
  const replay = storage.replayInfo();
  if (replay.corruption) logger.warn('WAL corruption found and repaired: the data after it was cut', { segment: replay.corruption.segment, offset: replay.corruption.offset, reason: replay.corruption.reason });
  logger.info('WAL replay completed', { component: 'tsdb', series: replay.series, samples: replay.samples, total_replay_duration: `${(replay.durationMs / 1000).toFixed(3)}s` });
  logger.info('TSDB started');
  const agentTruncator = agent ? new AgentWalTruncator({ storage, queues: remote, retention: agentWal, logger }) : undefined;
  if (agentTruncator !== undefined) logger.info('Agent WAL retention', { component: 'agent', min_time: formatDuration(agentWal.minTimeMs), max_time: formatDuration(agentWal.maxTimeMs), truncate_frequency: formatDuration(agentWal.truncateFrequencyMs) });

  const engineOptions = { lookbackDeltaMs: flags['query.lookback-delta'], timeoutMs: flags['query.timeout'], maxSamples: flags['query.max-samples'], maxMemoryBytes: flags['query.max-memory'], defaultSubqueryStepMs: initial.global.evaluationIntervalMs, delayedNameRemoval: features.has('promql-delayed-name-removal'), useStartTimestamps: features.has('use-start-timestamps'),
    features: { experimentalFunctions: features.has('promql-experimental-functions'), extendedRangeSelectors: features.has('promql-extended-range-selectors'), binopFillModifiers: features.has('promql-binop-fill-modifiers') },
  };
  // API queries run on worker threads attached to this database (started with the first query).
  const queryPool = new QueryPool({ init: { storageId: storage.id, dir: dataPath, engine: engineOptions }, maxQueued: flags['query.max-concurrency'], maxMemoryBytes: flags['query.max-memory'] });
  const queryLog = new QueryLog();
  const remoteReaders = new RemoteReaders();
  const failureLogs = new JsonLinesFiles();
  const ruling = new Ruling({
    queryLog,
    remoteReaders,
    storage,
    engine: engineOptions,
    logger,
    externalURL,
    resendDelayMs: flags['rules.alert.resend-delay'],
    queueCapacity: flags['alertmanager.notification-queue-capacity'],
    alertmanagerTimeoutMs: flags['alertmanager.timeout'],
    forOutageToleranceMs: flags['rules.alert.for-outage-tolerance'],
    forGracePeriodMs: flags['rules.alert.for-grace-period'],
  });
  // Set once the server (and its metrics registry) exists; configs are loaded only after that.
  let sdMetrics: DiscoveryMetrics | undefined;
  const loadConfig = (): LoadedConfig => {
    const selfAddress = `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    const text = builtIn ? defaultConfigYaml(selfAddress) : readFileSync(configPath, 'utf8');
    const cfg = parseConfig(text, builtIn ? '<built-in default>' : configPath, { agent });
    const tsdb = settingsOf(cfg);
    // Files the config names must open: checked here, so a config naming one that cannot is refused.
    const queryLogFile = cfg.global.queryLogFile;
    const files = [...(queryLogFile !== undefined ? [{ key: 'query_log_file', file: queryLogFile }] : []), ...scrapeFailureLogFiles(cfg).map((file) => ({ key: 'scrape_failure_log_file', file }))];
    for (const { key, file } of files) {
      try {
        new JsonLinesFile(file).close();
      } catch (e) {
        throw new Error(`${key}: cannot open ${file}: ${(e as Error).message}`);
      }
    }
    return { yaml: redactSecrets(text), scrapePools: scrapePools(cfg, builtIn ? process.cwd() : dirname(resolve(configPath)), logger, { startTimestamps: features.has('st-storage'), exemplars: exemplarStorage, nativeHistograms: features.has('native-histograms') }, failureLogs, sdMetrics),
      applyOthers: () => {
        if (exemplarStorage) storage.setMaxExemplars(cfg.storage.exemplars.maxExemplars);
        storage.setRetention(tsdb.retentionMs, tsdb.retentionBytes);
        storage.setXor2Chunks(tsdb.xor2Chunks);
        queryLog.setFile(cfg.global.queryLogFile);
        failureLogs.use(scrapeFailureLogFiles(cfg));
        remoteReaders.apply(agent ? [] : cfg.remoteRead, cfg.global.externalLabels);
        for (const w of [...cfg.warnings, ...tsdb.warnings]) logger.warn(w);
        // No rules in agent mode.
        return Promise.all([agent ? Promise.resolve() : ruling.apply(cfg), remote.applyConfig(cfg)]).then(() => undefined);
      },
      externalLabels: cfg.global.externalLabels };
  };
  // The agent keeps no blocks: what bounds its data is max-time.
  const retentionText = agent ? formatDuration(agentWal.maxTimeMs) : initialSettings.retentionMs > 0 ? formatDuration(initialSettings.retentionMs) : '';
  // Returns the transient memory of bursts of series creation (memory-release.ts says why).
  const memoryReleaser = new MemoryReleaser(nativeMemoryReleaseHooks(), logger);
  const server = new Server({
    logger,
    listenHost: host,
    listenPort: port,
    lifecycleEnabled: flags['web.enable-lifecycle'],
    flags: flagsForStatus(flags, raw),
    retentionText,
    storage,
    codec: new ExpositionCodecImpl(),
    queries: agent ? agentQueries : (metrics) => makeQueryService(storage, engineOptions, metrics, queryLog, queryPool, remoteReaders),
    series: agent ? agentSeries : makeSeriesService(storage),
    tsdb: agent ? agentTsdb : makeTsdbService(storage, dataPath, flags['web.enable-admin-api']),
    federation: agent ? agentFederation : (externalLabels) => makeFederationService(storage, flags['query.lookback-delta'], externalLabels),
    remote: remoteEndpoints(storage, { receiver: flags['web.enable-remote-write-receiver'], agent, readSampleLimit: flags['storage.remote.read-sample-limit'], readConcurrentLimit: flags['storage.remote.read-concurrent-limit'], readMaxBytesInFrame: flags['storage.remote.read-max-bytes-in-frame'] }),
    loadConfig,
    plugins: [agent ? agentRulesApi : ruling.plugin(), remoteWriteStatusApi(() => remote.status()), uiPlugin({ title: agent ? `${flags['web.page-title']} (Agent mode)` : flags['web.page-title'], routePrefix })],
    web: { readTimeoutMs: flags['web.read-timeout'], maxConnections: flags['web.max-connections'], corsOrigin: flags['web.cors.origin'], routePrefix, serving },
    registerStorageMetrics: (m) => registerStorageMetrics(storage, m, replay.durationMs / 1000),
    onStop: () => {
      memoryReleaser.stop();
      queryLog.close();
      failureLogs.closeAll();
      return Promise.all([ruling.stop(), queryPool.close(), remote.stop(), agentTruncator?.stop()]).then(() => undefined);
    },
  });
  sdMetrics = server.metrics.discovery;
  ruling.init(server.metrics);
  queryLog.init(server.metrics.registry);
  remote.init(server.metrics.registry);
  metricFamilies = () => server.metricFamilies();
  agentTruncator?.init(server.metrics.registry);
  agentTruncator?.start();
  return runUntilSignal({
    logger,
    start: () =>
      server.start().then(() => {
        releaseYoungGeneration();
        fixOldGenerationGrowth();
        // What start-up freed goes back to the system once the server runs.
        memoryReleaser.owe();
        memoryReleaser.start();
      }),
    startError: 'Error starting the server',
    abortStart: () => server.stop(),
    stop: () => server.stop(),
    done: server.done,
    reload: () => server.reload(),
    signalLog: 'warn-with-signal',
  });
}
