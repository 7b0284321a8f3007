// Rule evaluation and alerting in the server: the rule manager on the engine and storage, alert
// templates, and the notifier sending to the configured Alertmanagers. The rule manager, with the
// evaluator and rule file parser, loads with the first configuration that names rule files
// (rule-manager.ts); the notifier and both sets of metrics exist from the start, as in Prometheus.
import type { FastifyInstance } from 'fastify';
import { newLabels } from '../model/labels.js';
import type { Config } from '../config/index.js';
import { relabel } from '../config/index.js';
import type { Storage } from '../storage/index.js';
import type { EngineOptions } from '../promql/index.js';
import type { RuleManager } from '../rules/manager.js';
import { createRuleMetrics } from '../rules/metrics.js';
import type { RuleMetrics } from '../rules/metrics.js';
import type { QueryLog } from '../promql/query-log.js';
import type { RemoteReaders } from '../remote/read/readers.js';
import { Notifier } from '../notifier/notifier.js';
import { alertmanagersFromGroups } from '../notifier/alertmanager-targets.js';
import type { AlertmanagerSet } from '../notifier/alertmanager-targets.js';
import { startDiscovery } from '../discovery/index.js';
import type { DiscoveryMetrics } from '../discovery/index.js';
import { httpDispatcher } from '../common/http-config/dispatcher.js';
import { OAuth2TokenSource } from '../common/http-config/oauth2.js';
import { authorizationHeader, httpOptions } from '../common/http-config/client-options.js';
import type { HttpClientConfig } from '../config/index.js';
import { rulesApi } from '../web/api/rules.js';
import type { Logger } from '../util/logger.js';
import type { ServerMetrics } from './metrics.js';

export interface RulingOptions {
  storage: Storage;
  engine: Omit<EngineOptions, 'rangeKernel'>;
  logger: Logger;
  externalURL: string;
  resendDelayMs: number;
  queueCapacity: number;
  alertmanagerTimeoutMs: number;
  /** --rules.alert.for-outage-tolerance and --rules.alert.for-grace-period. */
  forOutageToleranceMs: number;
  forGracePeriodMs: number;
  /** global.query_log_file: rule queries are logged too. */
  queryLog?: QueryLog;
  /** The remote_read endpoints: rule queries read them as API queries do (Prometheus's fanout storage). */
  remoteReaders?: RemoteReaders;
}

export class Ruling {
  private manager: RuleManager | undefined;
  private managerMade: Promise<RuleManager> | undefined;
  private ruleMetrics: RuleMetrics | undefined;
  /** A configuration has been applied: the start-up load is behind. */
  private applied = false;
  private notifier: Notifier | undefined;
  private config: Config | undefined;
  /** The Alertmanagers each alertmanager config currently yields, and how to stop their discovery. */
  private alertmanagerSets: AlertmanagerSet[] = [];
  private stopAlertmanagerDiscovery: (() => void) | undefined;
  private sdMetrics: DiscoveryMetrics | undefined;
  /** Shared with the rule groups; refreshed in place when a configuration is applied. */
  private readonly externalLabels: Record<string, string> = newLabels();

  constructor(private readonly o: RulingOptions) {}

  /** Creates the notifier and the rule metrics on the server's metrics registry. */
  init(metrics: ServerMetrics): void {
    this.sdMetrics = metrics.discovery;
    this.notifier = new Notifier({ queueCapacity: this.o.queueCapacity, externalLabels: {}, logger: this.o.logger.with({ component: 'notifier' }), registry: metrics.registry });
    this.ruleMetrics = createRuleMetrics(metrics.registry);
  }

  /** The rule manager, made (and its modules loaded) the first time a configuration has rule files. */
  private async ruleManager(cfg: Config): Promise<RuleManager | undefined> {
    if (this.manager === undefined && cfg.ruleFiles.length === 0) return undefined;
    this.managerMade ??= this.makeManager();
    return (this.manager = await this.managerMade);
  }

  private async makeManager(): Promise<RuleManager> {
    const { createRuleManager } = await import('./rule-manager.js');
    const manager = createRuleManager({
      options: this.o,
      metrics: this.ruleMetrics!,
      externalLabels: this.externalLabels,
      notify: (expr, alerts) => {
        const url = `${this.o.externalURL}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=1`;
        // A resolved alert ends when it resolved, which tells the Alertmanager at once; a firing one
        // is valid until a few resend delays ahead, so one missed evaluation does not resolve it.
        this.notifier?.send(alerts.map((a) => ({ labels: a.labels, annotations: a.annotations, startsAt: a.activeAt, endsAt: a.resolvedAt !== 0 ? a.resolvedAt : a.validUntil, generatorURL: url })));
      },
    });
    // Made at a reload, after a start without rules: the start-up load has happened (with no rule
    // files), so, as in Prometheus, the `for` state of the groups loaded now is not restored.
    if (this.applied) await manager.update({ patterns: [], baseDir: '/', evaluationIntervalMs: 60_000, queryOffsetMs: 0 });
    return manager;
  }

  /** Applies a configuration: rule files and Alertmanagers. Throws (changing nothing) if a rule file is bad. */
  async apply(cfg: Config): Promise<void> {
    if (!this.notifier) throw new Error('rules not initialised');
    const manager = await this.ruleManager(cfg);
    // Validate every rule file before changing anything.
    manager?.load({ patterns: cfg.ruleFiles, baseDir: '/', evaluationIntervalMs: cfg.global.evaluationIntervalMs, queryOffsetMs: cfg.global.ruleQueryOffsetMs });
    this.discoverAlertmanagers(cfg);
    for (const k of Object.keys(this.externalLabels)) delete this.externalLabels[k];
    Object.assign(this.externalLabels, cfg.global.externalLabels);
    this.config = cfg;
    this.applied = true;
    await manager?.update({ patterns: cfg.ruleFiles, baseDir: '/', evaluationIntervalMs: cfg.global.evaluationIntervalMs, queryOffsetMs: cfg.global.ruleQueryOffsetMs });
  }

  /** Alertmanagers from each alertmanager config's static and file discovery, relabeled; the notifier follows every change. */
  private discoverAlertmanagers(cfg: Config): void {
    const notifier = this.notifier!;
    const ams = cfg.alerting.alertmanagers;
    // Credentials and TLS files are read first: if one cannot be read, the running Alertmanagers stay.
    const headers = ams.map((am) => authHeaders(am.http));
    const dispatchers = ams.map((am) => httpDispatcher(am.http));
    const tokens = ams.map((am) => (am.http.oauth2 !== undefined ? new OAuth2TokenSource(am.http.oauth2) : undefined));
    this.stopAlertmanagerDiscovery?.();
    const globalRules = cfg.alerting.alertRelabelConfigs;
    const sets: AlertmanagerSet[] = ams.map(() => ({ active: [], dropped: [] }));
    this.alertmanagerSets = sets;
    const update = (): void => notifier.configure(sets.flatMap((s) => s.active), cfg.global.externalLabels, globalRules.length > 0 ? (l) => relabel(l, globalRules) : undefined);
    const stops = ams.map((am, i) =>
      startDiscovery(am, '/', this.o.logger.with({ component: 'discovery', config: `config-${i}` }), (groups) => {
        sets[i] = alertmanagersFromGroups(am, groups, {
          relabel: (l) => relabel(l, am.relabelConfigs),
          alertRelabel: am.alertRelabelConfigs.length > 0 ? (l) => relabel(l, am.alertRelabelConfigs) : undefined,
          headers: headers[i],
          dispatcher: dispatchers[i],
          oauth2: tokens[i],
        });
        update();
      }, { ...(this.sdMetrics !== undefined ? { metrics: this.sdMetrics } : {}), name: 'notify', config: `config-${i}` }),
    );
    this.stopAlertmanagerDiscovery = () => {
      stops.forEach((stop) => stop());
      for (const d of dispatchers) void d?.close();
    };
    update();
  }

  /** The /api/v1/rules, /api/v1/alerts and /api/v1/alertmanagers plugin. */
  plugin(): (app: FastifyInstance) => Promise<void> {
    return async (app) => {
      app.decorate('rules', {
        groups: () => this.manager?.ruleGroups() ?? [],
        alertmanagers: () => ({ active: this.notifier?.activeAlertmanagers() ?? [], dropped: this.alertmanagerSets.flatMap((s) => s.dropped) }),
      });
      await rulesApi(app);
    };
  }

  async stop(): Promise<void> {
    this.stopAlertmanagerDiscovery?.();
    await this.manager?.stop();
    await this.notifier?.stop();
    void this.config;
  }
}

/** The headers an Alertmanager's http config asks for (basic auth, authorization, http_headers). */
function authHeaders(h: HttpClientConfig): Record<string, string> {
  const o = httpOptions(h, 0);
  const headers: Record<string, string> = { ...o.headers };
  const authorization = authorizationHeader(o);
  if (authorization !== undefined) headers.Authorization = authorization;
  return headers;
}
