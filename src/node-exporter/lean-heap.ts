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
 * Where the rest of the resident memory is (December 2026, Node 20.20 on Debian, after 100 scrapes
 * of this host; smaps): defaults ~59 MiB = the node binary's own file pages ~41 (text ~21: V8,
 * TurboFan, libuv, the bootstrap; rodata ~11.6: built-in JS sources and code cache; symbol tables
 * ~7, grown ~1 by loading the native addon for timex) + shared libraries ~3.5 + the addon's pages
 * ~0.8 + anonymous ~15 (V8 heap ~9.5: old space ~6 live, new space 2, code ~1.2; malloc ~3.6;
 * stacks and the rest ~1.5). All collectors: ~65-67 MiB, the same file pages and ~25 anonymous.
 * A bare node:net server answering a fixed 60 KB body is 44 MiB (37 of it file pages), so with
 * node the 50 MiB goal leaves ~6 MiB for everything the exporter allocates: out of reach.
 * Measured and left out, with the same fixed-body servers and the exporter itself:
 * - serving on node:net with a minimal HTTP/1.1 parser instead of node:http. Bare, node:http costs
 *   4.6 MiB more (48.7 vs 44.1), but almost all of it is binary text pages that compiling and
 *   running hot JS touches anyway: with a little per-request JS work the gap is ~2 MiB, and in the
 *   exporter it is within the noise (lite vs node:http: defaults 58.9 vs 59.1, all collectors 68.8
 *   vs 67.4 MiB, which vary by ±3 between runs).
 * - a full V8 collection whenever the exporter goes idle after a scrape (gc() via --expose-gc):
 *   ~0.5-1 MiB with the defaults, nothing measurable with all collectors, one more full GC a scrape.
 * - --heap-growing-percent=10/30 (read at each GC): no difference.
 * - bundling the exporter into one minified module, and not loading the disabled collectors'
 *   modules: under 1 MiB.
 */
export const LEAN_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--optimize-for-size'] as const;

/** Applies LEAN_HEAP_FLAGS to this process (all isolates; idempotent). */
export function applyLeanHeapFlags(): void {
  for (const f of LEAN_HEAP_FLAGS) setFlagsFromString(f);
}
