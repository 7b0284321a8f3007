// One scrape of the node exporter: every enabled collector runs concurrently, each timed and each
// allowed to fail on its own (node_scrape_collector_success 0) without failing the scrape.
import { readFile } from 'node:fs/promises';
import client from 'prom-client';
import { buildInfo } from '../version.js';
import type { HostFiles } from './context.js';
import { FamilySet, writeText } from './metrics.js';
import type { Family } from './metrics.js';
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

/** process_virtual_memory_max_bytes, which prom-client lacks: the address-space limit of this process. */
function virtualMemoryMax(): client.Gauge {
  return new client.Gauge({
    name: 'process_virtual_memory_max_bytes',
    help: 'Maximum amount of virtual memory available in bytes.',
    registers: [],
    async collect() {
      try {
        const limits = await readFile('/proc/self/limits', 'utf8');
        const m = /^Max address space\s+(\S+)/m.exec(limits);
        // "unlimited" is RLIM_INFINITY, which Go's client reports as 2^64-1.
        if (m) this.set(m[1] === 'unlimited' ? 18446744073709551615 : Number(m[1]));
      } catch {
        /* not Linux: the family stays empty */
      }
    },
  });
}

export class NodeExporter {
  private readonly registry = new client.Registry();
  private readonly requests: client.Counter<'code'>;
  private readonly inFlight: client.Gauge;
  private readonly errors: client.Counter<'cause'>;

  constructor(private readonly o: ExporterOptions) {
    // promhttp's own families, as node_exporter's handler exposes them.
    this.requests = new client.Counter({ name: 'promhttp_metric_handler_requests_total', help: 'Total number of scrapes by HTTP status code.', labelNames: ['code'], registers: [] });
    for (const code of ['200', '500', '503']) this.requests.inc({ code }, 0);
    this.inFlight = new client.Gauge({ name: 'promhttp_metric_handler_requests_in_flight', help: 'Current number of scrapes being served.', registers: [] });
    this.errors = new client.Counter({ name: 'promhttp_metric_handler_errors_total', help: 'Total number of internal errors encountered by the promhttp metric handler.', labelNames: ['cause'], registers: [] });
    for (const cause of ['encoding', 'gathering']) this.errors.inc({ cause }, 0);
    if (o.exporterMetrics) {
      client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 }); // see src/server/metrics.ts
      // These three are gauges named like counters, which `promtool check metrics` rejects.
      for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(n);
      this.registry.registerMetric(virtualMemoryMax());
      this.registry.registerMetric(this.requests);
      this.registry.registerMetric(this.inFlight);
      this.registry.registerMetric(this.errors);
    }
  }

  get collectorNames(): string[] {
    return this.o.collectors.map((c) => c.name);
  }

  /** Counts a served scrape in promhttp_metric_handler_requests_total. */
  countRequest(code: number): void {
    this.requests.inc({ code: String(code) });
    if (code === 500) this.errors.inc({ cause: 'gathering' });
  }

  /** Tracks a scrape being served (promhttp_metric_handler_requests_in_flight). */
  serving(delta: 1 | -1): void {
    this.inFlight.inc(delta);
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
    merged.add('node_exporter_build_info', "A metric with a constant '1' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.", 'gauge', 1, {
      branch: b.branch, goarch: b.platform.split('/')[1] ?? '', goos: b.platform.split('/')[0] ?? '', goversion: b.goVersion, revision: b.revision, version: b.version,
    });
    return [...merged.families.values()];
  }

  /** The whole /metrics body in the text format 0.0.4. */
  async scrape(collectors: readonly Collector[] = this.o.collectors): Promise<string> {
    const [families, own] = await Promise.all([this.collectFamilies(collectors), this.o.exporterMetrics ? this.registry.metrics() : Promise.resolve('')]);
    return writeText(families) + own;
  }
}
