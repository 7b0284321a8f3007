// How far V8 lets the server's old generation grow before it marks it again.
import { setFlagsFromString } from 'node:v8';

/**
 * A scraping server keeps a small JavaScript heap (~13 MB at 100k series: the series live in the
 * native head), while node:http reads every scrape body into fresh 64 KiB buffers, memory outside
 * the heap that V8 weighs when it decides to collect. --trace-gc-verbose shows V8 sizing this
 * server's old-generation limit with its smallest growing factor (1.1, plus its 8 MB minimum
 * step: ~22 MB for a 13 MB heap), and four targets of 25k series at 2 s starting a full collection
 * every 2-4 s, after scavenges for "external memory pressure". Each marks the whole heap: the
 * main thread spent ~0.9 s a minute in them. A fixed factor of 4 (V8's own factor for a heap
 * whose collections are cheap) lets the buffers go with the scavenges that come anyway. Measured
 * at 4 x 25k series: CPU per million samples went from 0.98-1.03 s to 0.57 s (factor 3: 0.79 s,
 * factor 5: 0.60-0.64 s), RSS unchanged.
 * The cost is bounded: garbage that reaches the old generation may grow to 4x the live heap
 * before a collection, and V8's memory reducer still collects when the server goes quiet.
 * The flag is read each time V8 computes the limit, so setting it from inside the process works.
 */
export const OLD_GENERATION_GROWING_PERCENT = 300;

/** Called once the server is ready (start-up has its own heap settings: startup-heap.ts). */
export function fixOldGenerationGrowth(percent = OLD_GENERATION_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
