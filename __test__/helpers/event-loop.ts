// Counting the event loop's turns while some work runs: work that never yields lets none happen.
import assert from 'node:assert/strict';

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

/** A storage handle that can hold its write lock from another thread (NativeDb's test hooks). */
interface WriteLockHolder {
  holdWritesForTest(maxMs: number): Promise<void>;
  releaseWritesForTest(): void;
}

/**
 * Starts `call` while another thread holds the storage's write lock (at most `holdMs`): it must
 * hand back a promise that stays pending while the event loop turns. Then releases the lock and
 * resolves with the call's result.
 */
export async function behindHeldLock<T>(db: WriteLockHolder, holdMs: number, call: () => Promise<T>, what: string): Promise<T> {
  await db.holdWritesForTest(holdMs);
  try {
    const p = call();
    assert.ok(p instanceof Promise, `${what} hands back a promise instead of working on this thread`);
    assert.equal(await settlesWhileTurning(p), false, `${what} waits for the held lock, not the event loop`);
    return p;
  } finally {
    db.releaseWritesForTest();
  }
}
