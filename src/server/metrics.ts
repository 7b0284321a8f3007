// The server's own metrics, with Prometheus's names so that dashboards built for Prometheus
// (e.g. "Prometheus 2.0 Overview") work against Promethium. prom-client gives the registry and the
// process_* / nodejs_* collectors; the TSDB and scrape figures are read when /metrics is scraped.
import client from 'prom-client';
import { buildInfo } from '../version.js';
import { createDiscoveryMetrics } from '../discovery/metrics.js';
import type { DiscoveryMetrics } from '../discovery/metrics.js';

export interface ServerMetrics {
  registry: client.Registry;
  httpRequests: client.Counter<'handler' | 'code'>;
  httpDuration: client.Histogram<'handler'>;
  configLastReloadSuccessful: client.Gauge;
  configLastReloadSuccessTimestamp: client.Gauge;
  engineQueryDuration: client.Summary<'slice'>;
  engineQueriesConcurrentMax: client.Gauge;
  targetIntervalLength: client.Summary<'interval'>;
  targetScrapesSampleOutOfOrder: client.Counter;
  targetScrapesSampleDuplicate: client.Counter;
  targetScrapesSampleOutOfBounds: client.Counter;
  targetScrapesExceededSampleLimit: client.Counter;
  targetScrapesExceededBodySizeLimit: client.Counter;
  targetScrapesExemplarOutOfOrder: client.Counter;
  targetScrapesExceededNativeHistogramBucketLimit: client.Counter;
  targetScrapePoolTargets: client.Gauge<'scrape_job'>;
  targetScrapePools: client.Gauge;
  targetSyncLength: client.Summary<'scrape_job'>;
  discovery: DiscoveryMetrics;
  remoteReadQueries: client.Gauge;
}

export function createServerMetrics(): ServerMetrics {
  const registry = new client.Registry();
  // Event-loop lag sampled every 100 ms, not prom-client's 10 ms: 100 wake-ups a second cost an
  // idle server more CPU than everything else it does.
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const b = buildInfo();
  const info = new client.Gauge({
    name: 'prometheus_build_info',
    help: 'A metric with a constant \'1\' value labeled by version, revision, branch, goversion from which prometheus was built, and the goos and goarch for the build.',
    labelNames: ['version', 'revision', 'branch', 'goversion', 'goos', 'goarch', 'tags'],
    registers: [registry],
  });
  const [goos, goarch] = b.platform.split('/') as [string, string];
  info.set({ version: b.version, revision: b.revision, branch: b.branch, goversion: b.goVersion, goos, goarch, tags: 'promethium' }, 1);

  return {
    registry,
    httpRequests: new client.Counter({
      name: 'prometheus_http_requests_total',
      help: 'Counter of HTTP requests.',
      labelNames: ['handler', 'code'],
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: 'prometheus_http_request_duration_seconds',
      help: 'Histogram of latencies for HTTP requests.',
      labelNames: ['handler'],
      buckets: [0.1, 0.2, 0.4, 1, 3, 8, 20, 60, 120],
      registers: [registry],
    }),
    configLastReloadSuccessful: new client.Gauge({
      name: 'prometheus_config_last_reload_successful',
      help: 'Whether the last configuration reload attempt was successful.',
      registers: [registry],
    }),
    configLastReloadSuccessTimestamp: new client.Gauge({
      name: 'prometheus_config_last_reload_success_timestamp_seconds',
      help: 'Timestamp of the last successful configuration reload.',
      registers: [registry],
    }),
    engineQueryDuration: new client.Summary({
      name: 'prometheus_engine_query_duration_seconds',
      help: 'Query timings',
      labelNames: ['slice'],
      percentiles: [0.5, 0.9, 0.99],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers: [registry],
    }),
    engineQueriesConcurrentMax: new client.Gauge({
      name: 'prometheus_engine_queries_concurrent_max',
      help: 'The max number of concurrent queries.',
      registers: [registry],
    }),
    targetIntervalLength: new client.Summary({
      name: 'prometheus_target_interval_length_seconds',
      help: 'Actual intervals between scrapes.',
      labelNames: ['interval'],
      percentiles: [0.01, 0.05, 0.5, 0.9, 0.99],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers: [registry],
    }),
    targetScrapesSampleOutOfOrder: new client.Counter({
      name: 'prometheus_target_scrapes_sample_out_of_order_total',
      help: 'Total number of samples rejected due to not being out of the expected order.',
      registers: [registry],
    }),
    targetScrapesSampleDuplicate: new client.Counter({
      name: 'prometheus_target_scrapes_sample_duplicate_timestamp_total',
      help: 'Total number of samples rejected due to duplicate timestamps but different values.',
      registers: [registry],
    }),
    targetScrapesSampleOutOfBounds: new client.Counter({
      name: 'prometheus_target_scrapes_sample_out_of_bounds_total',
      help: 'Total number of samples rejected due to timestamp falling outside of the time bounds.',
      registers: [registry],
    }),
    targetScrapesExceededSampleLimit: new client.Counter({
      name: 'prometheus_target_scrapes_exceeded_sample_limit_total',
      help: 'Total number of scrapes that hit the sample limit and were rejected.',
      registers: [registry],
    }),
    targetScrapesExemplarOutOfOrder: new client.Counter({
      name: 'prometheus_target_scrapes_exemplar_out_of_order_total',
      help: 'Total number of exemplar rejected due to not being out of the expected order.',
      registers: [registry],
    }),
    targetScrapesExceededNativeHistogramBucketLimit: new client.Counter({
      name: 'prometheus_target_scrapes_exceeded_native_histogram_bucket_limit_total',
      help: 'Total number of scrapes that hit the native histogram bucket limit and were rejected.',
      registers: [registry],
    }),
    targetScrapesExceededBodySizeLimit: new client.Counter({
      name: 'prometheus_target_scrapes_exceeded_body_size_limit_total',
      help: 'Total number of scrapes that hit the body size limit',
      registers: [registry],
    }),
    targetScrapePoolTargets: new client.Gauge({
      name: 'prometheus_target_scrape_pool_targets',
      help: 'Current number of targets in this scrape pool.',
      labelNames: ['scrape_job'],
      registers: [registry],
    }),
    targetScrapePools: new client.Gauge({
      name: 'prometheus_target_scrape_pools_total',
      help: 'Total number of scrape pool creation attempts.',
      registers: [registry],
    }),
    targetSyncLength: new client.Summary({
      name: 'prometheus_target_sync_length_seconds',
      help: 'Actual interval to sync the scrape pool.',
      labelNames: ['scrape_job'],
      percentiles: [0.01, 0.05, 0.5, 0.9, 0.99],
      registers: [registry],
    }),
    discovery: createDiscoveryMetrics(registry),
    remoteReadQueries: new client.Gauge({
      name: 'prometheus_api_remote_read_queries',
      help: 'The current number of remote read queries being executed or waiting.',
      registers: [registry],
    }),
  };
}
