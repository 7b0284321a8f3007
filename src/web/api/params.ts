// Parameters of the HTTP API, parsed as Prometheus parses them: times as RFC 3339 or Unix seconds
// with decimals, durations as Prometheus durations or float seconds, repeated `match[]`. GET query
// strings and POST/PUT form bodies are read the same way.
import type { FastifyRequest } from 'fastify';
import { ApiError } from './envelope.js';
import { scanDuration } from '../../model/duration.js';

export type Params = Record<string, string | string[] | undefined>;

/**
 * Form body and query string merged as Go's ParseForm merges them: body values first, then the
 * query string's (both count for `match[]`); a single-valued parameter is the first value, as
 * Go's FormValue reads it.
 */
export function requestParams(req: FastifyRequest): Params {
  // Parameter names are the client's: no prototype, so `constructor` or `__proto__` are just names.
  const out: Params = Object.create(null) as Params;
  const add = (src: unknown): void => {
    if (src === null || typeof src !== 'object') return;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      const vals = Array.isArray(v) ? v.map(String) : [String(v)];
      const prev = out[k];
      out[k] = prev === undefined ? (vals.length === 1 ? vals[0] : vals) : [...(Array.isArray(prev) ? prev : [prev]), ...vals];
    }
  };
  // Go's ParseForm reads the form body of POST, PUT and PATCH requests alike, and puts it first.
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') add(req.body);
  add(req.query);
  return out;
}

export function single(p: Params, name: string): string | undefined {
  const v = p[name];
  if (Array.isArray(v)) return v[0];
  return v;
}

export function multi(p: Params, name: string): string[] {
  const v = p[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

// The open-range bounds (what `start`/`end` default to) and the widest times the storage takes:
// milliseconds must stay exact in a double on their way to the native TSDB. Prometheus's own
// MinTime/MaxTime reach further (int64 milliseconds), but no sample is ever stored out there, so a
// time beyond these bounds answers the same when clamped to them.
export const MIN_TIME_MS = -9223372036854;
export const MAX_TIME_MS = 9223372036854;

/** A time in milliseconds held to [MIN_TIME_MS, MAX_TIME_MS]. */
export function clampTime(ms: number): number {
  return Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, ms));
}

// What Go's strconv.ParseFloat reads in decimal: digits with an optional exponent, or NaN/Inf words.
const FLOAT_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE_TEXT = /^[+-]?(inf|infinity|nan)$/i;

/**
 * Parses a time parameter to milliseconds. Unix seconds beyond what can be stored are clamped
 * (Prometheus answers them without error too); NaN and ±Inf are the minimum time, which is where
 * Prometheus's float-to-int64 conversion puts them.
 */
export function parseTime(s: string, name = 'time'): number {
  // Not trimmed: Go's ParseFloat and time.Parse refuse surrounding spaces, and so does Prometheus.
  const t = s;
  if (FLOAT_TEXT.test(t)) {
    const secs = Number(t);
    // Rounded to the millisecond, as Prometheus does.
    return clampTime(Math.round(secs * 1000));
  }
  if (NON_FINITE_TEXT.test(t)) return MIN_TIME_MS;
  // Prometheus accepts its own min/max time strings that clients (e.g. Grafana) send.
  if (t === '-292273086-05-16T16:47:06Z' || t === '0001-01-01T00:00:00Z') return MIN_TIME_MS;
  if (t === '292277025-08-18T07:12:54.999999999Z') return MAX_TIME_MS;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ApiError('bad_data', `invalid parameter "${name}": cannot parse ${goQuote(s)} to a valid timestamp`);
}

// time.Duration is int64 nanoseconds: Prometheus refuses durations beyond it (~292 years).
export const MAX_DURATION_MS = 9223372036854;

/** Parses a duration parameter (e.g. `step`, `timeout`, `lookback_delta`) to milliseconds. */
export function parseDurationParam(s: string, name: string): number {
  const t = s;
  if (FLOAT_TEXT.test(t)) {
    const secs = Number(t);
    // Prometheus compares the nanoseconds with int64's range.
    if (Math.abs(secs) * 1e9 >= 2 ** 63) throw new ApiError('bad_data', `invalid parameter "${name}": cannot parse ${goQuote(s)} to a valid duration. It overflows int64`);
    return Math.round(secs * 1000);
  }
  const ms = scanDuration(t, { strict: true });
  if (ms === undefined || ms > MAX_DURATION_MS) throw new ApiError('bad_data', `invalid parameter "${name}": cannot parse ${goQuote(s)} to a valid duration`);
  return ms;
}

/**
 * A count parameter (`limit`) read as Go's strconv.Atoi reads it: optional sign and decimal digits
 * within int64, nothing else (no exponents, no fractions). `min` is the smallest accepted value;
 * absent or empty gives `absent`. Values past what any list can hold are capped at 2^32-1.
 */
export function parseCount(p: Params, name: string, min: number, absent: number, message: string): number {
  const text = single(p, name);
  if (text === undefined || text === '') return absent;
  if (!/^[+-]?\d{1,19}$/.test(text)) throw new ApiError('bad_data', message);
  const n = BigInt(text);
  if (n >= 2n ** 63n || n < -(2n ** 63n) || n < BigInt(min)) throw new ApiError('bad_data', message);
  return Number(n > 0xffffffffn ? 0xffffffffn : n);
}

/** Go's %q for the ASCII texts of error messages: quotes, backslashes and control characters escaped. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Seconds with millisecond precision, as Prometheus's JSON timestamps (`1435781451.781`). */
export function toUnixSeconds(ms: number): number {
  return ms / 1000;
}

/** Sample values are strings in the API so that NaN and ±Inf survive JSON (Go's 'f' format, never an exponent). */
export { formatValue, formatGoFloat } from '../../model/float.js';
