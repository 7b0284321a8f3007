// /api/v1/query, /api/v1/query_range and /api/v1/format_query, GET and POST, with Prometheus's
// parameter handling and errors (e.g. the 11,000-points limit is checked before evaluation).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, success } from './envelope.js';
import { parseCount, parseDurationParam, parseTime, requestParams, single } from './params.js';
import type { QueryOptions, QueryResponse } from '../services.js';
import { rangeStepError } from '../../promql/limits.js';
import { formParams, QUERY_PARAMS, queryParams } from './schemas.js';
import { sendJson } from './gzip.js';

const querySchema = queryParams(QUERY_PARAMS);
const queryFormSchema = formParams(QUERY_PARAMS);

function options(p: ReturnType<typeof requestParams>): QueryOptions {
  const o: QueryOptions = {};
  const timeout = single(p, 'timeout');
  if (timeout !== undefined && timeout !== '') o.timeoutMs = parseDurationParam(timeout, 'timeout');
  const lookback = single(p, 'lookback_delta');
  if (lookback !== undefined && lookback !== '') o.lookbackDeltaMs = parseDurationParam(lookback, 'lookback_delta');
  const limit = parseCount(p, 'limit', 0, -1, 'limit must be a non-negative number');
  if (limit >= 0) o.limit = limit;
  return o;
}

/** The response: sent as is when a query worker encoded it already, else the envelope to serialize. */
function answer(req: FastifyRequest, reply: FastifyReply, r: QueryResponse & { encoded?: unknown; release?: () => void }): unknown {
  // Its memory serves a later answer once this one was written out (or the client went away).
  if (Buffer.isBuffer(r.encoded)) return sendJson(req, reply, r.encoded, r.release);
  return success(r.data, r.warnings, r.infos);
}

function requireQuery(p: ReturnType<typeof requestParams>): string {
  const q = single(p, 'query');
  if (q === undefined) throw new ApiError('bad_data', 'invalid parameter "query": unknown position: parse error: no expression found in input');
  return q;
}

/** The request as the query log records it. */
function originOf(req: FastifyRequest): Record<string, unknown> {
  return { httpRequest: { clientIP: req.ip, method: req.method, path: req.url.split('?')[0] } };
}

export async function queryApi(app: FastifyInstance): Promise<void> {
  const { queries } = app.services;

  const instant = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = requestParams(req);
    const expr = requireQuery(p);
    const t = single(p, 'time');
    const time = t === undefined || t === '' ? Date.now() : parseTime(t, 'time');
    const r = await queries.instant(expr, time, { ...options(p), origin: originOf(req) });
    return answer(req, reply, r);
  };
  app.get('/api/v1/query', { schema: querySchema }, instant);
  app.post('/api/v1/query', { schema: queryFormSchema }, instant);

  const range = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = requestParams(req);
    const expr = requireQuery(p);
    const startText = single(p, 'start');
    const endText = single(p, 'end');
    const stepText = single(p, 'step');
    if (startText === undefined) throw new ApiError('bad_data', 'invalid parameter "start": cannot parse "" to a valid timestamp');
    if (endText === undefined) throw new ApiError('bad_data', 'invalid parameter "end": cannot parse "" to a valid timestamp');
    const start = parseTime(startText, 'start');
    const end = parseTime(endText, 'end');
    if (end < start) throw new ApiError('bad_data', 'invalid parameter "end": end timestamp must not be before start time');
    if (stepText === undefined) throw new ApiError('bad_data', 'invalid parameter "step": cannot parse "" to a valid duration');
    const step = parseDurationParam(stepText, 'step');
    const stepError = rangeStepError(start, end, step);
    if (stepError) throw new ApiError('bad_data', stepError.param ? `invalid parameter "${stepError.param}": ${stepError.message}` : stepError.message);
    const r = await queries.range(expr, start, end, step, { ...options(p), origin: originOf(req) });
    return answer(req, reply, r);
  };
  app.get('/api/v1/query_range', { schema: querySchema }, range);
  app.post('/api/v1/query_range', { schema: queryFormSchema }, range);

  const format = async (req: FastifyRequest) => {
    const p = requestParams(req);
    return success(queries.format(requireQuery(p)));
  };
  app.get('/api/v1/format_query', { schema: queryParams(['query']) }, format);
  app.post('/api/v1/format_query', { schema: formParams(['query']) }, format);
}
