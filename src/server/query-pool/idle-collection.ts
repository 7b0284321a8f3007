// A query worker's garbage after a large query, collected once the worker is idle.
//
// A large query leaves its typed arrays (hundreds of MB at 1M series) as garbage in the worker's
// JavaScript heap, and their memory is in the allocator's arena of the worker's thread. An idle
// worker allocates nothing, so V8 only collects when its memory reducer gets to it (~30 s at
// 300k series), and the trim the query asked for (crates/tsdb-node/src/memory.rs, served by
// ../memory-release.ts a few seconds after the requests stop) would have found those blocks still
// in use. So a worker whose query asked for memory to be returned collects its own heap a moment
// after its last query, unless another query has started meanwhile.

export interface IdleCollection {
  /** Before a query runs: a pending collection waits for the worker to be idle again. */
  queryStarted(): void;
  /** After a query ran (its answer sent). */
  queryEnded(): void;
}

/**
 * @param trimRequests the process's count of requests to return memory (it only grows)
 * @param collect a full collection of this thread's heap
 */
export function idleCollection(trimRequests: () => number, collect: () => Promise<void>, quietMs = 1000): IdleCollection {
  let seen = trimRequests();
  /** A query asked for memory to be returned, and the heap was not collected since. */
  let owed = false;
  let timer: NodeJS.Timeout | undefined;
  return {
    queryStarted() {
      clearTimeout(timer);
      timer = undefined;
    },
    queryEnded() {
      const count = trimRequests();
      if (count !== seen) owed = true;
      seen = count;
      if (!owed) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        owed = false;
        collect().catch(() => undefined);
      }, quietMs);
      timer.unref();
    },
  };
}
