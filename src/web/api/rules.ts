// /api/v1/rules, /api/v1/alerts and /api/v1/alertmanagers: rule groups with health and timings,
// active alerts, and where alerts are sent.
import type { FastifyInstance } from 'fastify';
import { success } from './envelope.js';
import { AlertingRule, type ActiveAlert } from '../../rules/alerting.js';
import type { RuleGroup } from '../../rules/group.js';
import { formatValue } from './params.js';
import { noParams, queryParams } from './schemas.js';

export interface RulesService {
  groups(): RuleGroup[];
  alertmanagers(): { active: string[]; dropped: string[] };
}

declare module 'fastify' {
  interface FastifyInstance {
    rules: RulesService;
  }
}

function isoOrZero(ms: number): string {
  return ms === 0 ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString();
}

function alertJson(a: ActiveAlert): Record<string, unknown> {
  return {
    labels: a.labels,
    annotations: a.annotations,
    state: a.state,
    activeAt: new Date(a.activeAt).toISOString(),
    value: formatGoExp(a.value),
    ...(a.keepFiringSince !== 0 ? { keepFiringSince: new Date(a.keepFiringSince).toISOString() } : {}),
  };
}

/** Alert values as Prometheus prints them in this API (FormatFloat 'e' with 10 digits: `1.0000000000e+00`). */
function formatGoExp(v: number): string {
  if (!Number.isFinite(v)) return formatValue(v);
  const [mant, exp] = v.toExponential(10).split('e') as [string, string];
  const n = Number(exp);
  return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

/** Prometheus 3's parameters of /api/v1/rules; the handler reads the first five. */
const rulesSchema = queryParams(['type', 'rule_name[]', 'rule_group[]', 'file[]', 'exclude_alerts', 'match[]', 'group_limit', 'group_next_token']);

export async function rulesApi(app: FastifyInstance): Promise<void> {
  const svc = app.rules;

  app.get<{ Querystring: { type?: string; 'rule_name[]'?: string | string[]; 'rule_group[]'?: string | string[]; 'file[]'?: string | string[]; exclude_alerts?: string } }>('/api/v1/rules', { schema: rulesSchema }, async (req) => {
    const type = req.query.type;
    const list = (v: string | string[] | undefined): Set<string> | undefined => (v === undefined ? undefined : new Set(Array.isArray(v) ? v : [v]));
    const names = list(req.query['rule_name[]']);
    const groupNames = list(req.query['rule_group[]']);
    const files = list(req.query['file[]']);
    const excludeAlerts = req.query.exclude_alerts === 'true';
    const groups = svc
      .groups()
      .filter((g) => (groupNames === undefined || groupNames.has(g.spec.name)) && (files === undefined || files.has(g.spec.file)))
      .map((g) => ({
        name: g.spec.name,
        file: g.spec.file,
        interval: g.spec.intervalMs / 1000,
        limit: g.spec.limit,
        rules: g.spec.rules
          .filter((r) => (names === undefined || names.has(r.name)) && (type === undefined || (type === 'alert') === r instanceof AlertingRule))
          .map((r) =>
            r instanceof AlertingRule
              ? {
                  state: r.state(),
                  name: r.spec.name,
                  query: r.spec.expr,
                  duration: r.spec.forMs / 1000,
                  keepFiringFor: r.spec.keepFiringForMs / 1000,
                  labels: r.spec.labels,
                  annotations: r.spec.annotations,
                  alerts: excludeAlerts ? [] : [...r.active.values()].filter((a) => a.state !== 'inactive').map(alertJson),
                  health: r.health,
                  lastError: r.lastError === '' ? undefined : r.lastError,
                  evaluationTime: r.evaluationSeconds,
                  lastEvaluation: isoOrZero(r.lastEvaluation),
                  type: 'alerting',
                }
              : {
                  name: r.spec.record,
                  query: r.spec.expr,
                  labels: r.spec.labels,
                  health: r.health,
                  lastError: r.lastError === '' ? undefined : r.lastError,
                  evaluationTime: r.evaluationSeconds,
                  lastEvaluation: isoOrZero(r.lastEvaluation),
                  type: 'recording',
                },
          ),
        evaluationTime: g.evaluationSeconds,
        lastEvaluation: isoOrZero(g.lastEvaluation),
      }))
      .filter((g) => g.rules.length > 0 || (names === undefined && type === undefined));
    return success({ groups });
  });

  app.get('/api/v1/alerts', { schema: noParams }, async () => {
    const alerts = svc
      .groups()
      .flatMap((g) => g.spec.rules)
      .filter((r): r is AlertingRule => r instanceof AlertingRule)
      .flatMap((r) => [...r.active.values()].filter((a) => a.state !== 'inactive').map(alertJson));
    return success({ alerts });
  });

  app.get('/api/v1/alertmanagers', { schema: noParams }, async () => {
    const { active, dropped } = svc.alertmanagers();
    return success({ activeAlertmanagers: active.map((url) => ({ url })), droppedAlertmanagers: dropped.map((url) => ({ url })) });
  });
}
