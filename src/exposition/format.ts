// Writing the text format: sample values and label values as Prometheus's Go code writes them.

/**
 * Go's strconv.FormatFloat(v, 'g', -1, 64), as the Go client writes sample values: the shortest
 * digits, in exponent form when the decimal exponent is below -4 or at least 6 (Go's rule for the
 * shortest precision), exponents with at least two digits.
 */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // Where Go and JavaScript both write plain decimals (decimal exponent -4 to 5): most values,
  // and the exporter writes thousands a scrape, so skip the exponent form's strings.
  const magnitude = Math.abs(v);
  if (magnitude >= 1e-4 && magnitude < 1e6) return String(v);
  const e = v.toExponential();
  const [mantissa, expText] = e.split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

/** A label value in double quotes with the text format's escapes. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
