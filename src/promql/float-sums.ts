// Compensated float sums and means as Prometheus computes them (Kahan summation; a mean that
// switches to incremental form when the sum overflows), shared by aggregations and by the
// field-by-field sums of native histograms.

/** One Kahan step: the new sum and compensation. An infinite sum drops the compensation. */
export function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) return [t, 0];
  if (Math.abs(sum) >= Math.abs(inc)) return [t, c + (sum - t + inc)];
  return [t, c + (inc - t + sum)];
}

/** The compensated sum of the values. */
export function kahanSum(values: readonly number[]): number {
  let sum = 0;
  let c = 0;
  for (const x of values) [sum, c] = kahanInc(x, sum, c);
  return Number.isFinite(sum) ? sum + c : sum;
}

/** Mean with Kahan summation, switching to an incremental mean if the sum overflows. */
export function avg(values: readonly number[]): number {
  let sum = values[0]!;
  let c = 0;
  let mean = 0;
  let incremental = false;
  let count = 1;
  for (let i = 1; i < values.length; i++) {
    const x = values[i]!;
    count = i + 1;
    if (!incremental) {
      const [ns, nc] = kahanInc(x, sum, c);
      if (ns !== Infinity && ns !== -Infinity) {
        sum = ns;
        c = nc;
        continue;
      }
      incremental = true;
      mean = sum / (count - 1);
      c /= count - 1;
    }
    const q = (count - 1) / count;
    [mean, c] = kahanInc(x / count, q * mean, q * c);
  }
  return incremental ? mean + c : sum / count + c / count;
}
