// What a scrape target keeps from one scrape to the next: the memory its body is read into and a
// kept-alive connection (Prometheus's scrape client keeps connections to its targets alive too).
//
// Why keep the memory: a body of a few MB, joined from node:http's pieces into a fresh buffer per
// scrape, costs a page fault per 4 KiB written and more external memory for V8 to collect; the
// pieces are copied into memory the target already has instead. (node:http still reads each
// socket read into a fresh buffer of its own, which sets off most of the scrape path's major
// collections: issue 23's closing note has the figures.)
import http from 'node:http';

/** How long a kept-alive connection may wait for the next scrape (Go's http.Transport: 90 s). */
const IDLE_TIMEOUT_MS = 90_000;
/** A buffer larger than this and four times the last body (a target whose body shrank) is let go. */
const KEEP_AT_MOST_SPARE = 1 << 20;

export class ScrapeBodyBuffer {
  /** The receive memory; grows to the largest body seen. */
  private memory: Buffer = Buffer.alloc(0);
  /** Whether a body is being read into `memory` now. */
  private busy = false;
  private keptAlive: http.Agent | undefined;

  /** The target's kept-alive connection (its node:http agent, one socket at a time when scrapes do not overlap). */
  get agent(): http.Agent {
    this.keptAlive ??= new http.Agent({ keepAlive: true, timeout: IDLE_TIMEOUT_MS, scheduling: 'lifo' });
    return this.keptAlive;
  }

  /**
   * A writer for one body. The body it ends with is a view into the target's memory, valid until
   * the next body is read with this ScrapeBodyBuffer; a body read while another one is still
   * being read gets memory of its own.
   */
  reader(expectedBytes: number | undefined): BodyReader {
    const own = !this.busy;
    if (own) this.busy = true;
    const start = own ? this.memory : Buffer.alloc(0);
    return new BodyReader(start, expectedBytes, (memory, filled) => {
      if (!own) return;
      this.busy = false;
      this.memory = memory.length > KEEP_AT_MOST_SPARE && memory.length > 4 * filled ? Buffer.alloc(0) : memory;
    });
  }

  /** Closes the kept-alive connection (the target went away). */
  close(): void {
    this.keptAlive?.destroy();
    this.keptAlive = undefined;
  }
}

/** Copies a body's pieces into one buffer, grown as they arrive. */
export class BodyReader {
  private filled = 0;
  private done = false;

  constructor(
    private memory: Buffer,
    /** Content-Length, when the response said: the memory grows to it at once. */
    expectedBytes: number | undefined,
    private readonly finished: (memory: Buffer, filled: number) => void,
  ) {
    if (expectedBytes !== undefined && expectedBytes > this.memory.length) this.memory = Buffer.allocUnsafe(expectedBytes);
  }

  get size(): number {
    return this.filled;
  }

  write(piece: Buffer): void {
    const need = this.filled + piece.length;
    if (need > this.memory.length) {
      // Without a (right) Content-Length it grows by doubling, so a small target's memory stays small.
      const grown = Buffer.allocUnsafe(Math.max(need, this.memory.length * 2, 4096));
      this.memory.copy(grown, 0, 0, this.filled);
      this.memory = grown;
    }
    piece.copy(this.memory, this.filled);
    this.filled = need;
  }

  /** The body read; the memory goes back to its target (also when the exchange failed: then pass nothing on). */
  end(): Buffer {
    if (!this.done) {
      this.done = true;
      this.finished(this.memory, this.filled);
    }
    return this.memory.subarray(0, this.filled);
  }
}
