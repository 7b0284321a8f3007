// A query's result as the API's success envelope, encoded straight to one JSON string (no
// per-point objects): a query worker sends it to the main thread as is.
import type { QueryResult } from '../../promql/index.js';
import { formatValue } from '../../promql/values.js';
import type { FloatHistogram } from '../../model/histogram.js';
import { histogramJson } from '../../web/api/histogram-json.js';

const point = (t: number, v: number): string => `[${JSON.stringify(t / 1000)},${JSON.stringify(formatValue(v))}]`;
const histogramPoint = (t: number, h: FloatHistogram): string => `[${JSON.stringify(t / 1000)},${JSON.stringify(histogramJson(h))}]`;

/** `{"status":"success","data":{...},"warnings":[...],"infos":[...]}`, the first `limit` series (0: all). */
export function encodeSuccess(r: QueryResult, limit = 0): string {
  const parts: string[] = [];
  switch (r.resultType) {
    case 'scalar':
      parts.push(`{"resultType":"scalar","result":${point(r.result.t, r.result.value)}}`);
      break;
    case 'string':
      parts.push(`{"resultType":"string","result":[${JSON.stringify(r.result.t / 1000)},${JSON.stringify(r.result.value)}]}`);
      break;
    case 'vector': {
      const rows = limit > 0 ? r.result.slice(0, limit) : r.result;
      parts.push('{"resultType":"vector","result":[');
      // A native-histogram sample is written as `histogram` instead of `value`, as Prometheus does.
      rows.forEach((s, i) => parts.push(`${i > 0 ? ',' : ''}{"metric":${JSON.stringify(s.metric)},${s.h !== undefined ? `"histogram":${histogramPoint(s.t, s.h)}` : `"value":${point(s.t, s.value)}`}}`));
      parts.push(']}');
      break;
    }
    case 'matrix': {
      const rows = limit > 0 ? r.result.slice(0, limit) : r.result;
      parts.push('{"resultType":"matrix","result":[');
      rows.forEach((s, i) => {
        const hs = s.histograms ?? [];
        // `values` holds the float points and `histograms` the histogram points; each is left out when empty.
        const values = s.t.length > 0 || hs.length === 0 ? `,"values":[${s.t.map((t, j) => point(t, s.v[j]!)).join(',')}]` : '';
        const histograms = hs.length > 0 ? `,"histograms":[${hs.map((p) => histogramPoint(p.t, p.h)).join(',')}]` : '';
        parts.push(`${i > 0 ? ',' : ''}{"metric":${JSON.stringify(s.metric)}${values}${histograms}}`);
      });
      parts.push(']}');
      break;
    }
  }
  const warnings = r.warnings.length > 0 ? `,"warnings":${JSON.stringify(r.warnings)}` : '';
  const infos = r.infos.length > 0 ? `,"infos":${JSON.stringify(r.infos)}` : '';
  return `{"status":"success","data":${parts.join('')}${warnings}${infos}}`;
}
