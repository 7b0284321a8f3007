// Alertmanager API v2 (the shapes of upstream's OpenAPI spec), so amtool, Prometheus and Grafana
// talk to Promethium's Alertmanager unchanged.
import type { FastifyInstance } from 'fastify';
import type { AlertmanagerCore } from '../core.js';
import { fingerprint, isResolved, type Alert } from '../alert.js';
import { matchersPredicate, silenceState, SilenceError, type Silence, type SilenceMatcher } from '../silences.js';
import { routeReceivers } from '../route.js';
import type { Labels } from '../../model/labels.js';
import { buildInfo } from '../../version.js';
import { compileAnchored } from '../../regex/re2.js';

export interface ApiV2Deps {
  core: AlertmanagerCore;
  /** Parses `filter` matchers (`alertname="x"`, `severity=~"p.*"`); throws on bad syntax. */
  parseMatcher: (s: string) => SilenceMatcher;
  startTime: Date;
}

declare module 'fastify' {
  interface FastifyInstance {
    alertmanager: ApiV2Deps;
  }
}

function goTime(ms: number): string {
  return ms <= 0 ? '0001-01-01T00:00:00.000Z' : new Date(ms).toISOString();
}

function parseTimeField(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new SilenceError(`${field} in body must be of type date-time`);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new SilenceError(`${field} in body must be of type date-time: "${v}"`);
  // Go's zero time means "not set".
  return ms <= Date.parse('0001-01-01T00:00:00Z') + 1000 ? undefined : ms;
}

function boolParam(v: string | undefined, def: boolean): boolean {
  if (v === undefined) return def;
  return v === 'true' || v === '1';
}

function filterPredicate(deps: ApiV2Deps, filter: string | string[] | undefined): (l: Labels) => boolean {
  const list = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
  return matchersPredicate(list.map((f) => deps.parseMatcher(f)));
}

function silenceJson(s: Silence, now: number): Record<string, unknown> {
  return {
    id: s.id,
    status: { state: silenceState(s, now) },
    updatedAt: goTime(s.updatedAt),
    comment: s.comment,
    createdBy: s.createdBy,
    endsAt: goTime(s.endsAt),
    matchers: s.matchers,
    startsAt: goTime(s.startsAt),
  };
}

const badRequest = (reply: import('fastify').FastifyReply, msg: string) => reply.status(400).type('application/json').send(JSON.stringify(msg));

export async function alertmanagerApiV2(app: FastifyInstance): Promise<void> {
  const deps = app.alertmanager;
  const { core } = deps;

  const alertJson = (a: Alert): Record<string, unknown> => ({
    annotations: a.annotations,
    endsAt: goTime(a.endsAt),
    fingerprint: fingerprint(a.labels),
    receivers: core.receiversFor(a.labels).map((name) => ({ name })),
    startsAt: goTime(a.startsAt),
    status: core.status(a.labels),
    updatedAt: goTime(a.updatedAt),
    generatorURL: a.generatorURL,
    labels: a.labels,
  });

  app.get('/api/v2/status', async () => {
    const b = buildInfo();
    return {
      cluster: { name: '', peers: [], status: 'disabled' },
      config: { original: core.currentConfig.original },
      uptime: deps.startTime.toISOString(),
      versionInfo: { branch: b.branch, buildDate: b.buildDate, buildUser: b.buildUser, goVersion: b.goVersion, revision: b.revision, version: b.version },
    };
  });

  app.get('/api/v2/receivers', async () => [...routeReceivers(core.currentConfig.route)].sort().map((name) => ({ name })));

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/api/v2/alerts', async (req, reply) => {
    const q = req.query;
    let match: (l: Labels) => boolean;
    try {
      match = filterPredicate(deps, q.filter);
    } catch (e) {
      return badRequest(reply, (e as Error).message);
    }
    const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
    const active = boolParam(one(q.active), true);
    const silenced = boolParam(one(q.silenced), true);
    const inhibited = boolParam(one(q.inhibited), true);
    const receiver = one(q.receiver);
    let receiverRe: RegExp | undefined;
    try {
      receiverRe = receiver === undefined ? undefined : compileAnchored(receiver, { dotAll: false });
    } catch (e) {
      return badRequest(reply, (e as Error).message);
    }
    const now = Date.now();
    const out: Record<string, unknown>[] = [];
    for (const a of core.alerts.values()) {
      if (isResolved(a, now) || !match(a.labels)) continue;
      const st = core.status(a.labels);
      if (!silenced && st.silencedBy.length > 0) continue;
      if (!inhibited && st.inhibitedBy.length > 0) continue;
      if (!active && st.state === 'active') continue;
      if (receiverRe !== undefined && !core.receiversFor(a.labels).some((r) => receiverRe.test(r))) continue;
      out.push(alertJson(a));
    }
    out.sort((x, y) => String(x.fingerprint).localeCompare(String(y.fingerprint)));
    return out;
  });

  app.post('/api/v2/alerts', async (req, reply) => {
    const body = req.body;
    if (!Array.isArray(body)) return badRequest(reply, 'body must be a list of alerts');
    try {
      core.receive(
        body.map((raw: Record<string, unknown>, i: number) => {
          if (raw === null || typeof raw !== 'object' || typeof raw.labels !== 'object' || raw.labels === null) throw new SilenceError(`${i}.labels in body is required`);
          return {
            labels: raw.labels as Labels,
            annotations: (raw.annotations ?? {}) as Labels,
            startsAt: parseTimeField(raw.startsAt, `${i}.startsAt`),
            endsAt: parseTimeField(raw.endsAt, `${i}.endsAt`),
            generatorURL: typeof raw.generatorURL === 'string' ? raw.generatorURL : '',
          };
        }),
      );
    } catch (e) {
      return badRequest(reply, (e as Error).message);
    }
    return reply.status(200).send();
  });

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/api/v2/alerts/groups', async (req, reply) => {
    let match: (l: Labels) => boolean;
    try {
      match = filterPredicate(deps, req.query.filter);
    } catch (e) {
      return badRequest(reply, (e as Error).message);
    }
    const now = Date.now();
    return core
      .groups()
      .map((g) => ({
        labels: g.labels,
        receiver: { name: g.route.receiver },
        alerts: g.fingerprints
          .map((fp) => core.alerts.get(fp))
          .filter((a): a is Alert => a !== undefined && !isResolved(a, now) && match(a.labels))
          .map(alertJson),
      }))
      .filter((g) => g.alerts.length > 0);
  });

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/api/v2/silences', async (req, reply) => {
    let filter: SilenceMatcher[] = [];
    try {
      const f = req.query.filter;
      filter = (f === undefined ? [] : Array.isArray(f) ? f : [f]).map((s) => deps.parseMatcher(s));
    } catch (e) {
      return badRequest(reply, (e as Error).message);
    }
    const now = Date.now();
    const order: Record<string, number> = { active: 0, pending: 1, expired: 2 };
    return core.silences
      .list()
      // A silence is shown when it has every filter matcher (as Alertmanager compares them).
      .filter((s) => filter.every((f) => s.matchers.some((m) => m.name === f.name && m.value === f.value && m.isRegex === f.isRegex && m.isEqual === f.isEqual)))
      .sort((a, b) => order[silenceState(a, now)]! - order[silenceState(b, now)]! || a.endsAt - b.endsAt)
      .map((s) => silenceJson(s, now));
  });

  app.post('/api/v2/silences', async (req, reply) => {
    const raw = req.body as Record<string, unknown> | null;
    try {
      if (raw === null || typeof raw !== 'object') throw new SilenceError('body must be a silence');
      const matchers = (Array.isArray(raw.matchers) ? raw.matchers : []).map((m: Record<string, unknown>) => ({
        name: String(m.name ?? ''),
        value: String(m.value ?? ''),
        isRegex: m.isRegex === true,
        isEqual: m.isEqual === undefined ? true : m.isEqual === true,
      }));
      const startsAt = parseTimeField(raw.startsAt, 'startsAt');
      const endsAt = parseTimeField(raw.endsAt, 'endsAt');
      if (startsAt === undefined) throw new SilenceError('startsAt in body is required');
      if (endsAt === undefined) throw new SilenceError('endsAt in body is required');
      const id = core.silences.set(
        { id: typeof raw.id === 'string' ? raw.id : undefined, matchers, startsAt, endsAt, createdBy: String(raw.createdBy ?? ''), comment: String(raw.comment ?? '') },
        Date.now(),
      );
      return { silenceID: id };
    } catch (e) {
      const msg = (e as Error).message;
      if (msg.endsWith('not found')) return reply.status(404).type('application/json').send(JSON.stringify(msg));
      return badRequest(reply, msg);
    }
  });

  app.get<{ Params: { id: string } }>('/api/v2/silence/:id', async (req, reply) => {
    const s = core.silences.get(req.params.id);
    if (s === undefined) return reply.status(404).send();
    return silenceJson(s, Date.now());
  });

  app.delete<{ Params: { id: string } }>('/api/v2/silence/:id', async (req, reply) => {
    try {
      core.silences.expire(req.params.id, Date.now());
    } catch (e) {
      const msg = (e as Error).message;
      if (msg.endsWith('not found')) return reply.status(404).send();
      return reply.status(500).type('application/json').send(JSON.stringify(msg));
    }
    return reply.status(200).send();
  });
}
