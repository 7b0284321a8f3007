// Service discovery's own metrics, with Prometheus's names: targets discovered per config,
// configs whose discoverer could not be created, refresh durations and failures per mechanism,
// and the Kubernetes watch events seen.
import client from 'prom-client';

export interface DiscoveryMetrics {
  discoveredTargets: client.Gauge<'config' | 'name'>;
  failedConfigs: client.Gauge<'name'>;
  receivedUpdates: client.Counter<'name'>;
  refreshDuration: client.Summary<'mechanism' | 'config'>;
  refreshFailures: client.Counter<'mechanism' | 'config'>;
  kubernetesEvents: client.Counter<'event' | 'role'>;
}

export function createDiscoveryMetrics(registry: client.Registry): DiscoveryMetrics {
  const registers = [registry];
  const m: DiscoveryMetrics = {
    discoveredTargets: new client.Gauge({ name: 'prometheus_sd_discovered_targets', help: 'Current number of discovered targets.', labelNames: ['config', 'name'], registers }),
    failedConfigs: new client.Gauge({ name: 'prometheus_sd_failed_configs', help: 'Current number of service discovery configurations that failed to load.', labelNames: ['name'], registers }),
    receivedUpdates: new client.Counter({ name: 'prometheus_sd_received_updates_total', help: 'Total number of update events received from the SD providers.', labelNames: ['name'], registers }),
    refreshDuration: new client.Summary({ name: 'prometheus_sd_refresh_duration_seconds', help: 'The duration of a refresh for the given SD mechanism.', labelNames: ['mechanism', 'config'], percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5, registers }),
    refreshFailures: new client.Counter({ name: 'prometheus_sd_refresh_failures_total', help: 'Number of refresh failures for the given SD mechanism.', labelNames: ['mechanism', 'config'], registers }),
    kubernetesEvents: new client.Counter({ name: 'prometheus_sd_kubernetes_events_total', help: 'The number of Kubernetes events handled.', labelNames: ['event', 'role'], registers }),
  };
  // Both discovery managers are always there, as in Prometheus, even before anything fails.
  for (const name of ['scrape', 'notify']) {
    m.failedConfigs.set({ name }, 0);
    m.receivedUpdates.inc({ name }, 0);
  }
  return m;
}
