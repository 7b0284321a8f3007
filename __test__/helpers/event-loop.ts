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
