// One scrape of the node exporter: every enabled collector runs concurrently, each timed and each
// allowed to fail on its own (node_scrape_collector_success 0) without failing the scrape.
import { buildInfo } from '../version.js';
import type { HostFiles } from './context.js';
import { FamilySet, writeOpenMetricsBytes, writeTextBytes } from './metrics.js';
import type { Family } from './metrics.js';
import { SelfMetrics } from './self-metrics.js';
import type { Collector, CollectorOptions } from './collectors/index.js';

export interface CollectorFailure {
  collector: string;
  error: Error;
}

export interface ExporterOptions {
  files: HostFiles;
  collectors: readonly Collector[];
  options: CollectorOptions;
  /** The exporter's own process_* and promhttp_* metrics (--web.disable-exporter-metrics turns them off). */
  exporterMetrics: boolean;
  onCollectorError?: (f: CollectorFailure) => void;
}

export type ExpositionFormat = 'text' | 'openmetrics';

export class NodeExporter {
  readonly self = new SelfMetrics();

  constructor(private readonly o: ExporterOptions) {}

  get collectorNames(): string[] {
    return this.o.collectors.map((c) => c.name);
  }

  /** Runs `collectors` (by default all the enabled ones: `collect[]` may ask for fewer). */
  async collectFamilies(collectors: readonly Collector[] = this.o.collectors): Promise<Family[]> {
    const merged = new FamilySet();
    const results = await Promise.all(collectors.map(async (c) => {
      const own = new FamilySet();
      const started = process.hrtime.bigint();
      let ok = true;
      try {
        await c.collect(this.o.files, own, this.o.options);
      } catch (e) {
        ok = false;
        this.o.onCollectorError?.({ collector: c.name, error: e as Error });
      }
      return { c, own, ok, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    }));
    for (const { c, own, ok, seconds } of results) {
      // A failed collector's partial output is dropped: half a family set misleads more than none.
      if (ok) merged.merge(own);
      merged.add('node_scrape_collector_duration_seconds', 'node_exporter: Duration of a collector scrape.', 'gauge', seconds, { collector: c.name });
      merged.add('node_scrape_collector_success', 'node_exporter: Whether a collector succeeded.', 'gauge', ok ? 1 : 0, { collector: c.name });
    }
    const b = buildInfo();
    // As Debian's node_exporter 1.5 build (newer prometheus/common than the 1.5.0 release): with goos and goarch.
    merged.add('node_exporter_build_info', "A metric with a constant '1' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.", 'gauge', 1, {
      branch: b.branch, goarch: b.platform.split('/')[1] ?? '', goos: b.platform.split('/')[0] ?? '', goversion: b.goVersion, revision: b.revision, version: b.version,
    });
    if (this.o.exporterMetrics) this.self.collect(merged);
    return [...merged.families.values()];
  }

  /** The whole /metrics body, as the bytes to send. */
  async scrapeBytes(collectors: readonly Collector[] = this.o.collectors, format: ExpositionFormat = 'text'): Promise<Buffer> {
    const families = await this.collectFamilies(collectors);
    return format === 'openmetrics' ? writeOpenMetricsBytes(families) : writeTextBytes(families);
  }

  /** The whole /metrics body. */
  async scrape(collectors: readonly Collector[] = this.o.collectors, format: ExpositionFormat = 'text'): Promise<string> {
    return (await this.scrapeBytes(collectors, format)).toString('utf8');
  }
}
