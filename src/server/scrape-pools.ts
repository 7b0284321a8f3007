// From a loaded prometheus.yml to what the scrape manager runs: one pool per scrape job with its
// target defaults, relabeling, loop options and service discovery.
import { readFileSync } from 'node:fs';
import type { Config, ScrapeConfig, HttpClientConfig } from '../config/index.js';
import { relabel } from '../config/index.js';
import type { PoolSource } from '../scrape/manager.js';
import type { ScrapeRequest } from '../scrape/http-client.js';
import type { TargetGroup } from '../scrape/targets.js';
import { startDiscovery } from '../discovery/index.js';
import type { Logger } from '../util/logger.js';
import { buildInfo } from '../version.js';

function readSecret(file: string | undefined, inline: string | undefined): string | undefined {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  return readFileSync(file, 'utf8').trim();
}

/** HTTP client settings of a job as the scrape client takes them (secrets read from files). */
export function httpOptions(h: HttpClientConfig, bodySizeLimit: number): Omit<ScrapeRequest, 'url' | 'timeoutMs'> {
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(h.httpHeaders)) {
    const values = [...v.values, ...v.secrets, ...v.files.map((f) => readFileSync(f, 'utf8').trim())];
    if (values.length > 0) headers[name] = values.join(', ');
  }
  const out: Omit<ScrapeRequest, 'url' | 'timeoutMs'> = {
    headers,
    followRedirects: h.followRedirects,
    bodySizeLimit,
    userAgent: `Prometheus/${buildInfo().version} (Promethium)`,
    tls: { caFile: h.tls.caFile, certFile: h.tls.certFile, keyFile: h.tls.keyFile, serverName: h.tls.serverName, insecureSkipVerify: h.tls.insecureSkipVerify },
  };
  if (h.basicAuth) out.basicAuth = { username: readSecret(h.basicAuth.usernameFile, h.basicAuth.username) ?? '', password: readSecret(h.basicAuth.passwordFile, h.basicAuth.password) ?? '' };
  if (h.authorization) out.authorization = { type: h.authorization.type, credentials: readSecret(h.authorization.credentialsFile, h.authorization.credentials) ?? '' };
  return out;
}

function poolSource(sc: ScrapeConfig, baseDir: string, logger: Logger): PoolSource {
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
        sampleLimit: sc.sampleLimit,
        labelLimit: sc.labelLimit,
        labelNameLengthLimit: sc.labelNameLengthLimit,
        labelValueLengthLimit: sc.labelValueLengthLimit,
        metricRelabel: metricRules.length > 0 ? (l) => relabel(l, metricRules) : undefined,
        http: httpOptions(sc.http, sc.bodySizeLimit),
      },
      targetLimit: sc.targetLimit,
      configHash: JSON.stringify(sc),
    },
    discover(onGroups: (groups: TargetGroup[]) => void): () => void {
      return startDiscovery(sc, baseDir, logger.with({ component: 'discovery', config: sc.jobName }), onGroups);
    },
  };
}

export function scrapePools(config: Config, baseDir: string, logger: Logger): PoolSource[] {
  return config.scrapeConfigs.map((sc) => poolSource(sc, baseDir, logger));
}
