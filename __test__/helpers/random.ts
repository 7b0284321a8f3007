// Fixed-seed pseudo-random numbers for tests (xorshift32), so that a failure can be replayed.

/** Unsigned 32-bit integers. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** The same sequence as fractions in [0, 1). */
export function randomFractions(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 2 ** 32;
}
