// prometheus.yml: Prometheus's keys, defaults and validation (3.x), read strictly from YAML with
// file:line:col errors. Service discovery: static, file, DNS, HTTP, Kubernetes, and every other
// mechanism's section read and checked from a table (sd-specs.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { expandGlob } from '../util/glob.js';
import { notDiscovering } from './sd-mechanisms.js';
import { setLabel, type Labels } from '../model/labels.js';
import { readRelabelConfig } from './relabel.js';
import type { RelabelConfig } from './relabel.js';
import { ConfigError, YamlFile } from './yaml-reader.js';
import { HTTP_FIELDS, readHttpClientConfig } from '../common/http-config/index.js';
import type { FileKind, HttpClientConfig, OAuth2Config, TlsConfig } from '../common/http-config/index.js';
import type { Node } from './yaml-reader.js';
import { readKubernetesSdConfigs } from './kubernetes-sd.js';
import { readRemoteWriteConfigs } from './remote-write.js';
import type { RemoteWriteConfig } from './remote-write.js';
import { httpUrlProblem } from './go-url.js';
import type { KubernetesSdConfig } from './kubernetes-sd.js';
import { GENERIC_SD_KEYS, readGenericSdConfigs } from './sd-specs.js';
import type { GenericSdConfig } from './sd-specs.js';

export { ConfigError };
export type { RemoteWriteConfig };
export type { HttpClientConfig, OAuth2Config, TlsConfig };

export interface StaticConfig {
  targets: string[];
  labels: Labels;
}

export interface FileSdConfig {
  files: string[];
  refreshIntervalMs: number;
}

/** http_sd_configs: target groups fetched as JSON from a URL every refresh_interval. */
export interface HttpSdConfig {
  url: string;
  refreshIntervalMs: number;
  http: HttpClientConfig;
}

/** dns_sd_configs: targets from DNS records, re-resolved every refresh_interval. */
export interface DnsSdConfig {
  names: string[];
  type: 'SRV' | 'A' | 'AAAA' | 'MX' | 'NS';
  /** Required for every type but SRV (whose records carry the port). */
  port: number;
  refreshIntervalMs: number;
}

/**
 * The six target-list fields a scrape config and an Alertmanager config share, and what discovery
 * starts from: `static_configs`, the four built-in `*_sd_configs` and every other mechanism's.
 */
export interface SdConfigLists {
  staticConfigs: StaticConfig[];
  fileSdConfigs: FileSdConfig[];
  dnsSdConfigs: DnsSdConfig[];
  httpSdConfigs: HttpSdConfig[];
  kubernetesSdConfigs: KubernetesSdConfig[];
  /** Consul, EC2, Docker and the other mechanisms (see sd-specs.ts). */
  otherSdConfigs: GenericSdConfig[];
}

/** The prometheus.yml keys of the SdConfigLists fields, in the order Prometheus lists them. */
export const SD_LIST_KEYS: readonly string[] = ['static_configs', 'file_sd_configs', 'dns_sd_configs', 'http_sd_configs', 'kubernetes_sd_configs', ...GENERIC_SD_KEYS];

export interface ScrapeConfig extends SdConfigLists {
  jobName: string;
  honorLabels: boolean;
  honorTimestamps: boolean;
  trackTimestampsStaleness: boolean;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  scrapeProtocols: string[];
  /** Whether scrape_protocols was given (in the job or globally); else native histograms make the default protobuf-first. */
  scrapeProtocolsExplicit?: boolean;
  fallbackScrapeProtocol?: string;
  /** scrape_native_histograms (the job's, else the global one); undefined when neither sets it. */
  scrapeNativeHistograms?: boolean;
  /** always_scrape_classic_histograms (2.x: scrape_classic_histograms). */
  alwaysScrapeClassicHistograms?: boolean;
  convertClassicHistogramsToNhcb?: boolean;
  /** native_histogram_bucket_limit; 0: none. */
  nativeHistogramBucketLimit?: number;
  /** native_histogram_min_bucket_factor; 0: none. */
  nativeHistogramMinBucketFactor?: number;
  enableCompression: boolean;
  metricsPath: string;
  scheme: string;
  params: Record<string, string[]>;
  bodySizeLimit: number;
  sampleLimit: number;
  targetLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  keepDroppedTargets: number;
  metricNameValidationScheme: 'utf8' | 'legacy';
  metricNameEscapingScheme: string;
  scrapeFailureLogFile?: string;
  relabelConfigs: RelabelConfig[];
  metricRelabelConfigs: RelabelConfig[];
  http: HttpClientConfig;
}

export interface AlertmanagerConfig extends SdConfigLists {
  scheme: string;
  pathPrefix: string;
  timeoutMs: number;
  apiVersion: 'v2';
  relabelConfigs: RelabelConfig[];
  alertRelabelConfigs: RelabelConfig[];
  http: HttpClientConfig;
}

export interface GlobalConfig {
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  scrapeProtocols: string[];
  scrapeProtocolsExplicit?: boolean;
  scrapeNativeHistograms?: boolean;
  alwaysScrapeClassicHistograms?: boolean;
  convertClassicHistogramsToNhcb?: boolean;
  evaluationIntervalMs: number;
  ruleQueryOffsetMs: number;
  externalLabels: Labels;
  queryLogFile?: string;
  scrapeFailureLogFile?: string;
  bodySizeLimit: number;
  sampleLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  targetLimit: number;
  keepDroppedTargets: number;
  metricNameValidationScheme: 'utf8' | 'legacy';
  metricNameEscapingScheme: string;
}

export interface RemoteReadConfig {
  url: string;
  name: string;
  readRecent: boolean;
  requiredMatchers: Labels;
  headers: Record<string, string>;
  /** remote_timeout (default 1m). */
  remoteTimeoutMs: number;
  /** filter_external_labels (default true): the external labels become equality matchers of the remote query. */
  filterExternalLabels: boolean;
  http: HttpClientConfig;
}

export interface Config {
  file: string;
  yaml: string;
  global: GlobalConfig;
  ruleFiles: string[];
  scrapeConfigs: ScrapeConfig[];
  alerting: { alertRelabelConfigs: RelabelConfig[]; alertmanagers: AlertmanagerConfig[] };
  remoteWrite: RemoteWriteConfig[];
  remoteRead: RemoteReadConfig[];
  storage: { tsdb: { outOfOrderTimeWindowMs: number; retentionTimeMs?: number; retentionSize?: number; retentionPercentage?: number; chunkEncodingFloats?: string }; exemplars: { maxExemplars: number } };
  /** Valid settings that Promethium accepts but does not act on (logged at every load). */
  warnings: string[];
}

export const SCRAPE_PROTOCOLS = ['OpenMetricsText0.0.1', 'OpenMetricsText1.0.0', 'PrometheusProto', 'PrometheusText0.0.4', 'PrometheusText1.0.0'];
const DEFAULT_SCRAPE_PROTOCOLS = ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'];
const ESCAPING_SCHEMES = ['allow-utf-8', 'underscores', 'dots', 'values'];

/** units.Base2Bytes as Prometheus parses body_size_limit and retention sizes. */
export function parseBase2Bytes(s: string): number {
  const m = /^(-?\d+(?:\.\d+)?)([KMGTPE]i?B|B)$/.exec(s.trim());
  if (!m) {
    const unit = s.replace(/^-?[\d.]+/, '');
    throw new Error(`units: unknown unit ${unit} in ${s}`);
  }
  const pow = { B: 0, KB: 1, KiB: 1, MB: 2, MiB: 2, GB: 3, GiB: 3, TB: 4, TiB: 4, PB: 5, PiB: 5, EB: 6, EiB: 6 }[m[2]!] ?? 0;
  return Number(m[1]) * 1024 ** pow;
}

function expandEnv(s: string): string {
  return s.replace(/\$\$|\$\{([^}]*)\}|\$([a-zA-Z_][a-zA-Z0-9_]*)/g, (all, braced: string | undefined, bare: string | undefined) => {
    if (all === '$$') return '$';
    return process.env[braced ?? bare ?? ''] ?? '';
  });
}

function isValidUtf8Text(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

function goQuote(s: string): string {
  // Lone surrogates stand for invalid bytes (see yaml-reader): print them as Go does, \xNN.
  return '"' + s.replace(/[\udc80-\udcff]/g, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16)}`) + '"';
}

class Loader {
  constructor(
    readonly y: YamlFile,
    readonly dir: string,
  ) {}

  path(p: string | undefined): string | undefined {
    if (p === undefined || p === '') return p;
    return isAbsolute(p) ? p : join(this.dir, p);
  }

  /** prometheus.yml's rules for the shared http config reader: relative file names against the config's directory. */
  readonly fileKind: FileKind = { kind: 'prometheus.yml', path: (p) => this.path(p) };

  http(m: Map<string, Node>, where: Node): HttpClientConfig {
    return readHttpClientConfig(this.y, m, where, this.fileKind);
  }

  relabels(n: Node | undefined, what: string): RelabelConfig[] {
    return this.y.seq(n, what).map((r) => readRelabelConfig(this.y, r, what));
  }

  staticConfigs(n: Node | undefined): StaticConfig[] {
    const y = this.y;
    return y.seq(n, 'static_configs').map((s) => {
      if (s.kind === 'null') y.fail(s, 'empty or null section in static_configs');
      const m = y.map(s, 'targetgroup.Group', ['targets', 'labels']);
      const targets = y.strings(m.get('targets'), 'targets');
      for (const t of targets) if (t.includes('/')) y.fail(m.get('targets'), `${JSON.stringify(t)} is not a valid hostname`);
      const labels = y.stringMap(m.get('labels'), 'labels');
      for (const [k, v] of Object.entries(labels)) {
        if (!isValidUtf8Text(k) || k === '') y.fail(m.get('labels'), `${goQuote(k)} is not a valid label name`);
        if (!isValidUtf8Text(v)) y.fail(m.get('labels'), `${goQuote(v)} is not a valid label value`);
      }
      return { targets, labels };
    });
  }

  /**
   * The SdConfigLists fields but static_configs, read in this order by both callers (the scrape
   * config reads them before job_name, as Prometheus reports a bad discovery section first).
   */
  discoveredLists(m: Map<string, Node>): Omit<SdConfigLists, 'staticConfigs'> {
    return {
      fileSdConfigs: this.fileSd(m.get('file_sd_configs')),
      dnsSdConfigs: this.dnsSd(m.get('dns_sd_configs')),
      httpSdConfigs: this.httpSd(m.get('http_sd_configs')),
      kubernetesSdConfigs: this.kubernetesSd(m.get('kubernetes_sd_configs')),
      otherSdConfigs: readGenericSdConfigs(this, m, HTTP_FIELDS),
    };
  }

  fileSd(n: Node | undefined): FileSdConfig[] {
    const y = this.y;
    return y.seq(n, 'file_sd_configs').map((s) => {
      const m = y.map(s, 'file.SDConfig', ['files', 'refresh_interval']);
      const files = y.strings(m.get('files'), 'files');
      for (const f of files) {
        if (!/\.(json|ya?ml)$/.test(f)) y.fail(m.get('files'), `file_sd_configs: invalid file extension for ${JSON.stringify(f)}: must be .json, .yml or .yaml`);
      }
      return { files: files.map((f) => this.path(f)!), refreshIntervalMs: y.duration(m.get('refresh_interval'), 'refresh_interval', 300_000) };
    });
  }

  httpSd(n: Node | undefined): HttpSdConfig[] {
    const y = this.y;
    return y.seq(n, 'http_sd_configs').map((s) => {
      const m = y.map(s, 'http.SDConfig', ['url', 'refresh_interval', ...HTTP_FIELDS]);
      const url = y.str(m.get('url'), 'url');
      const problem = httpUrlProblem(url);
      if (problem !== undefined) y.fail(m.get('url') ?? s, problem);
      return { url, refreshIntervalMs: y.duration(m.get('refresh_interval'), 'refresh_interval', 60_000), http: this.http(m, s) };
    });
  }

  dnsSd(n: Node | undefined): DnsSdConfig[] {
    const y = this.y;
    return y.seq(n, 'dns_sd_configs').map((s) => {
      const m = y.map(s, 'dns.SDConfig', ['names', 'refresh_interval', 'type', 'port']);
      const names = y.strings(m.get('names'), 'names');
      if (names.length === 0) y.fail(s, 'DNS-SD config must contain at least one SRV record name');
      const typeText = y.str(m.get('type'), 'type', 'SRV');
      const type = typeText.toUpperCase();
      const port = y.int(m.get('port'), 'port', 0);
      if (type !== 'SRV' && type !== 'A' && type !== 'AAAA' && type !== 'MX' && type !== 'NS') y.fail(m.get('type') ?? s, `invalid DNS-SD records type ${typeText}`);
      if (type !== 'SRV' && port === 0) y.fail(s, 'a port is required in DNS-SD configs for all record types except SRV');
      return { names, type: type as DnsSdConfig['type'], port, refreshIntervalMs: y.duration(m.get('refresh_interval'), 'refresh_interval', 30_000) };
    });
  }

  kubernetesSd(n: Node | undefined): KubernetesSdConfig[] {
    return readKubernetesSdConfigs(this, n, HTTP_FIELDS);
  }

  protocols(n: Node | undefined, job: string | undefined, dflt: string[]): string[] {
    const y = this.y;
    if (!n) return dflt;
    const list = y.strings(n, 'scrape_protocols');
    const suffix = job !== undefined ? ` for scrape config with job name ${JSON.stringify(job)}` : '';
    for (const p of list) if (!SCRAPE_PROTOCOLS.includes(p)) y.fail(n, `scrape_protocols: unknown scrape protocol ${p}, supported: [${SCRAPE_PROTOCOLS.join(' ')}]${suffix}`);
    if (new Set(list).size !== list.length) y.fail(n, `duplicated protocol in scrape_protocols, got [${list.join(' ')}]${suffix}`);
    return list;
  }

  /** The native-histogram switches of the global section or a job (a job's own value wins). */
  histogramOptions(m: Map<string, Node>, dflt: Pick<GlobalConfig, 'scrapeNativeHistograms' | 'alwaysScrapeClassicHistograms' | 'convertClassicHistogramsToNhcb'>): Pick<GlobalConfig, 'scrapeNativeHistograms' | 'alwaysScrapeClassicHistograms' | 'convertClassicHistogramsToNhcb'> {
    const y = this.y;
    const opt = (key: string, d: boolean | undefined): boolean | undefined => (m.get(key) !== undefined ? y.bool(m.get(key), key, false) : d);
    const out: Pick<GlobalConfig, 'scrapeNativeHistograms' | 'alwaysScrapeClassicHistograms' | 'convertClassicHistogramsToNhcb'> = {};
    const native = opt('scrape_native_histograms', dflt.scrapeNativeHistograms);
    // scrape_classic_histograms is the 2.x name of always_scrape_classic_histograms.
    const classic = opt('always_scrape_classic_histograms', opt('scrape_classic_histograms', dflt.alwaysScrapeClassicHistograms));
    const nhcb = opt('convert_classic_histograms_to_nhcb', dflt.convertClassicHistogramsToNhcb);
    if (native !== undefined) out.scrapeNativeHistograms = native;
    if (classic !== undefined) out.alwaysScrapeClassicHistograms = classic;
    if (nhcb !== undefined) out.convertClassicHistogramsToNhcb = nhcb;
    return out;
  }

  validation(n: Node | undefined, dflt: 'utf8' | 'legacy'): 'utf8' | 'legacy' {
    if (!n) return dflt;
    const v = this.y.str(n, 'metric_name_validation_scheme');
    if (v === '') return dflt;
    if (v !== 'utf8' && v !== 'legacy') this.y.fail(n, `unrecognized ValidationScheme: ${JSON.stringify(v)}`);
    return v;
  }

  escaping(n: Node | undefined, dflt: string, validation: 'utf8' | 'legacy', explicitValidation: boolean): string {
    if (!n) return explicitValidation && validation === 'legacy' && dflt === 'allow-utf-8' ? 'underscores' : dflt;
    const v = this.y.str(n, 'metric_name_escaping_scheme');
    if (!ESCAPING_SCHEMES.includes(v)) this.y.fail(n, `unrecognized name escaping scheme ${JSON.stringify(v)}`);
    if (v === 'allow-utf-8' && validation !== 'utf8') this.y.fail(n, 'utf8 metric names requested but validation scheme is not set to UTF8');
    return v;
  }

  global(n: Node | undefined): GlobalConfig {
    const y = this.y;
    const m = y.map(n ?? { kind: 'null', line: 0, col: 0 }, 'config.plain', [
      'scrape_interval', 'scrape_timeout', 'scrape_protocols', 'evaluation_interval', 'rule_query_offset', 'external_labels', 'query_log_file', 'scrape_failure_log_file', 'body_size_limit', 'sample_limit',
      'label_limit', 'label_name_length_limit', 'label_value_length_limit', 'target_limit', 'keep_dropped_targets', 'metric_name_validation_scheme', 'metric_name_escaping_scheme',
      'scrape_native_histograms', 'always_scrape_classic_histograms', 'convert_classic_histograms_to_nhcb', 'extra_scrape_metrics',
    ]);
    const interval = y.duration(m.get('scrape_interval'), 'scrape_interval', 60_000);
    const timeoutNode = m.get('scrape_timeout');
    let timeout = y.duration(timeoutNode, 'scrape_timeout', 10_000);
    if (!timeoutNode && timeout > interval) timeout = interval;
    if (timeout > interval) y.fail(timeoutNode, 'global scrape timeout greater than scrape interval');
    const externalLabels: Labels = {};
    const el = m.get('external_labels');
    if (el && el.kind === 'map') {
      for (const e of el.entries!) {
        const v = expandEnv(y.str(e.value, 'external label'));
        if (!isValidUtf8Text(e.key) || e.key === '') y.fail(e.keyNode, `${goQuote(e.key)} is not a valid label name`);
        if (!isValidUtf8Text(v)) y.fail(e.value, `${goQuote(v)} is not a valid label value`);
        if (v !== '') setLabel(externalLabels, e.key, v);
      }
    }
    const validationNode = m.get('metric_name_validation_scheme');
    const validation = this.validation(validationNode, 'utf8');
    const bodyNode = m.get('body_size_limit');
    let bodySizeLimit = 0;
    if (bodyNode) {
      try {
        bodySizeLimit = parseBase2Bytes(y.str(bodyNode, 'body_size_limit'));
      } catch (e) {
        y.fail(bodyNode, (e as Error).message);
      }
    }
    return {
      scrapeIntervalMs: interval,
      scrapeTimeoutMs: timeout,
      scrapeProtocols: this.protocols(m.get('scrape_protocols'), undefined, DEFAULT_SCRAPE_PROTOCOLS),
      scrapeProtocolsExplicit: m.get('scrape_protocols') !== undefined,
      ...this.histogramOptions(m, {}),
      evaluationIntervalMs: y.duration(m.get('evaluation_interval'), 'evaluation_interval', 60_000),
      ruleQueryOffsetMs: y.duration(m.get('rule_query_offset'), 'rule_query_offset', 0),
      externalLabels,
      queryLogFile: this.path(y.str(m.get('query_log_file'), 'query_log_file') || undefined),
      scrapeFailureLogFile: this.path(y.str(m.get('scrape_failure_log_file'), 'scrape_failure_log_file') || undefined),
      bodySizeLimit,
      sampleLimit: y.int(m.get('sample_limit'), 'sample_limit', 0),
      labelLimit: y.int(m.get('label_limit'), 'label_limit', 0),
      labelNameLengthLimit: y.int(m.get('label_name_length_limit'), 'label_name_length_limit', 0),
      labelValueLengthLimit: y.int(m.get('label_value_length_limit'), 'label_value_length_limit', 0),
      targetLimit: y.int(m.get('target_limit'), 'target_limit', 0),
      keepDroppedTargets: y.int(m.get('keep_dropped_targets'), 'keep_dropped_targets', 0),
      metricNameValidationScheme: validation,
      metricNameEscapingScheme: this.escaping(m.get('metric_name_escaping_scheme'), validation === 'legacy' ? 'underscores' : 'allow-utf-8', validation, validationNode !== undefined),
    };
  }

  scrapeConfig(n: Node, g: GlobalConfig): ScrapeConfig {
    const y = this.y;
    if (n.kind === 'null') y.fail(n, 'empty or null scrape config section');
    const m = y.map(n, 'config.ScrapeConfig', [
      'job_name', 'honor_labels', 'honor_timestamps', 'track_timestamps_staleness', 'scrape_interval', 'scrape_timeout', 'scrape_protocols', 'fallback_scrape_protocol', 'enable_compression', 'metrics_path',
      'scheme', 'params', 'body_size_limit', 'sample_limit', 'target_limit', 'label_limit', 'label_name_length_limit', 'label_value_length_limit', 'keep_dropped_targets',
      'native_histogram_bucket_limit', 'native_histogram_min_bucket_factor', 'scrape_native_histograms', 'always_scrape_classic_histograms', 'convert_classic_histograms_to_nhcb', 'extra_scrape_metrics',
      'scrape_classic_histograms', 'scrape_failure_log_file', 'metric_name_validation_scheme', 'metric_name_escaping_scheme', 'relabel_configs', 'metric_relabel_configs',
      ...SD_LIST_KEYS,
      ...HTTP_FIELDS,
    ]);
    // Discovery sections are checked first, as Prometheus does while unmarshalling (a bad URL is
    // reported even when job_name is missing too).
    const discovered = this.discoveredLists(m);
    const jobName = y.str(m.get('job_name'), 'job_name');
    if (jobName === '') y.fail(n, 'job_name is empty');
    const interval = y.duration(m.get('scrape_interval'), 'scrape_interval', g.scrapeIntervalMs);
    const timeoutNode = m.get('scrape_timeout');
    let timeout = y.duration(timeoutNode, 'scrape_timeout', g.scrapeTimeoutMs);
    if (!timeoutNode && timeout > interval) timeout = interval;
    if (timeout > interval) y.fail(timeoutNode ?? n, `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(jobName)}`);
    const scheme = y.str(m.get('scheme'), 'scheme', 'http');
    if (scheme !== 'http' && scheme !== 'https') y.fail(m.get('scheme'), `scrape config for job ${JSON.stringify(jobName)}: scheme must be http or https, got ${JSON.stringify(scheme)}`);
    const params: Record<string, string[]> = {};
    const pn = m.get('params');
    if (pn && pn.kind === 'map') for (const e of pn.entries!) params[e.key] = y.strings(e.value, `params.${e.key}`);
    const bodyNode = m.get('body_size_limit');
    let bodySizeLimit = g.bodySizeLimit;
    if (bodyNode) {
      try {
        bodySizeLimit = parseBase2Bytes(y.str(bodyNode, 'body_size_limit'));
      } catch (e) {
        y.fail(bodyNode, (e as Error).message);
      }
    }
    const fallback = m.get('fallback_scrape_protocol');
    if (fallback && fallback.kind !== 'scalar') y.fail(fallback, 'yaml: unmarshal errors: fallback_scrape_protocol must be a single protocol');
    const fallbackProtocol = y.str(fallback, 'fallback_scrape_protocol') || undefined;
    if (fallbackProtocol && !SCRAPE_PROTOCOLS.includes(fallbackProtocol)) {
      y.fail(fallback, `invalid fallback_scrape_protocol for scrape config with job name ${JSON.stringify(jobName)}: unknown scrape protocol ${fallbackProtocol}, supported: [${SCRAPE_PROTOCOLS.join(' ')}]`);
    }
    const validationNode = m.get('metric_name_validation_scheme');
    const validation = this.validation(validationNode, g.metricNameValidationScheme);
    const metricsPath = y.str(m.get('metrics_path'), 'metrics_path', '/metrics');
    return {
      jobName,
      honorLabels: y.bool(m.get('honor_labels'), 'honor_labels', false),
      honorTimestamps: y.bool(m.get('honor_timestamps'), 'honor_timestamps', true),
      trackTimestampsStaleness: y.bool(m.get('track_timestamps_staleness'), 'track_timestamps_staleness', false),
      scrapeIntervalMs: interval,
      scrapeTimeoutMs: timeout,
      scrapeProtocols: this.protocols(m.get('scrape_protocols'), jobName, g.scrapeProtocols),
      scrapeProtocolsExplicit: m.get('scrape_protocols') !== undefined || (g.scrapeProtocolsExplicit ?? false),
      fallbackScrapeProtocol: fallbackProtocol,
      ...this.histogramOptions(m, g),
      nativeHistogramBucketLimit: y.int(m.get('native_histogram_bucket_limit'), 'native_histogram_bucket_limit', 0),
      nativeHistogramMinBucketFactor: y.float(m.get('native_histogram_min_bucket_factor'), 'native_histogram_min_bucket_factor', 0),
      enableCompression: y.bool(m.get('enable_compression'), 'enable_compression', true),
      metricsPath,
      scheme,
      params,
      bodySizeLimit,
      sampleLimit: y.int(m.get('sample_limit'), 'sample_limit', g.sampleLimit),
      targetLimit: y.int(m.get('target_limit'), 'target_limit', g.targetLimit),
      labelLimit: y.int(m.get('label_limit'), 'label_limit', g.labelLimit),
      labelNameLengthLimit: y.int(m.get('label_name_length_limit'), 'label_name_length_limit', g.labelNameLengthLimit),
      labelValueLengthLimit: y.int(m.get('label_value_length_limit'), 'label_value_length_limit', g.labelValueLengthLimit),
      keepDroppedTargets: y.int(m.get('keep_dropped_targets'), 'keep_dropped_targets', g.keepDroppedTargets),
      metricNameValidationScheme: validation,
      metricNameEscapingScheme: this.escaping(m.get('metric_name_escaping_scheme'), validationNode ? (validation === 'legacy' ? 'underscores' : 'allow-utf-8') : g.metricNameEscapingScheme, validation, validationNode !== undefined),
      scrapeFailureLogFile: this.path(y.str(m.get('scrape_failure_log_file'), 'scrape_failure_log_file') || undefined) ?? g.scrapeFailureLogFile,
      relabelConfigs: this.relabels(m.get('relabel_configs'), 'target relabeling rule'),
      metricRelabelConfigs: this.relabels(m.get('metric_relabel_configs'), 'metric relabeling rule'),
      staticConfigs: this.staticConfigs(m.get('static_configs')),
      ...discovered,
      http: this.http(m, n),
    };
  }

  alerting(n: Node | undefined): Config['alerting'] {
    const y = this.y;
    const m = y.map(n ?? { kind: 'null', line: 0, col: 0 }, 'config.AlertingConfig', ['alert_relabel_configs', 'alertmanagers']);
    const alertmanagers = y.seq(m.get('alertmanagers'), 'alertmanagers').map((a) => {
      const am = y.map(a, 'config.AlertmanagerConfig', [...SD_LIST_KEYS, 'scheme', 'path_prefix', 'timeout', 'api_version', 'relabel_configs', 'alert_relabel_configs', 'sigv4', ...HTTP_FIELDS]);
      if (am.get('sigv4') !== undefined && am.get('sigv4')!.kind !== 'null') y.fail(am.get('sigv4'), 'sigv4: AWS Signature Version 4 signing of alerts is not supported by Promethium');
      const apiVersion = y.str(am.get('api_version'), 'api_version', 'v2');
      if (apiVersion !== 'v2') y.fail(am.get('api_version'), `expected Alertmanager api version to be one of [v2] but got ${apiVersion}`);
      return {
        staticConfigs: this.staticConfigs(am.get('static_configs')),
        ...this.discoveredLists(am),
        scheme: y.str(am.get('scheme'), 'scheme', 'http'),
        pathPrefix: y.str(am.get('path_prefix'), 'path_prefix', ''),
        timeoutMs: y.duration(am.get('timeout'), 'timeout', 10_000),
        apiVersion: 'v2' as const,
        relabelConfigs: this.relabels(am.get('relabel_configs'), 'Alertmanager target relabeling rule'),
        alertRelabelConfigs: this.relabels(am.get('alert_relabel_configs'), 'alert relabeling rule'),
        http: this.http(am, a),
      };
    });
    return { alertRelabelConfigs: this.relabels(m.get('alert_relabel_configs'), 'alert relabeling rule'), alertmanagers };
  }

  headers(n: Node | undefined): Record<string, string> {
    const h = this.y.stringMap(n, 'headers');
    for (const k of Object.keys(h)) {
      const lk = k.toLowerCase();
      if (['x-prometheus-remote-write-version', 'x-prometheus-remote-read-version', 'content-encoding', 'content-type', 'user-agent'].includes(lk)) this.y.fail(n, `${lk} is a reserved header. It must not be changed`);
      if (lk === 'authorization') this.y.fail(n, 'authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter');
    }
    return h;
  }

  remoteWrite(n: Node | undefined): RemoteWriteConfig[] {
    return readRemoteWriteConfigs(this.y, n, { http: (m, where) => this.http(m, where), headers: (h) => this.headers(h) }, HTTP_FIELDS);
  }

  remoteRead(n: Node | undefined): RemoteReadConfig[] {
    const y = this.y;
    const names = new Set<string>();
    return y.seq(n, 'remote_read').map((r) => {
      if (r.kind === 'null') y.fail(r, 'empty or null remote read config section');
      const m = y.map(r, 'config.RemoteReadConfig', ['url', 'remote_timeout', 'headers', 'read_recent', 'name', 'required_matchers', 'filter_external_labels', ...HTTP_FIELDS]);
      const url = y.str(m.get('url'), 'url');
      if (url === '') y.fail(r, 'url for remote_read is empty');
      const name = y.str(m.get('name'), 'name');
      if (name !== '') {
        if (names.has(name)) y.fail(m.get('name'), `found multiple remote read configs with job name ${JSON.stringify(name)}`);
        names.add(name);
      }
      const http = this.http(m, r);
      return {
        url,
        name,
        readRecent: y.bool(m.get('read_recent'), 'read_recent', false),
        requiredMatchers: y.stringMap(m.get('required_matchers'), 'required_matchers'),
        headers: this.headers(m.get('headers')),
        remoteTimeoutMs: y.duration(m.get('remote_timeout'), 'remote_timeout', 60_000),
        filterExternalLabels: y.bool(m.get('filter_external_labels'), 'filter_external_labels', true),
        http,
      };
    });
  }

  storage(n: Node | undefined): Config['storage'] {
    const y = this.y;
    const m = y.map(n ?? { kind: 'null', line: 0, col: 0 }, 'config.StorageConfig', ['tsdb', 'exemplars']);
    const t = y.map(m.get('tsdb') ?? { kind: 'null', line: 0, col: 0 }, 'config.TSDBConfig', ['out_of_order_time_window', 'retention', 'chunk_encoding', 'stale_series_compaction_threshold']);
    const ret = y.map(t.get('retention') ?? { kind: 'null', line: 0, col: 0 }, 'config.TSDBRetentionConfig', ['time', 'size', 'percentage']);
    let retentionSize: number | undefined;
    if (ret.has('size')) {
      const text = y.str(ret.get('size'), 'size');
      if (text.trim().startsWith('-')) y.fail(ret.get('size'), "'storage.tsdb.retention.size' must be greater than or equal to 0");
      try {
        retentionSize = parseBase2Bytes(text);
      } catch (e) {
        y.fail(ret.get('size'), (e as Error).message);
      }
    }
    let retentionPercentage: number | undefined;
    if (ret.has('percentage')) {
      retentionPercentage = y.float(ret.get('percentage'), 'percentage', 0);
      if (retentionPercentage < 0 || retentionPercentage > 100) y.fail(ret.get('percentage'), "'storage.tsdb.retention.percentage' must be in the range [0, 100]");
    }
    const ce = y.map(t.get('chunk_encoding') ?? { kind: 'null', line: 0, col: 0 }, 'config.ChunkEncodingConfig', ['floats']);
    let chunkEncodingFloats: string | undefined;
    if (ce.has('floats')) {
      chunkEncodingFloats = y.str(ce.get('floats'), 'floats');
      if (chunkEncodingFloats !== 'xor' && chunkEncodingFloats !== 'xor2') y.fail(ce.get('floats'), `'storage.tsdb.chunk_encoding.floats' must be 'xor' or 'xor2', or the field must be omitted entirely, got ${JSON.stringify(chunkEncodingFloats)}`);
    }
    const ex = y.map(m.get('exemplars') ?? { kind: 'null', line: 0, col: 0 }, 'config.ExemplarsConfig', ['max_exemplars']);
    return {
      tsdb: {
        outOfOrderTimeWindowMs: y.duration(t.get('out_of_order_time_window'), 'out_of_order_time_window', 0),
        retentionTimeMs: ret.has('time') ? y.duration(ret.get('time'), 'time', 0) : undefined,
        retentionSize,
        retentionPercentage,
        chunkEncodingFloats,
      },
      exemplars: { maxExemplars: y.int(ex.get('max_exemplars'), 'max_exemplars', 100000) },
    };
  }

  tracing(n: Node | undefined): void {
    if (!n || n.kind === 'null') return;
    const y = this.y;
    const m = y.map(n, 'config.TracingConfig', ['client_type', 'endpoint', 'sampling_fraction', 'insecure', 'tls_config', 'headers', 'compression', 'timeout']);
    if (y.str(m.get('endpoint'), 'endpoint') === '') y.fail(n, 'tracing endpoint must be set');
    const comp = y.str(m.get('compression'), 'compression');
    if (comp !== '' && comp !== 'gzip') y.fail(m.get('compression'), `invalid compression type ${comp} provided, valid options: gzip`);
    const h = y.stringMap(m.get('headers'), 'headers');
    for (const k of Object.keys(h)) {
      const lk = k.toLowerCase();
      if (lk === 'authorization') y.fail(m.get('headers'), 'authorization header configuration is not yet supported');
      if (lk === 'x-prometheus-remote-write-version') y.fail(m.get('headers'), `${lk} is a reserved header. It must not be changed`);
    }
  }

  otlp(n: Node | undefined, g: GlobalConfig): void {
    if (!n || n.kind === 'null') return;
    const y = this.y;
    const m = y.map(n, 'config.OTLPConfig', ['promote_resource_attributes', 'ignore_resource_attributes', 'promote_all_resource_attributes', 'translation_strategy', 'keep_identifying_resource_attributes', 'convert_histograms_to_nhcb', 'promote_scope_metadata', 'label_name_underscore_sanitization', 'label_name_preserve_multiple_underscores']);
    const strategies = ['UnderscoreEscapingWithSuffixes', 'UnderscoreEscapingWithoutSuffixes', 'NoUTF8EscapingWithSuffixes', 'NoTranslation'];
    const strategy = y.str(m.get('translation_strategy'), 'translation_strategy', 'UnderscoreEscapingWithSuffixes');
    if (!strategies.includes(strategy)) y.fail(m.get('translation_strategy'), `unsupported OTLP translation strategy ${JSON.stringify(strategy)}`);
    if (g.metricNameValidationScheme === 'legacy' && (strategy === 'NoUTF8EscapingWithSuffixes' || strategy === 'NoTranslation')) y.fail(m.get('translation_strategy'), `OTLP translation strategy ${JSON.stringify(strategy)} is not allowed when UTF8 is disabled`);
    const promoteAll = y.bool(m.get('promote_all_resource_attributes'), 'promote_all_resource_attributes', false);
    const check = (key: string, what: string): void => {
      const list = y.strings(m.get(key), key).map((s) => s.trim());
      const errs: string[] = [];
      const seen = new Set<string>();
      for (const a of list) {
        if (a === '') errs.push(`empty ${what} OTel resource attribute`);
        else if (seen.has(a)) errs.push(`duplicated ${what} OTel resource attribute ${JSON.stringify(a)}`);
        seen.add(a);
      }
      if (errs.length > 0) y.fail(m.get(key), `invalid '${key}': ${errs.join('; ')}`);
    };
    if (promoteAll && m.has('promote_resource_attributes')) y.fail(n, "'promote_all_resource_attributes' and 'promote_resource_attributes' cannot be configured simultaneously");
    if (!promoteAll && m.has('ignore_resource_attributes')) y.fail(n, "'ignore_resource_attributes' cannot be configured unless 'promote_all_resource_attributes' is true");
    check('promote_resource_attributes', 'promoted');
    check('ignore_resource_attributes', 'ignored');
  }
}

/** Rule-file globs: relative ones against the config's directory; no wildcard in directories. */
function ruleFiles(y: YamlFile, n: Node | undefined, dir: string): string[] {
  return y.strings(n, 'rule_files').map((p) => {
    const d = dirname(p);
    if (/[*?[]/.test(d)) y.fail(n, `invalid rule file path ${JSON.stringify(p)}`);
    return isAbsolute(p) ? p : join(dir, p);
  });
}

/** Parses and validates prometheus.yml text. `file` is used for messages and relative paths. */
export function parseConfig(text: string, file: string, options: { agent?: boolean } = {}): Config {
  const y: YamlFile = new YamlFile(file, text);
  const dir = dirname(resolve(file));
  const L = new Loader(y, dir);
  const top = y.map(y.root, 'config.plain', ['global', 'runtime', 'rule_files', 'scrape_config_files', 'scrape_configs', 'alerting', 'remote_write', 'remote_read', 'storage', 'tracing', 'otlp']);
  const global = L.global(top.get('global'));
  const rt = top.get('runtime');
  if (rt) y.map(rt, 'config.RuntimeConfig', ['gogc']);
  if (options.agent) {
    for (const k of ['alerting', 'rule_files', 'remote_read'] as const) {
      const v = top.get(k);
      if (v && !(v.kind === 'seq' && v.items!.length === 0) && v.kind !== 'null') y.fail(v, `field ${k} is not allowed in agent mode`);
    }
  }
  const scrapeConfigs = y.seq(top.get('scrape_configs'), 'scrape_configs').map((s) => L.scrapeConfig(s, global));
  // scrape_config_files: more jobs from other files, with this file's global defaults.
  for (const pattern of y.strings(top.get('scrape_config_files'), 'scrape_config_files')) {
    const abs = isAbsolute(pattern) ? pattern : join(dir, pattern);
    if (/[*?[]/.test(dirname(pattern))) y.fail(top.get('scrape_config_files'), `invalid scrape config file path ${JSON.stringify(pattern)}`);
    const files = /[*?[]/.test(abs) ? expandGlob(abs, dir).sort() : existsSync(abs) ? [abs] : [];
    for (const f of files) {
      const sub = new YamlFile(f, readFileSync(f, 'utf8'));
      const subLoader = new Loader(sub, dirname(f));
      const sm = sub.map(sub.root, 'config.ScrapeConfigs', ['scrape_configs']);
      for (const s of sub.seq(sm.get('scrape_configs'), 'scrape_configs')) scrapeConfigs.push(subLoader.scrapeConfig(s, global));
    }
  }
  const jobs = new Set<string>();
  for (const s of scrapeConfigs) {
    if (jobs.has(s.jobName)) y.fail(top.get('scrape_configs') ?? y.root, `found multiple scrape configs with job name ${JSON.stringify(s.jobName)}`);
    jobs.add(s.jobName);
  }
  const cfg: Config = {
    file,
    yaml: text,
    global,
    ruleFiles: ruleFiles(y, top.get('rule_files'), dir),
    scrapeConfigs,
    alerting: L.alerting(top.get('alerting')),
    remoteWrite: L.remoteWrite(top.get('remote_write')),
    remoteRead: L.remoteRead(top.get('remote_read')),
    storage: L.storage(top.get('storage')),
    warnings: [],
  };
  L.tracing(top.get('tracing'));
  L.otlp(top.get('otlp'), global);
  const present = (n: Node | undefined): boolean => n !== undefined && n.kind !== 'null' && !(n.kind === 'map' && n.entries!.length === 0) && !(n.kind === 'seq' && n.items!.length === 0);
  if (present(top.get('tracing'))) cfg.warnings.push('tracing: sending traces is not supported by Promethium; the section is ignored');
  if (rt && present(rt)) cfg.warnings.push("runtime.gogc tunes Go's garbage collector and has no effect in Promethium");
  for (const [where, list] of [...cfg.scrapeConfigs.map((sc) => [`job ${JSON.stringify(sc.jobName)}`, sc.otherSdConfigs] as const), ...cfg.alerting.alertmanagers.map((am, i) => [`alertmanagers config ${i}`, am.otherSdConfigs] as const)]) {
    const silent = new Set(list.map(notDiscovering).filter((w): w is string => w !== undefined));
    for (const what of silent) cfg.warnings.push(`${where}: ${what.split(' ')[0]!}_sd_configs: discovery through ${what} is not implemented by Promethium; it is validated and gives no targets`);
  }
  return cfg;
}

/** Reads and parses a config file; errors name the file, line and column. */
export function loadConfigFile(path: string, options: { agent?: boolean } = {}): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseConfig(text, path, options);
}

/** The built-in configuration when no file is given: the server scrapes itself every 10s. */
export function defaultConfigYaml(listenAddress: string): string {
  return `# Promethium's built-in default: scrape this server itself.\nglobal:\n  scrape_interval: 10s\n  evaluation_interval: 10s\n\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ["${listenAddress}"]\n`;
}
