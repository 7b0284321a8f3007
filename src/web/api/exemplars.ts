// /api/v1/query_exemplars: the exemplars stored (with --enable-feature=exemplar-storage) for the
// series the query's selectors match, in [start, end]. Without exemplar storage the answer is an
// empty list, as Prometheus gives; Grafana asks this endpoint on every panel with exemplars on.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, success } from './envelope.js';
import { MAX_TIME_MS, MIN_TIME_MS, parseTime, requestParams, single } from './params.js';
import { formParams, queryParams } from './schemas.js';

const EXEMPLARS_PARAMS = ['query', 'start', 'end'] as const;

export async function exemplarsApi(app: FastifyInstance): Promise<void> {
  const handler = async (req: FastifyRequest) => {
    const p = requestParams(req);
    const s = single(p, 'start');
    const e = single(p, 'end');
    const start = s === undefined || s === '' ? MIN_TIME_MS : parseTime(s, 'start');
    const end = e === undefined || e === '' ? MAX_TIME_MS : parseTime(e, 'end');
    if (end < start) throw new ApiError('bad_data', 'end timestamp must not be before start timestamp');
    return success(await app.services.series.exemplars(single(p, 'query') ?? '', start, end));
  };
  app.get('/api/v1/query_exemplars', { schema: queryParams(EXEMPLARS_PARAMS) }, handler);
  app.post('/api/v1/query_exemplars', { schema: formParams(EXEMPLARS_PARAMS) }, handler);
}
