// Start timestamps of counter samples (when the counter started counting, 0 = unknown), read by
// rate, increase, irate and resets with use-start-timestamps. The same rules as the native float
// kernels (crates/tsdb/src/kernels/rate.rs), for the histogram windows evaluated here.

/**
 * Whether the current sample's start timestamp says the counter restarted since the previous
 * sample. None (0), one at or after its own sample, or one before the previous sample says
 * nothing; one after the previous sample is a restart; one equal to the previous sample's time is
 * a restart for delta samples (the previous one had a start of its own) but not for a cumulative
 * series whose start was unknown (0, or its own time).
 */
export function isStartTimestampReset(prevSt: number, prevT: number, st: number, t: number): boolean {
  if (st === 0 || st >= t || st < prevT) return false;
  if (st > prevT) return true;
  return prevSt <= prevT && prevSt !== 0 && prevSt !== prevT;
}

/** Two samples claiming overlapping intervals: a start before the previous sample that is not its start. */
export function startTimeOverlaps(prevSt: number, prevT: number, st: number): boolean {
  return st !== 0 && st < prevT && st !== prevSt;
}

export const startTimeOverlapWarning = (name: string): string => `PromQL warning: sample has start time that overlaps with previous sample timestamp for metric ${JSON.stringify(name)}`;
