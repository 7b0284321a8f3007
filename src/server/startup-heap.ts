// The server's young generation during start-up.
import { setFlagsFromString } from 'node:v8';

/**
 * Loading the server's modules, opening the storage and the first scrapes keep most of what they
 * allocate, so V8 doubles the semi-spaces at nearly every scavenge of the first two seconds: they
 * reach their 16 MiB maximum (32 MiB of young generation, mostly resident) before the server is
 * ready, and an idle server never gives that back (measured: 104-110 MiB RSS, 32 MiB of it new
 * space). Growth factor 1 keeps the semi-spaces at their initial size while the server starts;
 * once it is ready V8's default factor applies again, so a server under scrape or query load
 * grows its young generation exactly as before (growth is driven by what survives scavenges, and
 * a loaded server reaches the maximum within a few of them). --max-semi-space-size would cap it
 * for good, which costs throughput under load, and can only be set when the heap is made.
 * The flag is read at each scavenge, so setting it from inside the process works.
 */
const V8_DEFAULT_SEMI_SPACE_GROWTH_FACTOR = 2;

/** Called before the server's modules load (bin/promethium.js). */
export function holdYoungGenerationDuringStartup(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** Called once the server is ready: V8 sizes the young generation by the load from here on. */
export function releaseYoungGeneration(): void {
  setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_SEMI_SPACE_GROWTH_FACTOR}`);
}
