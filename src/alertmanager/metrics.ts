// The Alertmanager's own metrics, with upstream's names (dashboards and alerts on the Alertmanager
// itself keep working).
import client from 'prom-client';
import type { AlertmanagerCore } from './core.js';
import { isResolved } from './alert.js';
import { silenceState } from './silences.js';
import { buildInfo } from '../version.js';

export interface AlertmanagerMetrics {
  registry: client.Registry;
  sent(integration: string): void;
  failed(integration: string): void;
  latency(integration: string, seconds: number): void;
  received(status: 'firing' | 'resolved'): void;
  invalid(): void;
  configHash(hash: number, successful: boolean): void;
  /** Lets the gauges read the core's state at scrape time. */
  attach(core: () => AlertmanagerCore | undefined): void;
}

const INTEGRATIONS = ['email', 'webhook'];

export function createAlertmanagerMetrics(): AlertmanagerMetrics {
  const registry = new client.Registry();
  // Event-loop lag sampled every 100 ms, not prom-client's 10 ms: 100 wake-ups a second cost an
  // idle server more CPU than everything else it does.
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const b = buildInfo();
  const [goos, goarch] = b.platform.split('/') as [string, string];
  new client.Gauge({
    name: 'alertmanager_build_info',
    help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which alertmanager was built, and the goos and goarch for the build.",
    labelNames: ['version', 'revision', 'branch', 'goversion', 'goos', 'goarch', 'tags'],
    registers: [registry],
  }).set({ version: b.version, revision: b.revision, branch: b.branch, goversion: b.goVersion, goos, goarch, tags: 'promethium' }, 1);
  const notifications = new client.Counter({ name: 'alertmanager_notifications_total', help: 'The total number of attempted notifications.', labelNames: ['integration'], registers: [registry] });
  const failedC = new client.Counter({ name: 'alertmanager_notifications_failed_total', help: 'The total number of failed notifications.', labelNames: ['integration'], registers: [registry] });
  const latencyH = new client.Histogram({
    name: 'alertmanager_notification_latency_seconds',
    help: 'The latency of notifications in seconds.',
    labelNames: ['integration'],
    buckets: [1, 5, 10, 15, 20],
    registers: [registry],
  });
  for (const i of INTEGRATIONS) {
    notifications.inc({ integration: i }, 0);
    failedC.inc({ integration: i }, 0);
  }
  const receivedC = new client.Counter({ name: 'alertmanager_alerts_received_total', help: 'The total number of received alerts.', labelNames: ['status'], registers: [registry] });
  const invalidC = new client.Counter({ name: 'alertmanager_alerts_invalid_total', help: 'The total number of received alerts that were invalid.', registers: [registry] });
  const hashG = new client.Gauge({ name: 'alertmanager_config_hash', help: 'Hash of the currently loaded alertmanager configuration.', registers: [registry] });
  const reloadOk = new client.Gauge({ name: 'alertmanager_config_last_reload_successful', help: 'Whether the last configuration reload attempt was successful.', registers: [registry] });
  const reloadTs = new client.Gauge({ name: 'alertmanager_config_last_reload_success_timestamp_seconds', help: 'Timestamp of the last successful configuration reload.', registers: [registry] });

  let core: () => AlertmanagerCore | undefined = () => undefined;
  new client.Gauge({
    name: 'alertmanager_alerts',
    help: 'How many alerts by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const c = core();
      let active = 0;
      let suppressed = 0;
      if (c !== undefined) {
        const now = Date.now();
        for (const a of c.alerts.values()) {
          if (isResolved(a, now)) continue;
          if (c.status(a.labels).state === 'suppressed') suppressed++;
          else active++;
        }
      }
      this.set({ state: 'active' }, active);
      this.set({ state: 'suppressed' }, suppressed);
      this.set({ state: 'unprocessed' }, 0);
    },
  });
  new client.Gauge({
    name: 'alertmanager_silences',
    help: 'How many silences by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = { active: 0, pending: 0, expired: 0 };
      const c = core();
      const now = Date.now();
      for (const s of c?.silences.list() ?? []) counts[silenceState(s, now)]++;
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });

  return {
    registry,
    sent: (i) => notifications.inc({ integration: i }),
    failed: (i) => {
      notifications.inc({ integration: i });
      failedC.inc({ integration: i });
    },
    latency: (i, s) => latencyH.observe({ integration: i }, s),
    received: (status) => receivedC.inc({ status }),
    invalid: () => invalidC.inc(),
    configHash: (hash, ok) => {
      reloadOk.set(ok ? 1 : 0);
      if (ok) {
        hashG.set(hash);
        reloadTs.set(Date.now() / 1000);
      }
    },
    attach: (c) => {
      core = c;
    },
  };
}
