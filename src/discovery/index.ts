// Target groups from a config section's discovery mechanisms (static_configs, file_sd_configs,
// dns_sd_configs and http_sd_configs),
// merged and reported whenever one of them changes. Scrape pools and the Alertmanager list both
// take their targets from here.
import type { DnsSdConfig, FileSdConfig, HttpSdConfig, StaticConfig } from '../config/index.js';
import type { TargetGroup } from '../scrape/targets.js';
import type { Logger } from '../util/logger.js';
import { FileDiscovery } from './file.js';
import { DnsDiscovery } from './dns.js';
import { HttpDiscovery } from './http.js';

export { FileDiscovery, expandGlob, parseSdFile } from './file.js';
export { DnsDiscovery } from './dns.js';
export { HttpDiscovery, parseHttpSdBody } from './http.js';

export interface DiscoverySources {
  staticConfigs: StaticConfig[];
  fileSdConfigs: FileSdConfig[];
  dnsSdConfigs: DnsSdConfig[];
  httpSdConfigs: HttpSdConfig[];
}

/** Starts discovery; `onGroups` gets every group known so far, at once and on each change. Returns a stop function. */
export function startDiscovery(sources: DiscoverySources, baseDir: string, logger: Logger, onGroups: (groups: TargetGroup[]) => void): () => void {
  const statics: TargetGroup[] = sources.staticConfigs.map((s, i) => ({ targets: s.targets, labels: s.labels, source: `static/${i}` }));
  const fromFiles = new Map<number, TargetGroup[]>();
  const fromDns = new Map<number, TargetGroup[]>();
  const fromHttp = new Map<number, TargetGroup[]>();
  const emit = (): void => onGroups([...statics, ...[...fromFiles.values()].flat(), ...[...fromDns.values()].flat(), ...[...fromHttp.values()].flat()]);
  const discoveries = sources.fileSdConfigs.map((f, i) => {
    const d = new FileDiscovery({ files: f.files, refreshIntervalMs: f.refreshIntervalMs, baseDir }, logger.with({ discovery: 'file' }), (groups) => {
      fromFiles.set(i, groups);
      emit();
    });
    d.start();
    return d;
  });
  const dnsDiscoveries = sources.dnsSdConfigs.map((c, i) => {
    const d = new DnsDiscovery(c, logger.with({ discovery: 'dns' }), (groups) => {
      fromDns.set(i, groups);
      emit();
    });
    d.start();
    return d;
  });
  const httpDiscoveries = sources.httpSdConfigs.map((c, i) => {
    const d = new HttpDiscovery(c, logger.with({ discovery: 'http' }), (groups) => {
      fromHttp.set(i, groups);
      emit();
    });
    d.start();
    return d;
  });
  emit();
  return () => {
    for (const d of discoveries) d.stop();
    for (const d of dnsDiscoveries) d.stop();
    for (const d of httpDiscoveries) d.stop();
  };
}
