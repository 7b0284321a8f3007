// /api/v1/query_exemplars. Promethium does not store exemplars (Prometheus keeps them only with
// --enable-feature=exemplar-storage, which we do not implement), so this answers as Prometheus does
// without that feature: the query and time range are validated the same way, and the result is an
// empty list. Grafana asks this endpoint on every panel with exemplars switched on; a 404 would be
// an error there.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, success } from './envelope.js';
import { MAX_TIME_MS, MIN_TIME_MS, parseTime, requestParams, single } from './params.js';
import { parseExpr } from '../../promql/parser.js';

const schema = {
  querystring: { type: 'object', properties: { query: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' } } },
} as const;

export async function exemplarsApi(app: FastifyInstance): Promise<void> {
  const handler = async (req: FastifyRequest) => {
    const p = requestParams(req);
    const s = single(p, 'start');
    const e = single(p, 'end');
    const start = s === undefined || s === '' ? MIN_TIME_MS : parseTime(s, 'start');
    const end = e === undefined || e === '' ? MAX_TIME_MS : parseTime(e, 'end');
    if (end < start) throw new ApiError('bad_data', 'end timestamp must not be before start timestamp');
    try {
      parseExpr(single(p, 'query') ?? '');
    } catch (err) {
      throw new ApiError('bad_data', (err as Error).message);
    }
    return success([]);
  };
  app.get('/api/v1/query_exemplars', { schema }, handler);
  app.post('/api/v1/query_exemplars', handler);
}
