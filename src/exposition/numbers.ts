// Number syntax of the exposition formats, with the verdicts Prometheus 2.42 gives when it scrapes
// (checked against the real thing: __test__/exposition/prometheus-2.42-numbers.json).
//
// Prometheus reads sample values of both formats, and OpenMetrics timestamps, with Go's
// strconv.ParseFloat after refusing any 'p', 'P' or '_' ("keep to pre-Go 1.13 float formats"):
// so no hex floats (Go needs a 'p' exponent for them), no digit separators, no 0b/0o prefixes.
// Infinities may be signed and spelled inf or infinity in any case; NaN may not be signed.
// A decimal that rounds beyond the float64 range is an error; one that rounds to zero is zero.

export type NumberVerdict = { ok: true; value: number } | { ok: false; reason: string };

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(?:inity)?$/i;
const NAN = /^nan$/i;
const INT64_LIMIT = 2n ** 63n;

const ok = (value: number): NumberVerdict => ({ ok: true, value });
const refused = (reason: string): NumberVerdict => ({ ok: false, reason });

/** A float as Prometheus 2.42 reads it (its textparse parseFloat). */
export function readPromFloat(s: string): NumberVerdict {
  if (/[pP_]/.test(s)) return refused('unsupported character in float');
  if (INFINITY.test(s)) return ok(s.startsWith('-') ? -Infinity : Infinity);
  if (NAN.test(s)) return ok(NaN);
  if (!DECIMAL.test(s)) return refused('invalid syntax');
  const value = Number(s);
  // Number() and Go both round correctly; Go reports the overflow that Number() turns into ±Inf.
  if (!Number.isFinite(value)) return refused('value out of range');
  return ok(value);
}

/**
 * A text-format (0.0.4) timestamp: Prometheus's lexer takes digits only (no sign, point or
 * exponent) and reads them as an int64 with strconv.ParseInt.
 */
export function readTextTimestamp(s: string): NumberVerdict {
  if (!/^\d+$/.test(s)) return refused('a timestamp is an integer number of milliseconds, without sign');
  if (BigInt(s) >= INT64_LIMIT) return refused('value out of range (beyond int64)');
  return ok(Number(s));
}

/**
 * An OpenMetrics timestamp (seconds, a float) as milliseconds, as Prometheus 2.42 reads it when
 * scraping: NaN and infinities are refused; the rest is `int64(ts * 1000)`, truncated toward zero.
 * Go's conversion of a float beyond the int64 range gives the smallest int64 on amd64, so such a
 * sample is kept with that timestamp (and the storage refuses it as out of bounds).
 */
export function readOpenMetricsTimestamp(s: string): NumberVerdict {
  const v = readPromFloat(s);
  if (!v.ok) return v;
  if (!Number.isFinite(v.value)) return refused('invalid timestamp');
  const ms = Math.trunc(v.value * 1000);
  if (ms >= 2 ** 63 || ms < -(2 ** 63)) return ok(-(2 ** 63));
  return ok(ms === 0 ? 0 : ms);
}

/**
 * OpenMetrics 1.0 numbers as the specification writes them (the strict parser): decimal with an
 * optional exponent, or +Inf/-Inf/NaN; no hex, no underscores; nothing beyond the float64 range.
 */
export function parseOmFloat(s: string): number | undefined {
  if (s === '+Inf' || s === 'Inf' || s === '+inf' || s === 'inf') return Infinity;
  if (s === '-Inf' || s === '-inf') return -Infinity;
  if (s === 'NaN' || s === 'nan') return NaN;
  if (!/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$/.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}
