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
import { goParseUrl } from '../config/go-url.js';
import { labelSetOf } from '../labelset.js';
import { ApiError, decodeError, formatError, schemaError, sendApiError, type SchemaError } from './v2-errors.js';
import { alertsQuerySchema, noQuerySchema, postableAlertsSchema, postableSilenceSchema, silenceIdParamsSchema, silencesQuerySchema, type PostableAlertBody, type PostableSilenceBody } from './v2-schemas.js';

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

/** RFC 3339 date-times as go-openapi's strfmt reads them (a space for the T, optional seconds and zone). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

function parseTimeField(v: string | null | undefined, what: string, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const ms = DATE_TIME.test(v) ? Date.parse(/([Zz]|[+-]\d{2}:?\d{2})$/.test(v) ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`) : NaN;
  if (Number.isNaN(ms)) throw formatError(what, 'body', field, 'date-time', v);
  // Go's zero time means "not set".
  return ms <= Date.parse('0001-01-01T00:00:00Z') + 1000 ? undefined : ms;
}

/** generatorURL as strfmt's uri format takes it (Go's url.ParseRequestURI): absolute, or an absolute path. */
function checkGeneratorUrl(v: string, field: string): void {
  if (v === '') return;
  const u = goParseUrl(v);
  if ('error' in u || (u.scheme === '' && !v.startsWith('/'))) throw formatError('alerts', 'body', field, 'uri', v);
}

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** The body's schema violation, if fastify found one (routes use attachValidation). */
function validationFailure(what: string, req: { validationError?: Error & { validation?: unknown }; body: unknown }): ApiError | undefined {
  const v = req.validationError;
  if (v === undefined) return undefined;
  return schemaError(what, req.body, (v.validation ?? []) as SchemaError[]);
}

/** The words go-openapi's swag.ConvertBool takes as true; anything else is false (never an error). */
const TRUE_WORDS = new Set(['true', '1', 'yes', 'ok', 'y', 'on', 'selected', 'checked', 't', 'enabled']);

function boolParam(v: string | undefined, def: boolean): boolean {
  if (v === undefined) return def;
  return TRUE_WORDS.has(v.toLowerCase());
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

  app.get('/api/v2/status', { schema: { querystring: noQuerySchema } }, async () => {
    const b = buildInfo();
    return {
      cluster: { name: '', peers: [], status: 'disabled' },
      config: { original: core.currentConfig.original },
      uptime: deps.startTime.toISOString(),
      versionInfo: { branch: b.branch, buildDate: b.buildDate, buildUser: b.buildUser, goVersion: b.goVersion, revision: b.revision, version: b.version },
    };
  });

  app.get('/api/v2/receivers', { schema: { querystring: noQuerySchema } }, async () => [...routeReceivers(core.currentConfig.route)].sort().map((name) => ({ name })));

  type AlertQuery = { match: (a: Alert) => boolean; receiverRe: RegExp | undefined };
  /** The alert filters of GET /alerts and /alerts/groups (filter, active, silenced, inhibited, receiver). */
  const alertQuery = (q: Record<string, string | string[] | undefined>): AlertQuery => {
    const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
    const labelsMatch = filterPredicate(deps, q['filter']);
    const active = boolParam(one(q['active']), true);
    const silenced = boolParam(one(q['silenced']), true);
    const inhibited = boolParam(one(q['inhibited']), true);
    const receiver = one(q['receiver']);
    const receiverRe = receiver === undefined ? undefined : compileAnchored(receiver, { dotAll: false });
    const now = Date.now();
    const match = (a: Alert): boolean => {
      if (isResolved(a, now) || !labelsMatch(a.labels)) return false;
      const st = core.status(a.labels);
      if (!silenced && st.silencedBy.length > 0) return false;
      if (!inhibited && st.inhibitedBy.length > 0) return false;
      return active || st.state !== 'active';
    };
    return { match, receiverRe };
  };

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/api/v2/alerts', { schema: { querystring: alertsQuerySchema } }, async (req, reply) => {
    let q: AlertQuery;
    try {
      q = alertQuery(req.query);
    } catch (e) {
      return badRequest(reply, (e as Error).message);
    }
    const out: Record<string, unknown>[] = [];
    for (const a of core.alerts.values()) {
      if (!q.match(a)) continue;
      if (q.receiverRe !== undefined && !core.receiversFor(a.labels).some((r) => q.receiverRe!.test(r))) continue;
      out.push(alertJson(a));
    }
    out.sort((x, y) => String(x.fingerprint).localeCompare(String(y.fingerprint)));
    return out;
  });

  // Bodies that are not JSON: Alertmanager's 400 with the decoder's reason.
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err.statusCode === 400 || err instanceof SyntaxError) return sendApiError(reply, decodeError(req.url.includes('/silences') ? 'silence' : 'alerts', err.message));
    return reply.status(err.statusCode ?? 500).type('application/json').send(JSON.stringify({ code: err.statusCode ?? 500, message: err.message }));
  });

  app.post('/api/v2/alerts', { schema: { body: postableAlertsSchema }, attachValidation: true }, async (req, reply) => {
    let posted;
    try {
      const invalid = validationFailure('alerts', req);
      if (invalid !== undefined) throw invalid;
      posted = (req.body as PostableAlertBody[]).map((raw, i) => {
        const generatorURL = raw.generatorURL ?? '';
        checkGeneratorUrl(generatorURL, `${i}.generatorURL`);
        return {
          // Own entries only, into null-prototype sets (label names are the sender's).
          labels: labelSetOf(Object.entries(raw.labels).map(([k, v]) => [k, v ?? ''])),
          annotations: labelSetOf(Object.entries(raw.annotations ?? {}).map(([k, v]) => [k, v ?? ''])),
          startsAt: parseTimeField(raw.startsAt, 'alerts', `${i}.startsAt`),
          endsAt: parseTimeField(raw.endsAt, 'alerts', `${i}.endsAt`),
          generatorURL,
        };
      });
    } catch (e) {
      if (e instanceof ApiError) return sendApiError(reply, e);
      throw e;
    }
    try {
      core.receive(posted);
    } catch (e) {
      return badRequest(reply, (e as Error).message);
    }
    return reply.status(200).send();
  });

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/api/v2/alerts/groups', { schema: { querystring: alertsQuerySchema } }, async (req, reply) => {
    let q: AlertQuery;
    try {
      q = alertQuery(req.query);
    } catch (e) {
      return badRequest(reply, (e as Error).message);
    }
    return core
      .groups()
      // The receiver filter applies to the group's receiver here.
      .filter((g) => q.receiverRe === undefined || q.receiverRe.test(g.route.receiver))
      .map((g) => ({
        labels: g.labels,
        receiver: { name: g.route.receiver },
        alerts: g.fingerprints
          .map((fp) => core.alerts.get(fp))
          .filter((a): a is Alert => a !== undefined && q.match(a))
          .map(alertJson),
      }))
      .filter((g) => g.alerts.length > 0);
  });

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/api/v2/silences', { schema: { querystring: silencesQuerySchema } }, async (req, reply) => {
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

  app.post('/api/v2/silences', { schema: { body: postableSilenceSchema }, attachValidation: true }, async (req, reply) => {
    try {
      const invalid = validationFailure('silence', req);
      if (invalid !== undefined) throw invalid;
      const raw = req.body as PostableSilenceBody;
      const matchers = raw.matchers.map((m) => ({ name: m.name, value: m.value, isRegex: m.isRegex, isEqual: m.isEqual ?? true }));
      const startsAt = parseTimeField(raw.startsAt, 'silence', 'startsAt');
      const endsAt = parseTimeField(raw.endsAt, 'silence', 'endsAt');
      if (startsAt === undefined) throw new ApiError(422, 602, 'startsAt in body is required');
      if (endsAt === undefined) throw new ApiError(422, 602, 'endsAt in body is required');
      const id = core.silences.set({ id: raw.id, matchers, startsAt, endsAt, createdBy: raw.createdBy, comment: raw.comment }, Date.now());
      return { silenceID: id };
    } catch (e) {
      if (e instanceof ApiError) return sendApiError(reply, e);
      const msg = (e as Error).message;
      if (msg.endsWith('not found')) return reply.status(404).type('application/json').send(JSON.stringify(msg));
      // Not the silence's fault (e.g. the log could not be written): the server's error, not changed.
      if (!(e instanceof SilenceError)) return reply.status(500).type('application/json').send(JSON.stringify(`failed to create silence: ${msg}`));
      return badRequest(reply, msg);
    }
  });

  const badSilenceId = (id: string): ApiError | undefined => (UUID.test(id) ? undefined : formatError('silence', 'path', 'silenceID', 'uuid', id));

  app.get<{ Params: { id: string } }>('/api/v2/silence/:id', { schema: { params: silenceIdParamsSchema, querystring: noQuerySchema } }, async (req, reply) => {
    const bad = badSilenceId(req.params.id);
    if (bad !== undefined) return sendApiError(reply, bad);
    const s = core.silences.get(req.params.id);
    if (s === undefined) return reply.status(404).send();
    return silenceJson(s, Date.now());
  });

  app.delete<{ Params: { id: string } }>('/api/v2/silence/:id', { schema: { params: silenceIdParamsSchema, querystring: noQuerySchema } }, async (req, reply) => {
    const bad = badSilenceId(req.params.id);
    if (bad !== undefined) return sendApiError(reply, bad);
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
