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
 * Measured and left out: --no-opt saves ~4 MiB more (TurboFan's code pages) but costs ~15-20% CPU
 * per scrape once warm (Maglev instead of TurboFan: the same); UV_THREADPOOL_SIZE=1 saves <1 MiB and
 * only works from the environment, as --single-threaded (~2 MiB) and --v8-pool-size=1 (~1 MiB) only
 * work on node's command line.
 *
 * Where the rest of the resident memory is (December 2026, Node 20 on Debian, after 100 scrapes):
 * ~42 MiB are pages of the node binary itself (file-backed: V8, the bootstrap, TurboFan), the same
 * for a bare node:http server (~50 MiB resident in all) and ~36 MiB even for a bare node:net one;
 * our anonymous memory is ~16 MiB, ~9.5 of it the V8 heap. Also measured without gain: bundling
 * the exporter into one minified module, not loading the disabled collectors' modules, and serving
 * on node:net with a minimal HTTP parser instead of node:http (<1 MiB, within the noise).
 */
export const LEAN_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--optimize-for-size'] as const;

/** Applies LEAN_HEAP_FLAGS to this process (all isolates; idempotent). */
export function applyLeanHeapFlags(): void {
  for (const f of LEAN_HEAP_FLAGS) setFlagsFromString(f);
}
