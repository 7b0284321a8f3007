// From a loaded prometheus.yml to what the scrape manager runs: one pool per scrape job with its
// target defaults, relabeling, loop options and service discovery.
import type { Config, ScrapeConfig } from '../config/index.js';
import { relabel } from '../config/index.js';
import type { PoolSource } from '../scrape/manager.js';
import { httpOptions } from '../common/http-config/client-options.js';
import { acceptHeader, PROTO_FIRST_SCRAPE_PROTOCOLS, SCRAPE_PROTOCOL_TYPES } from '../scrape/accept.js';
import type { TargetGroup } from '../discovery/target-group.js';
import { startDiscovery } from '../discovery/index.js';
import type { DiscoveryMetrics } from '../discovery/index.js';
import type { Logger } from '../util/logger.js';
import type { JsonLinesFiles } from '../util/json-lines.js';

function poolSource(sc: ScrapeConfig, baseDir: string, logger: Logger, features: ScrapeFeatures, failureLogs?: JsonLinesFiles, sdMetrics?: DiscoveryMetrics): PoolSource {
  const failureFile = sc.scrapeFailureLogFile;
  const targetRules = sc.relabelConfigs;
  const metricRules = sc.metricRelabelConfigs;
  // scrape_native_histograms (the job's or global), else the 2.x feature flag; it makes the default protocols protobuf-first.
  const nativeHistograms = sc.scrapeNativeHistograms ?? features.nativeHistograms ?? false;
  const protocols = nativeHistograms && !(sc.scrapeProtocolsExplicit ?? false) ? [...PROTO_FIRST_SCRAPE_PROTOCOLS] : sc.scrapeProtocols;
  return {
    spec: {
      jobName: sc.jobName,
      defaults: { jobName: sc.jobName, scheme: sc.scheme, metricsPath: sc.metricsPath, params: sc.params, intervalMs: sc.scrapeIntervalMs, timeoutMs: sc.scrapeTimeoutMs },
      relabel: (l) => relabel(l, targetRules),
      options: {
        honorLabels: sc.honorLabels,
        honorTimestamps: sc.honorTimestamps,
        trackTimestampsStaleness: sc.trackTimestampsStaleness,
        legacyNameValidation: sc.metricNameValidationScheme === 'legacy',
        sampleLimit: sc.sampleLimit,
        labelLimit: sc.labelLimit,
        labelNameLengthLimit: sc.labelNameLengthLimit,
        labelValueLengthLimit: sc.labelValueLengthLimit,
        metricRelabel: metricRules.length > 0 ? (l) => relabel(l, metricRules) : undefined,
        http: { ...httpOptions(sc.http, sc.bodySizeLimit), accept: acceptHeader(protocols, sc.metricNameEscapingScheme), compression: sc.enableCompression },
        ...(sc.fallbackScrapeProtocol !== undefined ? { fallbackContentType: SCRAPE_PROTOCOL_TYPES[sc.fallbackScrapeProtocol] } : {}),
        storeStartTimestamps: features.startTimestamps,
        storeExemplars: features.exemplars,
        nativeHistograms,
        alwaysScrapeClassicHistograms: sc.alwaysScrapeClassicHistograms ?? false,
        convertClassicHistogramsToNhcb: sc.convertClassicHistogramsToNhcb ?? false,
        nativeHistogramBucketLimit: sc.nativeHistogramBucketLimit ?? 0,
        nativeHistogramMinBucketFactor: sc.nativeHistogramMinBucketFactor ?? 0,
        ...(failureFile !== undefined && failureLogs !== undefined
          ? { failureLog: (target: string, error: string) => failureLogs.get(failureFile)?.write({ time: new Date().toISOString(), level: 'ERROR', msg: error, job_name: sc.jobName, target }) }
          : {}),
      },
      targetLimit: sc.targetLimit,
      keepDroppedTargets: sc.keepDroppedTargets,
      configHash: JSON.stringify(sc),
    },
    discover(onGroups: (groups: TargetGroup[]) => void): () => void {
      return startDiscovery(sc, baseDir, logger.with({ component: 'discovery', config: sc.jobName }), onGroups, { ...(sdMetrics !== undefined ? { metrics: sdMetrics } : {}), name: 'scrape', config: sc.jobName });
    },
  };
}

/** What scrapes keep beyond samples, by --enable-feature. */
export interface ScrapeFeatures {
  /** st-storage: OpenMetrics `_created` values as start timestamps. */
  startTimestamps: boolean;
  /** exemplar-storage: OpenMetrics exemplars. */
  exemplars: boolean;
  /** native-histograms (Prometheus 2.x's flag): scrape native histograms where the config does not say. */
  nativeHistograms?: boolean;
}

/** `failureLogs`: the open scrape_failure_log_file files (see `scrapeFailureLogFiles`). */
export function scrapePools(config: Config, baseDir: string, logger: Logger, features: ScrapeFeatures = { startTimestamps: false, exemplars: false }, failureLogs?: JsonLinesFiles, sdMetrics?: DiscoveryMetrics): PoolSource[] {
  return config.scrapeConfigs.map((sc) => poolSource(sc, baseDir, logger, features, failureLogs, sdMetrics));
}

/** The scrape_failure_log_file paths a configuration names (global default and per job). */
export function scrapeFailureLogFiles(config: Config): string[] {
  return [...new Set(config.scrapeConfigs.flatMap((sc) => (sc.scrapeFailureLogFile !== undefined ? [sc.scrapeFailureLogFile] : [])))];
}
