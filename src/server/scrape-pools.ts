// From a loaded prometheus.yml to what the scrape manager runs: one pool per scrape job with its
// target defaults, relabeling, loop options and service discovery.
import type { Config, ScrapeConfig } from '../config/index.js';
import { relabel } from '../config/index.js';
import type { PoolSource } from '../scrape/manager.js';
import { httpOptions } from '../scrape/http-options.js';
import type { TargetGroup } from '../scrape/targets.js';
import { startDiscovery } from '../discovery/index.js';
import type { Logger } from '../util/logger.js';

function poolSource(sc: ScrapeConfig, baseDir: string, logger: Logger, features: ScrapeFeatures): PoolSource {
  const targetRules = sc.relabelConfigs;
  const metricRules = sc.metricRelabelConfigs;
  return {
    spec: {
      jobName: sc.jobName,
      defaults: { jobName: sc.jobName, scheme: sc.scheme, metricsPath: sc.metricsPath, params: sc.params, intervalMs: sc.scrapeIntervalMs, timeoutMs: sc.scrapeTimeoutMs },
      relabel: (l) => relabel(l, targetRules),
      options: {
        honorLabels: sc.honorLabels,
        honorTimestamps: sc.honorTimestamps,
        trackTimestampsStaleness: sc.trackTimestampsStaleness,
        sampleLimit: sc.sampleLimit,
        labelLimit: sc.labelLimit,
        labelNameLengthLimit: sc.labelNameLengthLimit,
        labelValueLengthLimit: sc.labelValueLengthLimit,
        metricRelabel: metricRules.length > 0 ? (l) => relabel(l, metricRules) : undefined,
        http: httpOptions(sc.http, sc.bodySizeLimit),
        storeStartTimestamps: features.startTimestamps,
        storeExemplars: features.exemplars,
      },
      targetLimit: sc.targetLimit,
      configHash: JSON.stringify(sc),
    },
    discover(onGroups: (groups: TargetGroup[]) => void): () => void {
      return startDiscovery(sc, baseDir, logger.with({ component: 'discovery', config: sc.jobName }), onGroups);
    },
  };
}

/** What scrapes keep beyond samples, by --enable-feature. */
export interface ScrapeFeatures {
  /** st-storage: OpenMetrics `_created` values as start timestamps. */
  startTimestamps: boolean;
  /** exemplar-storage: OpenMetrics exemplars. */
  exemplars: boolean;
}

export function scrapePools(config: Config, baseDir: string, logger: Logger, features: ScrapeFeatures = { startTimestamps: false, exemplars: false }): PoolSource[] {
  return config.scrapeConfigs.map((sc) => poolSource(sc, baseDir, logger, features));
}
