// V8 heap settings for the exporter: a small, long-running process.
import { setFlagsFromString } from 'node:v8';

/**
 * The young generation otherwise doubles up to 16 MiB as scavenges accumulate survivors (each
 * scrape's families survive one), and old space grows in 8 MiB steps between full collections:
 * resident memory a process with a ~6-8 MiB live heap never needs (measured: heap 24.5 MiB after
 * 100 scrapes without these, 12 MiB with them). --max-semi-space-size is read only when the heap
 * is made, so it would need a re-exec of node: in Node 20 that means a second process that stays
 * alive as the parent (no execve), costing more memory than it saves. These two flags are read at
 * each collection instead, so setting them from inside the process works: growth factor 1 keeps
 * the young generation at its initial 1 MiB semi-spaces, and optimize-for-size makes V8 pick
 * old-space limits for memory rather than speed (its "reduce" full collections).
 * Measured and left out: --no-opt saves ~5 MiB more (TurboFan's code pages) but costs ~15% CPU
 * per scrape once warm; UV_THREADPOOL_SIZE=1 saves <1 MiB and only works from the environment.
 */
export const LEAN_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--optimize-for-size'] as const;

/** Applies LEAN_HEAP_FLAGS to this process (all isolates; idempotent). */
export function applyLeanHeapFlags(): void {
  for (const f of LEAN_HEAP_FLAGS) setFlagsFromString(f);
}
