// Parameters of the HTTP API, parsed as Prometheus parses them: times as RFC 3339 or Unix seconds
// with decimals, durations as Prometheus durations or float seconds, repeated `match[]`. GET query
// strings and POST form bodies are read the same way.
import type { FastifyRequest } from 'fastify';
import { ApiError } from './envelope.js';

export type Params = Record<string, string | string[] | undefined>;

/** Query string and form body merged; body values follow query values (both count for `match[]`). */
export function requestParams(req: FastifyRequest): Params {
  const out: Params = {};
  const add = (src: unknown): void => {
    if (src === null || typeof src !== 'object') return;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      const vals = Array.isArray(v) ? v.map(String) : [String(v)];
      const prev = out[k];
      out[k] = prev === undefined ? (vals.length === 1 ? vals[0] : vals) : [...(Array.isArray(prev) ? prev : [prev]), ...vals];
    }
  };
  add(req.query);
  if (req.method === 'POST') add(req.body);
  return out;
}

export function single(p: Params, name: string): string | undefined {
  const v = p[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return v;
}

export function multi(p: Params, name: string): string[] {
  const v = p[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

// Prometheus's minimum and maximum times for open ranges (what `start`/`end` default to).
export const MIN_TIME_MS = -9223372036854;
export const MAX_TIME_MS = 9223372036854;

/** Parses a time parameter to milliseconds. */
export function parseTime(s: string, name = 'time'): number {
  const t = s.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
    const secs = Number(t);
    // Rounded to the millisecond, as Prometheus does.
    return Math.round(secs * 1000);
  }
  // Prometheus accepts its own min/max time strings that clients (e.g. Grafana) send.
  if (t === '-292273086-05-16T16:47:06Z' || t === '0001-01-01T00:00:00Z') return MIN_TIME_MS;
  if (t === '292277025-08-18T07:12:54.999999999Z') return MAX_TIME_MS;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ApiError('bad_data', `invalid parameter "${name}": cannot parse "${s}" to a valid timestamp`);
}

const DURATION_UNITS: Record<string, number> = { y: 365 * 24 * 3600e3, w: 7 * 24 * 3600e3, d: 24 * 3600e3, h: 3600e3, m: 60e3, s: 1e3, ms: 1 };

/** Parses a duration parameter (e.g. `step`, `timeout`, `lookback_delta`) to milliseconds. */
export function parseDurationParam(s: string, name: string): number {
  const t = s.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
    const secs = Number(t);
    if (!Number.isFinite(secs)) throw new ApiError('bad_data', `invalid parameter "${name}": cannot parse "${s}" to a valid duration. It overflows int64`);
    return Math.round(secs * 1000);
  }
  const re = /(\d+)(ms|[ywdhms])/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    matched += m[0].length;
  }
  if (matched !== t.length || t.length === 0) {
    throw new ApiError('bad_data', `invalid parameter "${name}": cannot parse "${s}" to a valid duration`);
  }
  return total;
}

/** Seconds with millisecond precision, as Prometheus's JSON timestamps (`1435781451.781`). */
export function toUnixSeconds(ms: number): number {
  return ms / 1000;
}

/** Sample values are strings in the API so that NaN and ±Inf survive JSON. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return formatGoFloat(v);
}

/**
 * Go's strconv.FormatFloat(v, 'f', -1, 64) for the magnitudes Prometheus prints: shortest
 * representation, exponent form only where Go's 'g'-like switch in the JSON encoder uses it.
 * Prometheus uses FormatFloat(f, 'f', -1, 64) for sample values: never an exponent.
 */
export function formatGoFloat(v: number): string {
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  if (!/e/i.test(s)) return s;
  // Expand JavaScript's exponent form into plain digits, as Go's 'f' format prints them.
  const [mant, expPart] = s.split('e') as [string, string];
  const exp = Number(expPart);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const pointPos = (mant.replace('-', '').indexOf('.') === -1 ? mant.replace('-', '').length : mant.replace('-', '').indexOf('.')) + exp;
  let out: string;
  if (pointPos <= 0) out = '0.' + '0'.repeat(-pointPos) + digits;
  else if (pointPos >= digits.length) out = digits + '0'.repeat(pointPos - digits.length);
  else out = digits.slice(0, pointPos) + '.' + digits.slice(pointPos);
  return (neg ? '-' : '') + out;
}
