// A native histogram as text the way Prometheus's FloatHistogram.String() writes it, which
// count_values() uses as the label value for histogram samples:
// `{count:20, sum:10, [-2,-1):2, [-0.001,0.001]:2, (0.5,1]:1}` (populated buckets only).
import type { FloatHistogram } from '../../model/histogram.js';
import { formatGoFloat } from '../../model/float.js';
import { allBuckets, usesCustomBuckets } from './buckets.js';

/** Go's %g for a float64: shortest digits, exponent form below 1e-4 and from 1e6 on. */
export function goG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return formatGoFloat(v);
}

export function histogramString(h: FloatHistogram): string {
  const parts = [`count:${goG(h.count)}`, `sum:${goG(h.sum)}`];
  const custom = usesCustomBuckets(h);
  for (const b of allBuckets(h)) {
    if (b.count === 0) continue;
    // Negative buckets include their lower bound, positive ones their upper, the zero bucket both.
    const negative = !custom && !b.zero && b.upper <= 0;
    const open = b.zero || negative ? '[' : '(';
    const close = negative ? ')' : ']';
    parts.push(`${open}${goG(b.lower)},${goG(b.upper)}${close}:${goG(b.count)}`);
  }
  return `{${parts.join(', ')}}`;
}
