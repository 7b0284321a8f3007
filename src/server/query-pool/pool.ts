// API queries off the main thread: a small pool of worker_threads (started lazily), each attached
// to the same native database, so that a heavy query never stops scraping, rule evaluation or
// /-/healthy. The main thread owns the timeout: when a query's time is up it sets the query's
// cancel token (native loops stop at their next check); a worker that still has not answered a
// grace period later is terminated and replaced. A worker's JavaScript heap is bounded from
// --query.max-memory; one that runs out of it fails its query and is replaced.
import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';
import { cancelQuery, newCancelToken, releaseCancelToken } from '../../storage/index.js';
import { TIMED_OUT } from '../../promql/limits.js';
import { ApiError } from '../../web/api/envelope.js';
import type { JobReply, JobRequest, QueryJob, WorkerInit } from './protocol.js';
import type { SelectRequest } from '../../remote/read/client.js';
import type { PackedRemoteSeries } from '../../remote/read/transfer.js';

export interface QueryPoolOptions {
  init: WorkerInit;
  /** Workers evaluating at once (default 2). */
  workers?: number;
  /** Queries running or waiting at most (--query.max-concurrency); more are refused. */
  maxQueued: number;
  /** After the timeout, how long a worker may take to notice its cancel flag before it is terminated. */
  graceMs?: number;
  /** --query.max-memory (0: no bound on the workers' heaps). */
  maxMemoryBytes: number;
  /** Another worker module (plain JavaScript) speaking the same protocol, e.g. in tests. */
  workerUrl?: URL;
}

export interface PooledQuery {
  job: QueryJob;
  limit: number;
  lookbackDeltaMs?: number;
  timeoutMs: number;
  /** remote_read series for the query; their buffer is transferred to the worker (detached here). */
  remote?: PackedRemoteSeries;
}

export interface PooledResult {
  /** The success envelope, already JSON (UTF-8). */
  encoded: Buffer;
  warnings: string[];
  infos: string[];
  /** What evaluating and encoding the query cost on the worker (ms; see costClock in inline.ts), when it says. */
  evalMs?: number;
  /** A `selections` job's answer. */
  selections?: SelectRequest[];
  /**
   * Gives `encoded`'s memory back to the pool for a later answer: call it once nothing reads
   * `encoded` any more (the response was sent). Not calling it only forgoes the reuse.
   */
  release(): void;
}

/**
 * Answers' memory kept for reuse (at most one buffer per worker, each at most this large): a
 * worker writes the next answer into memory already mapped instead of a fresh buffer, whose
 * every 4 KiB page costs a fault when first written.
 */
const MAX_SPARE_BYTES = 32 << 20;

interface Pending {
  req: JobRequest;
  resolve: (r: PooledResult) => void;
  reject: (e: ApiError) => void;
  /** Set once the query's time is up. */
  timedOut: boolean;
  timers: NodeJS.Timeout[];
  timeoutMs: number;
  clockStarted: boolean;
  done: boolean;
}

interface Slot {
  worker: Worker;
  /** Set once the worker loaded the engine and attached to the database. */
  ready: boolean;
  current: Pending | undefined;
}

/** The JavaScript heap a worker may use: the query budget plus room for code and label sets. */
function heapLimitMb(maxMemoryBytes: number): number | undefined {
  return maxMemoryBytes > 0 ? Math.ceil(maxMemoryBytes / (1 << 20)) + 64 : undefined;
}

/**
 * Running from the TypeScript sources (tests, `tsx`): a worker does not inherit tsx's loader
 * hooks, so it registers them before importing the worker module.
 */
function fromSources(options: WorkerOptions): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { ...options, eval: true });
}

export class QueryPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Pending[] = [];
  private readonly spares: ArrayBuffer[] = [];
  private nextId = 1;
  private closed = false;
  private readonly size: number;
  private readonly graceMs: number;

  constructor(private readonly opts: QueryPoolOptions) {
    this.size = Math.max(1, opts.workers ?? 2);
    this.graceMs = opts.graceMs ?? 1000;
  }

  /** Evaluates a query on a worker; rejects with an ApiError in Prometheus's shapes. */
  run(q: PooledQuery): Promise<PooledResult> {
    if (this.closed) return Promise.reject(new ApiError('unavailable', 'the query engine is shutting down'));
    const running = this.slots.filter((s) => s.current !== undefined).length;
    if (running + this.waiting.length >= this.opts.maxQueued) {
      return Promise.reject(new ApiError('unavailable', `too many concurrent queries (--query.max-concurrency=${this.opts.maxQueued})`));
    }
    return new Promise<PooledResult>((resolve, reject) => {
      const token = newCancelToken();
      const req: JobRequest = { id: this.nextId++, job: q.job, limit: q.limit, lookbackDeltaMs: q.lookbackDeltaMs, timeoutMs: q.timeoutMs, cancelToken: token, ...(q.remote !== undefined ? { remote: q.remote } : {}) };
      const p: Pending = { req, resolve, reject, timedOut: false, timers: [], timeoutMs: q.timeoutMs, clockStarted: false, done: false };
      this.waiting.push(p);
      this.dispatch();
      // Waiting behind other queries counts towards the timeout (as in Prometheus); waiting for a
      // worker to start does not (the clock starts when it takes the query).
      if (!p.clockStarted && !this.slots.some((s) => !s.ready)) this.startClock(p);
    });
  }

  /** The query's timeout from now: then its cancel token is set, and a grace period later its worker is replaced. */
  private startClock(p: Pending): void {
    p.clockStarted = true;
    p.timers.push(
      setTimeout(() => {
        p.timedOut = true;
        cancelQuery(p.req.cancelToken);
        const waitingAt = this.waiting.indexOf(p);
        if (waitingAt >= 0) {
          this.waiting.splice(waitingAt, 1);
          this.finish(p, new ApiError('timeout', TIMED_OUT));
          return;
        }
        p.timers.push(setTimeout(() => this.abandon(p), this.graceMs));
      }, Math.max(0, p.timeoutMs)),
    );
  }

  /** Terminates the workers; queries still running or waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) this.finish(p, new ApiError('unavailable', 'the query engine is shutting down'));
    await Promise.all(
      this.slots.splice(0).map((s) => {
        if (s.current) this.finish(s.current, new ApiError('unavailable', 'the query engine is shutting down'));
        return s.worker.terminate();
      }),
    );
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      if (this.slots.length < this.size && !this.slots.some((s) => s.current === undefined)) this.start();
      const slot = this.slots.find((s) => s.ready && s.current === undefined);
      if (!slot) return;
      const p = this.waiting.shift()!;
      slot.current = p;
      if (!p.clockStarted) this.startClock(p);
      const spare = this.spares.pop();
      p.req.into = spare && new Uint8Array(spare);
      const transfer = [...(spare ? [spare] : []), ...(p.req.remote ? [p.req.remote.buffer] : [])];
      slot.worker.postMessage(p.req, transfer);
      p.req.into = undefined;
      p.req.remote = undefined;
    }
  }

  private start(): Slot {
    const maxOld = heapLimitMb(this.opts.maxMemoryBytes);
    const options = { workerData: this.opts.init, ...(maxOld !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: maxOld } } : {}) };
    const worker = this.opts.workerUrl ? new Worker(this.opts.workerUrl, options) : import.meta.url.endsWith('.ts') ? fromSources(options) : new Worker(new URL('./worker.js', import.meta.url), options);
    const slot: Slot = { worker, ready: false, current: undefined };
    worker.on('message', (reply: JobReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        this.dispatch();
        return;
      }
      const p = slot.current;
      if (!p || p.req.id !== reply.id) return;
      slot.current = undefined;
      if (reply.ok) {
        const memory = reply.encoded.buffer as ArrayBuffer;
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          this.keepSpare(memory);
        };
        this.finish(p, undefined, { encoded: Buffer.from(memory, reply.encoded.byteOffset, reply.encoded.byteLength), warnings: reply.warnings, infos: reply.infos, evalMs: reply.evalMs, ...(reply.selections !== undefined ? { selections: reply.selections } : {}), release });
      }
      else this.finish(p, new ApiError(p.timedOut && reply.errorType !== 'execution' ? 'timeout' : reply.errorType, p.timedOut && reply.errorType !== 'execution' ? TIMED_OUT : reply.message));
      this.dispatch();
    });
    const lost = (why: ApiError): void => {
      if (!this.slots.includes(slot)) return;
      this.remove(slot);
      if (slot.current) this.finish(slot.current, why);
      slot.current = undefined;
      // A worker that could not even start would fail the same way again: the waiting queries fail instead.
      if (!slot.ready) for (const p of this.waiting.splice(0)) this.finish(p, why);
      this.dispatch();
    };
    worker.on('error', (e: Error & { code?: string }) => {
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      lost(
        oom
          ? new ApiError('execution', `query processing would use more than the per-query memory budget (--query.max-memory=${this.opts.maxMemoryBytes} bytes): the evaluation ran out of its heap`)
          : new ApiError('internal', `query worker failed: ${e.message}`),
      );
    });
    worker.on('exit', () => lost(new ApiError('internal', 'query worker exited')));
    this.slots.push(slot);
    return slot;
  }

  /** An answer's memory, free again: kept for a later answer if there is room. */
  private keepSpare(memory: ArrayBuffer): void {
    if (this.closed || memory.byteLength > MAX_SPARE_BYTES || memory.byteLength === 0) return;
    if (this.spares.length < this.size) {
      this.spares.push(memory);
      this.spares.sort((a, b) => a.byteLength - b.byteLength);
      return;
    }
    // Full: keep the larger buffers, which more answers fit.
    if (this.spares[0]!.byteLength < memory.byteLength) {
      this.spares[0] = memory;
      this.spares.sort((a, b) => a.byteLength - b.byteLength);
    }
  }

  private remove(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
  }

  /** The worker did not stop within the grace period after its timeout: it is replaced. */
  private abandon(p: Pending): void {
    const slot = this.slots.find((s) => s.current === p);
    if (!slot) return;
    this.remove(slot);
    slot.current = undefined;
    this.finish(p, new ApiError('timeout', TIMED_OUT));
    void slot.worker.terminate();
    this.dispatch();
  }

  private finish(p: Pending, error: ApiError | undefined, result?: PooledResult): void {
    if (p.done) return;
    p.done = true;
    for (const t of p.timers) clearTimeout(t);
    p.timers.length = 0;
    releaseCancelToken(p.req.cancelToken);
    if (error) p.reject(error);
    else p.resolve(result!);
  }
}
