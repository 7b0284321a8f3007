// /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, success } from './envelope.js';
import { MAX_TIME_MS, MIN_TIME_MS, multi, parseCount, parseTime, requestParams, single, type Params } from './params.js';
import { formParams, queryParams, SERIES_PARAMS } from './schemas.js';
import { LEGACY_LABEL_NAME } from '../../model/labels.js';

function timeRange(p: Params): { start: number; end: number } {
  const s = single(p, 'start');
  const e = single(p, 'end');
  const start = s === undefined || s === '' ? MIN_TIME_MS : parseTime(s, 'start');
  const end = e === undefined || e === '' ? MAX_TIME_MS : parseTime(e, 'end');
  if (end < start) throw new ApiError('bad_data', 'invalid parameter "end": end timestamp must not be before start time');
  return { start, end };
}

function limitParam(p: Params): number {
  return parseCount(p, 'limit', 0, 0, 'limit must be a non-negative number');
}

export async function seriesApi(app: FastifyInstance): Promise<void> {
  const { series } = app.services;

  const seriesHandler = async (req: FastifyRequest) => {
    const p = requestParams(req);
    const matchers = multi(p, 'match[]');
    if (matchers.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
    const { start, end } = timeRange(p);
    const r = await series.series(matchers, start, end, limitParam(p));
    return success(r.result, r.warnings);
  };
  app.get('/api/v1/series', { schema: queryParams(SERIES_PARAMS) }, seriesHandler);
  app.post('/api/v1/series', { schema: formParams(SERIES_PARAMS) }, seriesHandler);

  const labelsHandler = async (req: FastifyRequest) => {
    const p = requestParams(req);
    const { start, end } = timeRange(p);
    const r = await series.labelNames(multi(p, 'match[]'), start, end, limitParam(p));
    return success(r.result, r.warnings);
  };
  app.get('/api/v1/labels', { schema: queryParams(SERIES_PARAMS) }, labelsHandler);
  app.post('/api/v1/labels', { schema: formParams(SERIES_PARAMS) }, labelsHandler);

  const labelValuesSchema = { ...queryParams(SERIES_PARAMS), params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } };
  app.get<{ Params: { name: string } }>('/api/v1/label/:name/values', { schema: labelValuesSchema }, async (req) => {
    let name = req.params.name;
    // Prometheus 3 accepts UTF-8 label names escaped as U__<hex escapes>.
    if (name.startsWith('U__')) name = unescapeUtf8Name(name.slice(3));
    else if (!LEGACY_LABEL_NAME.test(name)) throw new ApiError('bad_data', `invalid label name: "${name}"`);
    const p = requestParams(req);
    const { start, end } = timeRange(p);
    const r = await series.labelValues(name, multi(p, 'match[]'), start, end, limitParam(p));
    return success(r.result, r.warnings);
  });
}

/** Reverses the `U__` value encoding: `__` is `_`, `_XX_` is the code point XX (hex). */
function unescapeUtf8Name(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '_') {
      out += s[i];
      continue;
    }
    if (s[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const end = s.indexOf('_', i + 1);
    if (end === -1) throw new ApiError('bad_data', `invalid label name escape: "${s}"`);
    const hex = s.slice(i + 1, end);
    const cp = /^[0-9a-fA-F]{1,6}$/.test(hex) ? parseInt(hex, 16) : NaN;
    // A code point must be a Unicode scalar value (no surrogates, nothing past U+10FFFF).
    if (!(cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) throw new ApiError('bad_data', `invalid label name escape: "${s}"`);
    out += String.fromCodePoint(cp);
    i = end;
  }
  return out;
}
