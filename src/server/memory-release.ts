// Gives the memory of a burst of series creation, or of large queries, back to the system once the
// burst is over.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadNative } from '../storage/native.js';
import type { Logger } from '../util/logger.js';

/**
 * A large target's first scrape parses its whole body in JavaScript and creates its series in the
 * native head. Both leave their transient memory behind (measured with 4 targets x 25k series):
 * - the parse results live across several scavenges, so V8 promotes them; once dead, nothing
 *   allocates in the old generation any more (steady scrapes stay in the native cache), so no
 *   full collection comes until V8's memory-reducer watchdog, up to ~100 s later: 240 MiB of
 *   garbage, which sat in the benchmark's RSS reading or not by chance;
 * - glibc keeps the freed blocks in the middle of its heap resident: 142 MiB of the 340 MiB RSS.
 * A query over many series leaves the same behind, in a query worker's heap and its thread's glibc
 * arena: at 300k series a `sum(rate(...))` left 100 MiB for good (396 MiB against 291 before it;
 * with this, 312). The worker collects its own heap (query-pool/idle-collection.ts).
 * The native code that frees much only counts a request (crates/tsdb-node/src/memory.rs); this
 * poller sees the count change, waits until it stays put (the burst is over), then has V8 collect
 * (incrementally, not a stop-the-world pause) and glibc trim on a worker thread. Both cost tens of
 * milliseconds, once per burst, never on the append path.
 */
export interface MemoryReleaseHooks {
  /** The native count of release requests (it only grows). */
  trimRequests(): number;
  /** Collects the JavaScript heap's garbage (a full collection). */
  collectGarbage(): Promise<void>;
  /** Returns the native allocator's free pages: see NativeAddon.releaseFreeMemory. */
  releaseNativeMemory(): Promise<Float64Array>;
}

export interface MemoryReleaseOptions {
  /** How often the request count is read. */
  pollMs: number;
  /** Polls after which a burst that keeps asking is served anyway (steady churn). */
  maxWaitPolls: number;
}

const DEFAULTS: MemoryReleaseOptions = { pollMs: 5000, maxWaitPolls: 12 };

/** V8's full collection of the calling thread's heap, as `--expose-gc` exposes it, in its incremental form. */
export function fullCollection(): () => Promise<void> {
  // The gc extension is installed in contexts made after the flag is set, so a fresh context
  // hands it out; the flag changes nothing else.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'major'; execution: 'async' }) => Promise<void>;
  return () => gc({ type: 'major', execution: 'async' });
}

export function nativeMemoryReleaseHooks(): MemoryReleaseHooks {
  const native = loadNative();
  return { trimRequests: () => native.memoryTrimRequests(), collectGarbage: fullCollection(), releaseNativeMemory: () => native.releaseFreeMemory() };
}

export class MemoryReleaser {
  private readonly options: MemoryReleaseOptions;
  private seen: number;
  /** Polls since the count first changed, while a release is owed (-1: none owed). */
  private waited = -1;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** Releases done so far (for tests and the debug log). */
  releases = 0;

  constructor(
    private readonly hooks: MemoryReleaseHooks,
    private readonly logger?: Logger,
    options: Partial<MemoryReleaseOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.seen = hooks.trimRequests();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Owes a release without a native request: start-up leaves freed blocks behind too (module
   * compilation's and the config's transient memory: ~3 MiB of an idle server's glibc heap).
   * The next poll serves it unless a burst is going on.
   */
  owe(): void {
    if (this.waited < 0) this.waited = 0;
  }

  /** One look at the request count; resolves true when it released memory. */
  async poll(): Promise<boolean> {
    if (this.running) return false;
    const count = this.hooks.trimRequests();
    const changed = count !== this.seen;
    this.seen = count;
    if (changed && this.waited < 0) this.waited = 0;
    if (this.waited < 0) return false;
    if (changed && this.waited < this.options.maxWaitPolls) {
      this.waited++;
      return false;
    }
    this.waited = -1;
    this.running = true;
    try {
      // V8 first: its collection frees native memory too (buffers, finalized native objects).
      await this.hooks.collectGarbage();
      const [heapBefore = 0, , , freeAfter = 0, micros = 0] = await this.hooks.releaseNativeMemory();
      this.releases++;
      this.logger?.debug('Returned free memory after a burst of series creation or large queries', { native_heap_mib: (heapBefore / 2 ** 20).toFixed(1), native_free_mib: (freeAfter / 2 ** 20).toFixed(1), trim_ms: (micros / 1000).toFixed(1) });
      return true;
    } catch (err) {
      this.logger?.warn('Returning free memory failed', { err: err as Error });
      return false;
    } finally {
      this.running = false;
    }
  }
}
