// Target groups from a config section's discovery mechanisms (static_configs, file_sd_configs,
// dns_sd_configs, http_sd_configs, kubernetes_sd_configs and the other `<name>_sd_configs`),
// merged and reported whenever one of them changes. Scrape pools and the Alertmanager list both
// take their targets from here.
import type { DnsSdConfig, FileSdConfig, GenericSdConfig, HttpSdConfig, KubernetesSdConfig, StaticConfig } from '../config/index.js';
import type { TargetGroup } from '../scrape/targets.js';
import type { Logger } from '../util/logger.js';
import { FileDiscovery } from './file.js';
import { DnsDiscovery } from './dns.js';
import { HttpDiscovery } from './http.js';
import { KubernetesDiscovery } from './kubernetes/index.js';
import { PROVIDERS } from './providers/index.js';
import { RefreshDiscovery } from './refresh.js';

export { FileDiscovery, expandGlob, parseSdFile } from './file.js';
export { DnsDiscovery } from './dns.js';
export { HttpDiscovery, parseHttpSdBody } from './http.js';
export { KubernetesDiscovery } from './kubernetes/index.js';

export interface DiscoverySources {
  staticConfigs: StaticConfig[];
  fileSdConfigs: FileSdConfig[];
  dnsSdConfigs: DnsSdConfig[];
  httpSdConfigs: HttpSdConfig[];
  kubernetesSdConfigs: KubernetesSdConfig[];
  otherSdConfigs: GenericSdConfig[];
}

/** One running discovery mechanism. */
interface Discoverer {
  start(): void;
  stop(): void;
}

type Report = (groups: TargetGroup[]) => void;

/** Starts discovery; `onGroups` gets every group known so far, at once and on each change. Returns a stop function. */
export function startDiscovery(sources: DiscoverySources, baseDir: string, logger: Logger, onGroups: (groups: TargetGroup[]) => void): () => void {
  const statics: TargetGroup[] = sources.staticConfigs.map((s, i) => ({ targets: s.targets, labels: s.labels, source: `static/${i}` }));
  // The latest groups of each running discoverer, in config order.
  const latest: TargetGroup[][] = [];
  const emit = (): void => onGroups([...statics, ...latest.flat()]);
  const makers: ((report: Report) => Discoverer)[] = [
    ...sources.fileSdConfigs.map((f) => (report: Report) => new FileDiscovery({ files: f.files, refreshIntervalMs: f.refreshIntervalMs, baseDir }, logger.with({ discovery: 'file' }), report)),
    ...sources.dnsSdConfigs.map((c) => (report: Report) => new DnsDiscovery(c, logger.with({ discovery: 'dns' }), report)),
    ...sources.httpSdConfigs.map((c) => (report: Report) => new HttpDiscovery(c, logger.with({ discovery: 'http' }), report)),
    ...sources.kubernetesSdConfigs.map((c) => (report: Report) => new KubernetesDiscovery(c, logger.with({ discovery: 'kubernetes' }), report)),
    // Mechanisms without a provider were reported when the config was loaded; they give no targets.
    ...sources.otherSdConfigs.flatMap((c) => {
      const provider = PROVIDERS[c.mechanism];
      if (provider === undefined) return [];
      return [
        (report: Report): Discoverer => {
          const log = logger.with({ discovery: c.mechanism });
          try {
            return new RefreshDiscovery(c.mechanism, c.settings.refresh_interval as number, provider(c), log, report);
          } catch (e) {
            // As in Prometheus: the config stays, this discoverer gives nothing and says why.
            log.error('Cannot create service discovery', { err: (e as Error).message });
            return { start: () => {}, stop: () => {} };
          }
        },
      ];
    }),
  ];
  const running = makers.map((make, i) => {
    latest.push([]);
    const d = make((groups) => {
      latest[i] = groups;
      emit();
    });
    d.start();
    return d;
  });
  emit();
  return () => {
    for (const d of running) d.stop();
  };
}
