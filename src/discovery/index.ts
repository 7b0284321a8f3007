// Target groups from a config section's discovery mechanisms (static_configs, file_sd_configs,
// dns_sd_configs, http_sd_configs, kubernetes_sd_configs and the other `<name>_sd_configs`),
// merged and reported whenever one of them changes. Scrape pools and the Alertmanager list both
// take their targets from here.
import type { SdConfigLists } from '../config/index.js';
import type { TargetGroup } from './target-group.js';
import type { Logger } from '../util/logger.js';
import { FileDiscovery } from './file.js';
import { DnsDiscovery } from './dns.js';
import { HttpDiscovery } from './http.js';
import { KubernetesDiscovery } from './kubernetes/index.js';
import { RefreshDiscovery } from './refresh.js';
import { DISCOVERING_MECHANISMS } from '../config/sd-mechanisms.js';
import type { DiscoveryMetrics } from './metrics.js';

export { FileDiscovery, parseSdFile } from './file.js';
export { DnsDiscovery } from './dns.js';
export { HttpDiscovery, parseHttpSdBody } from './http.js';
export { KubernetesDiscovery } from './kubernetes/index.js';
export { createDiscoveryMetrics } from './metrics.js';
export type { DiscoveryMetrics } from './metrics.js';

/** The config section's six target lists (a scrape config or an Alertmanager config). */
export type DiscoverySources = SdConfigLists;

/** One running discovery mechanism. */
interface Discoverer {
  start(): void;
  stop(): void;
}

type Report = (groups: TargetGroup[]) => void;

// The `<name>_sd_configs` providers bring the cloud APIs' clients (an XML parser, AWS request
// signing: several MB resident), so they load with the first config that names one, not with
// the server. Their settings were validated when the config was loaded (src/config), so nothing a
// user must hear about at load or reload time waits for this import.
let providers: Promise<typeof import('./providers/index.js')> | undefined;
const loadProviders = (): Promise<typeof import('./providers/index.js')> => (providers ??= import('./providers/index.js'));

/** A discoverer made once the provider modules have loaded; stopping before that means it never starts. */
class DiscovererAfterLoad implements Discoverer {
  private inner: Discoverer | undefined;
  private stopped = false;

  constructor(
    private readonly make: (loaded: typeof import('./providers/index.js')) => Discoverer,
    private readonly logger: Logger,
  ) {}

  start(): void {
    loadProviders().then(
      (loaded) => {
        if (this.stopped) return;
        this.inner = this.make(loaded);
        this.inner.start();
      },
      (e: unknown) => this.logger.error('Cannot load service discovery', { err: (e as Error).message }),
    );
  }

  stop(): void {
    this.stopped = true;
    this.inner?.stop();
  }
}

/** Where discovery runs, for its metrics: `scrape` or `notify`, and the config (job name, `config-<i>`). */
export interface DiscoveryContext {
  metrics?: DiscoveryMetrics;
  name: 'scrape' | 'notify';
  config: string;
}

/** Starts discovery; `onGroups` gets every group known so far, at once and on each change. Returns a stop function. */
export function startDiscovery(sources: DiscoverySources, baseDir: string, logger: Logger, onGroups: (groups: TargetGroup[]) => void, ctx?: DiscoveryContext): () => void {
  const m = ctx?.metrics;
  const statics: TargetGroup[] = sources.staticConfigs.map((s, i) => ({ targets: s.targets, labels: s.labels, source: `static/${i}` }));
  // The latest groups of each running discoverer, in config order.
  const latest: TargetGroup[][] = [];
  const emit = (): void => {
    const groups = [...statics, ...latest.flat()];
    if (m !== undefined && ctx !== undefined) m.discoveredTargets.set({ config: ctx.config, name: ctx.name }, groups.reduce((n, g) => n + g.targets.length, 0));
    onGroups(groups);
  };
  let failed = 0;
  /** Refresh durations and failures of a mechanism, for the SD metrics. */
  const observeRefresh = (mechanism: string): { duration(s: number): void; failure(): void } | undefined => {
    if (m === undefined) return undefined;
    const labels = { mechanism, config: ctx?.config ?? '' };
    return { duration: (s) => m.refreshDuration.observe(labels, s), failure: () => m.refreshFailures.inc(labels) };
  };
  const makers: ((report: Report) => Discoverer)[] = [
    ...sources.fileSdConfigs.map((f) => (report: Report) => new FileDiscovery({ files: f.files, refreshIntervalMs: f.refreshIntervalMs, baseDir }, logger.with({ discovery: 'file' }), report)),
    ...sources.dnsSdConfigs.map((c) => (report: Report) => new DnsDiscovery(c, logger.with({ discovery: 'dns' }), report)),
    ...sources.httpSdConfigs.map((c) => (report: Report) => new HttpDiscovery(c, logger.with({ discovery: 'http' }), report, observeRefresh('http'))),
    ...sources.kubernetesSdConfigs.map((c) => (report: Report) => new KubernetesDiscovery(c, logger.with({ discovery: 'kubernetes' }), report, { ...(m !== undefined ? { onEvent: (event: string) => m.kubernetesEvents.inc({ event, role: c.role }) } : {}) })),
    // Mechanisms without a provider were reported when the config was loaded; they give no targets.
    ...sources.otherSdConfigs.flatMap((c) => {
      if (!DISCOVERING_MECHANISMS.has(c.mechanism)) return [];
      return [
        (report: Report): Discoverer => {
          const log = logger.with({ discovery: c.mechanism });
          return new DiscovererAfterLoad(({ PROVIDERS, refreshIntervalOf }) => {
            const provider = PROVIDERS[c.mechanism];
            // DISCOVERING_MECHANISMS and PROVIDERS name the same mechanisms (a test keeps them in step).
            if (provider === undefined) return { start: () => {}, stop: () => {} };
            try {
              return new RefreshDiscovery(c.mechanism, refreshIntervalOf(c), provider(c, log), log, report, observeRefresh(c.mechanism));
            } catch (e) {
              // As in Prometheus: the config stays, this discoverer gives nothing and says why.
              log.error('Cannot create service discovery', { err: (e as Error).message });
              failed++;
              if (m !== undefined && ctx !== undefined) m.failedConfigs.inc({ name: ctx.name });
              return { start: () => {}, stop: () => {} };
            }
          }, log);
        },
      ];
    }),
  ];
  const running = makers.map((make, i) => {
    latest.push([]);
    const d = make((groups) => {
      latest[i] = groups;
      if (m !== undefined && ctx !== undefined) m.receivedUpdates.inc({ name: ctx.name });
      emit();
    });
    d.start();
    return d;
  });
  emit();
  return () => {
    for (const d of running) d.stop();
    if (m !== undefined && ctx !== undefined) {
      if (failed > 0) m.failedConfigs.dec({ name: ctx.name }, failed);
      m.discoveredTargets.remove({ config: ctx.config, name: ctx.name });
    }
  };
}
