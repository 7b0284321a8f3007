// Go's float text as Prometheus prints sample values: strconv.FormatFloat(v, 'f', -1, 64), the
// shortest digits that read back as the same float and never an exponent. Used by the engine
// (count_values, label values) and the HTTP API (sample values are strings so NaN and ±Inf
// survive JSON). Browser-safe: no imports.

/** A finite value as Go's 'f' format with -1 precision prints it (`-0` kept). */
export function formatGoFloat(v: number): string {
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  if (!s.includes('e')) return s;
  // JavaScript switches to exponent form outside [1e-7, 1e21); Go's 'f' prints plain digits.
  const [mant, expText] = s.split('e') as [string, string];
  const neg = mant.startsWith('-');
  const unsigned = neg ? mant.slice(1) : mant;
  const digits = unsigned.replace('.', '');
  const dot = unsigned.indexOf('.');
  const point = (dot === -1 ? unsigned.length : dot) + Number(expText);
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (neg ? '-' : '') + out;
}

/** Any value, with Prometheus's spellings of the non-finite ones: `NaN`, `+Inf`, `-Inf`. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return formatGoFloat(v);
}

/**
 * A sample value as Prometheus's HTTP API writes it (its JSON marshaller): Go's shortest 'f' form,
 * except exponent form ('e', at least two exponent digits) for magnitudes below 1e-6 or from 1e21 up —
 * `"2.5e-07"`, `"1e+22"`. Those are exactly the ranges where JavaScript's own shortest form switches to
 * an exponent, so the common case is `String(v)` with no extra work.
 */
export function formatJsonValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const s = String(v);
  const e = s.indexOf('e');
  if (e === -1) return s;
  const exp = s.slice(e + 1);
  const sign = exp[0] === '-' ? '-' : '+';
  const digits = exp[0] === '-' || exp[0] === '+' ? exp.slice(1) : exp;
  return `${s.slice(0, e)}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
}
