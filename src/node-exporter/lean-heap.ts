// V8 heap settings for the exporter: a small, long-running process.
import { setFlagsFromString } from 'node:v8';

/**
 * V8 heap settings for a small, long-running process. The young generation otherwise doubles up to
 * 16 MiB as scavenges accumulate survivors (every scrape's families survive one), and old space
 * grows by 8 MiB steps before its first full collection; both are resident memory the exporter
 * never needs (its live heap is ~6 MiB). --max-semi-space-size is only read when the heap is made,
 * but these two are read at each collection, so they work from inside the process, with no re-exec
 * (a second node process and its start-up) for node flags: growth factor 1 keeps the young
 * generation at its initial 1 MiB semi-spaces, and optimize-for-size sets old space's limit close
 * above its live size (it also makes V8 flush unused bytecode, which this process can spare).
 */
export const LEAN_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--optimize-for-size'] as const;

/** Applies LEAN_HEAP_FLAGS to this process (all isolates; idempotent). */
export function applyLeanHeapFlags(): void {
  for (const f of LEAN_HEAP_FLAGS) setFlagsFromString(f);
}
