// The engine's results and errors in the HTTP API's shapes (for queries evaluated on this thread).
import type { QueryResult } from '../promql/index.js';
import { formatJsonValue } from '../model/float.js';
import { histogramPointJson } from '../web/api/histogram-json.js';
import type { QueryData } from '../web/services.js';
import { ApiError } from '../web/api/envelope.js';
import { QueryError } from '../promql/values.js';
import { PromQLSyntaxError } from '../promql/parser/parser.js';

function sampleValue(v: number): string {
  return formatJsonValue(v);
}

/** The engine's result in the HTTP API's JSON shapes. */
export function toApiData(r: QueryResult, limit = 0): QueryData {
  switch (r.resultType) {
    case 'scalar':
      return { resultType: 'scalar', result: [r.result.t / 1000, sampleValue(r.result.value)] };
    case 'string':
      return { resultType: 'string', result: [r.result.t / 1000, r.result.value] };
    case 'vector': {
      const rows = limit > 0 ? r.result.slice(0, limit) : r.result;
      return { resultType: 'vector', result: rows.map((s) => (s.h !== undefined ? { metric: s.metric, histogram: histogramPointJson(s.t, s.h) } : { metric: s.metric, value: [s.t / 1000, sampleValue(s.value)] })) };
    }
    case 'matrix': {
      const rows = limit > 0 ? r.result.slice(0, limit) : r.result;
      return {
        resultType: 'matrix',
        result: rows.map((s) => {
          const hs = s.histograms ?? [];
          return {
            metric: s.metric,
            ...(s.t.length > 0 || hs.length === 0 ? { values: s.t.map((t, i) => [t / 1000, sampleValue(s.v[i]!)]) } : {}),
            ...(hs.length > 0 ? { histograms: hs.map((p) => histogramPointJson(p.t, p.h)) } : {}),
          };
        }),
      };
    }
  }
}

/** The API's error for a failed query; parse errors name the parameter as Prometheus's API does. */
export function apiError(e: unknown): never {
  if (e instanceof ApiError) throw e;
  if (e instanceof PromQLSyntaxError) throw new ApiError('bad_data', `invalid parameter "query": ${e.message}`);
  if (e instanceof QueryError) throw new ApiError(e.errorType, e.message);
  throw new ApiError('internal', (e as Error).message ?? String(e));
}
