// Counting the event loop's turns while some work runs: work that never yields lets none happen.

/** Counts turns (check phases) from now until `stop()`, which returns the count. */
export function countTurns(): { stop(): number } {
  let turns = 0;
  let done = false;
  const tick = (): void => {
    turns++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      done = true;
      return turns;
    },
  };
}

/** Whether `p` settles while the event loop turns (an immediate, then a timer). */
export async function settlesWhileTurning(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 20));
  return settled;
}
