// /api/v1/status/tsdb and the admin endpoints (delete_series, clean_tombstones, snapshot), the
// latter only with --web.enable-admin-api as in Prometheus.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, success } from './envelope.js';
import { MAX_TIME_MS, MIN_TIME_MS, multi, parseCount, parseTime, requestParams, single } from './params.js';
import { formParams, noParams, queryParams } from './schemas.js';

const DELETE_SERIES_PARAMS = ['match[]', 'start', 'end'] as const;

export async function tsdbApi(app: FastifyInstance): Promise<void> {
  const { tsdb } = app.services;

  app.get('/api/v1/status/tsdb', { schema: queryParams(['limit']) }, async (req) => success(await tsdb.status(parseCount(requestParams(req), 'limit', 1, 10, 'limit must be a positive number'))));

  const requireAdmin = (): void => {
    if (!tsdb.adminEnabled) throw new ApiError('unavailable', 'admin APIs disabled');
  };

  const deleteSeries = async (req: FastifyRequest) => {
    requireAdmin();
    const p = requestParams(req);
    const matchers = multi(p, 'match[]');
    if (matchers.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
    const s = single(p, 'start');
    const e = single(p, 'end');
    // Empty means open, as Prometheus reads it; a start after the end deletes nothing (204 all the same).
    await tsdb.deleteSeries(matchers, s === undefined || s === '' ? MIN_TIME_MS : parseTime(s, 'start'), e === undefined || e === '' ? MAX_TIME_MS : parseTime(e, 'end'));
    return null;
  };
  app.post('/api/v1/admin/tsdb/delete_series', { schema: formParams(DELETE_SERIES_PARAMS) }, async (req, reply) => {
    await deleteSeries(req);
    return reply.status(204).send();
  });
  app.put('/api/v1/admin/tsdb/delete_series', { schema: formParams(DELETE_SERIES_PARAMS) }, async (req, reply) => {
    await deleteSeries(req);
    return reply.status(204).send();
  });

  const clean = async (_req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    requireAdmin();
    await tsdb.cleanTombstones();
    return reply.status(204).send();
  };
  app.post('/api/v1/admin/tsdb/clean_tombstones', { schema: noParams }, clean);
  app.put('/api/v1/admin/tsdb/clean_tombstones', { schema: noParams }, clean);

  const snapshot = async (req: FastifyRequest) => {
    requireAdmin();
    const p = requestParams(req);
    const skip = single(p, 'skip_head');
    const name = await tsdb.snapshot(skip === 'true' || skip === '1');
    return success({ name });
  };
  app.post('/api/v1/admin/tsdb/snapshot', { schema: formParams(['skip_head']) }, snapshot);
  app.put('/api/v1/admin/tsdb/snapshot', { schema: formParams(['skip_head']) }, snapshot);
}
