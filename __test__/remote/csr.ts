// Test helper: series' samples as the storage's CSR arrays (offsets into one time and one value array).

/** `runs[i]` is series i's `[timestamp, value]` pairs, in order. */
export const csr = (runs: [number, number][][]): { offsets: Uint32Array; t: Float64Array; v: Float64Array } => {
  const offsets = [0];
  const t: number[] = [];
  const v: number[] = [];
  for (const r of runs) {
    for (const [ts, val] of r) {
      t.push(ts);
      v.push(val);
    }
    offsets.push(t.length);
  }
  return { offsets: Uint32Array.from(offsets), t: Float64Array.from(t), v: Float64Array.from(v) };
};
