// A query's result as the API's success envelope, encoded straight to JSON bytes (no per-point
// objects): a query worker sends it to the main thread as is. Range results, which grow with
// steps x series, are written by the native encoder (crates/api-json) from the dense rows.
import type { DenseRangeResult, InstantSample, QueryResult } from '../../promql/index.js';
import { formatJsonValue } from '../../model/float.js';
import { loadNative } from '../../storage/index.js';
import { hasHistograms, toRangeSeries } from '../../promql/range-result.js';
import type { FloatHistogram } from '../../model/histogram.js';
import { histogramJson } from '../../web/api/histogram-json.js';

const point = (t: number, v: number): string => `[${JSON.stringify(t / 1000)},${JSON.stringify(formatJsonValue(v))}]`;
const histogramPoint = (t: number, h: FloatHistogram): string => `[${JSON.stringify(t / 1000)},${JSON.stringify(histogramJson(h))}]`;

function envelopeEnd(r: { warnings: string[]; infos: string[] }): string {
  const warnings = r.warnings.length > 0 ? `,"warnings":${JSON.stringify(r.warnings)}` : '';
  const infos = r.infos.length > 0 ? `,"infos":${JSON.stringify(r.infos)}` : '';
  return `${warnings}${infos}}`;
}

/**
 * `{"resultType":"vector","result":[...]}`, the first `limit` samples (0: all). One string grown
 * sample by sample: an instant vector has a row per series, and its samples mostly share the
 * query's time, whose text is made once.
 */
function vectorJson(samples: readonly InstantSample[], limit: number): string {
  const rows = limit > 0 ? Math.min(limit, samples.length) : samples.length;
  let out = '{"resultType":"vector","result":[';
  let lastT = NaN;
  let timeText = '';
  for (let i = 0; i < rows; i++) {
    const s = samples[i]!;
    if (i > 0) out += ',';
    out += `{"metric":${JSON.stringify(s.metric)},`;
    // A native-histogram sample is written as `histogram` instead of `value`, as Prometheus does.
    if (s.h !== undefined) {
      out += `"histogram":${histogramPoint(s.t, s.h)}}`;
      continue;
    }
    if (s.t !== lastT) {
      lastT = s.t;
      timeText = JSON.stringify(s.t / 1000);
    }
    // A value's text is digits, signs, '.', 'e', NaN or Inf: nothing JSON escapes.
    out += `"value":[${timeText},"${formatJsonValue(s.value)}"]}`;
  }
  return `${out}]}`;
}

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
    case 'vector':
      parts.push(vectorJson(r.result, limit));
      break;
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
  return `{"status":"success","data":${parts.join('')}${envelopeEnd(r)}`;
}

const utf8 = new TextEncoder();

/**
 * A string as UTF-8: into `into`'s memory when it fits (a view of its first bytes), else a new
 * buffer. Reusing memory already mapped saves a page fault per 4 KiB of a fresh buffer.
 */
export function utf8Bytes(text: string, into?: Uint8Array): Uint8Array {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: a buffer that large always fits.
  if (into !== undefined && into.length >= text.length * 3) return into.subarray(0, utf8.encodeInto(text, into).written);
  if (into !== undefined && into.length >= text.length) {
    const r = utf8.encodeInto(text, into);
    if (r.read === text.length) return into.subarray(0, r.written);
  }
  return utf8.encode(text);
}

/**
 * A range query's success envelope (UTF-8 JSON), the first `limit` series (0: all); in `into`'s
 * memory when it fits.
 */
export function encodeRangeSuccess(d: DenseRangeResult, limit = 0, into?: Uint8Array): Uint8Array {
  // Native histograms are objects, not dense values: such results take the per-point encoder.
  if (hasHistograms(d)) return utf8Bytes(encodeSuccess({ resultType: 'matrix', result: toRangeSeries(d), warnings: d.warnings, infos: d.infos }, limit), into);
  const rows = limit > 0 ? Math.min(limit, d.metrics.length) : d.metrics.length;
  const order = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  const metrics = d.metrics.map((m) => JSON.stringify(m)).join('\n');
  return loadNative().encodeMatrixJson('{"status":"success","data":{"resultType":"matrix","result":', metrics, d.values, d.present, order, d.n, d.startMs, d.stepMs, `}${envelopeEnd(d)}`, into);
}
