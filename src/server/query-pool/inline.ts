// Which queries skip the worker hop. Handing a query to a worker and its answer back costs two
// thread wake-ups, which on a busy machine take longer than evaluating a small query, and a
// worker's first runs of an expression (its code not yet optimized on that thread) are the
// slowest. A server whose queries are all small never starts a worker at all: a worker is a
// second JavaScript heap, ~14 MiB of RSS and ~200 ms of module loading (issue 23). So a query
// runs on the main thread, under the query's native limits (timeout, samples, memory budget) and
// under a budget of its own that keeps the event loop free:
// - one never seen before is tried inline with a short budget (time, and series selected); one
//   that runs past it stops there and goes to a worker (one out of time is tried once more later:
//   first runs are slow for reasons of their own), and is remembered as costly;
// - one whose fastest run proved small runs inline with a larger budget (dashboards ask the same
//   expressions over and over); the fastest run is what counts because a run's time on a busy
//   machine includes the time its thread waited for a core;
// - one that turned out large (a big answer, a run far past the bound, a failure inline) runs on
//   the workers until a worker's run measures it cheap again.
// Subqueries, whose cost grows with their resolution, always run on a worker. What is remembered
// is keyed by queryKey: the expression, and for a range query its number of steps (a dashboard's
// panel asks the same steps over a moving window; the cost grows with them).
import type { Expr } from '../../promql/parser/ast.js';
import type { Queryable } from '../../promql/context.js';
import { utf8Bytes } from './encode.js';
import { loadNative } from '../../storage/index.js';

/** A fastest evaluation at most this long (ms) makes an expression cheap enough to run inline. */
export const INLINE_MAX_EVAL_MS = 20;
/** A run this long (ms) sends the expression back to the workers, however fast it once was. */
export const INLINE_EVICT_MS = 200;
/** ... and its answer at most this large (bytes): the main thread encodes it. */
export const INLINE_MAX_BYTES = 1 << 20;
/**
 * An inline range run whose result holds more points than this goes to a worker before it is
 * encoded: at ~20 bytes a point, its answer would be past INLINE_MAX_BYTES.
 */
export const INLINE_MAX_RANGE_POINTS = 50_000;
/** A first (unmeasured) inline run stops after this long (ms), and goes to a worker. */
export const INLINE_TRY_MS = 40;
/** Inline runs stop once their selections hold more series than this, and go to a worker. */
export const INLINE_MAX_SERIES = 20_000;
/**
 * Inline tries that ran out of their budget may waste at most this long (ms) of the main thread
 * per second: a burst of new costly queries goes to the workers instead of being tried in turn.
 */
export const INLINE_TRY_WASTE_PER_SECOND_MS = 100;
/** Queries remembered at most (the memory of a burst of distinct queries stays bounded). */
const MAX_REMEMBERED = 2000;
/** ... and only queries whose key is this short (characters), so what is remembered stays a few MB. */
const MAX_KEY_CHARS = 4096;

function hasSubquery(e: Expr): boolean {
  switch (e.type) {
    case 'SubqueryExpr':
      return true;
    case 'ParenExpr':
    case 'UnaryExpr':
      return hasSubquery(e.expr);
    case 'AggregateExpr':
      return (e.param !== undefined && hasSubquery(e.param)) || hasSubquery(e.expr);
    case 'Call':
      return e.args.some(hasSubquery);
    case 'BinaryExpr':
      return hasSubquery(e.lhs) || hasSubquery(e.rhs);
    case 'MatrixSelector':
    case 'VectorSelector':
    case 'NumberLiteral':
    case 'StringLiteral':
      return false;
  }
}

/**
 * A clock for what a run costs (ms): the CPU time of the thread that runs it. Wall time would
 * count the time the thread waited for a core on a busy machine, and the process's CPU time
 * (`process.cpuUsage`) other threads' work. Wall time where the platform has no per-thread clock.
 */
export function costClock(): () => number {
  const native = loadNative();
  const wall = performance.now();
  const cpu = native.threadCpuMs();
  if (Number.isNaN(cpu)) return () => performance.now() - wall;
  return () => native.threadCpuMs() - cpu;
}

/** What CheapQueries remembers a query by: an instant query's expression; a range query's with its steps. */
export function queryKey(expr: string, range?: { startMs: number; endMs: number; stepMs: number }): string {
  if (range === undefined) return expr;
  const steps = Math.floor((range.endMs - range.startMs) / range.stepMs) + 1;
  return `range ${steps}\n${expr}`;
}

/** In CheapQueries' map: a query that stays on the workers whatever a run measures. */
const NEVER = -1;

/** Where a query runs: inline as a first try, inline as proven cheap, or on a worker. */
export type InlineVerdict = 'try' | 'inline' | 'pool';

export class CheapQueries {
  /**
   * Queries (their queryKey) and their fastest evaluation (ms); Infinity: costly, on the workers
   * until a worker's run measures them cheap; NEVER: on the workers, whatever a run measures.
   */
  private readonly fastest = new Map<string, number>();
  /**
   * Queries whose first try ran out of time, tried once more: a first run is often slow for
   * reasons of its own (code not yet optimized, data not yet in memory).
   */
  private readonly retry = new Set<string>();
  /** Time (ms) wasted by inline tries that ran out of their budget, and when that count started. */
  private wastedMs = 0;
  private wasteSince = 0;

  private readonly now: () => number;
  /** How long a first inline try may run (ms). */
  readonly tryMs: number;

  constructor(opts: { now?: () => number; tryMs?: number } = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.tryMs = opts.tryMs ?? INLINE_TRY_MS;
  }

  /** Whether the query `key` may run on the main thread as proven cheap. */
  allows(key: string): boolean {
    const ms = this.fastest.get(key);
    return ms !== undefined && ms !== NEVER && ms <= INLINE_MAX_EVAL_MS;
  }

  /** Where the query `key` (its expression parsed: `parsed`) runs now. */
  verdict(key: string, parsed: Expr): InlineVerdict {
    if (this.allows(key)) return 'inline';
    if ((this.fastest.has(key) && !this.retry.has(key)) || key.length > MAX_KEY_CHARS || hasSubquery(parsed)) return 'pool';
    if (this.now() - this.wasteSince > 1000) {
      this.wasteSince = this.now();
      this.wastedMs = 0;
    }
    if (this.wastedMs >= INLINE_TRY_WASTE_PER_SECOND_MS) return 'pool';
    this.retry.delete(key);
    return 'try';
  }

  /** What an evaluation of the query `key` (on a worker or inline) measured: ms (when known) and answer bytes. */
  record(key: string, parsed: Expr, evalMs: number | undefined, bytes: number): void {
    if (key.length > MAX_KEY_CHARS) return;
    const costly = evalMs === undefined || evalMs > INLINE_EVICT_MS || bytes > INLINE_MAX_BYTES || hasSubquery(parsed);
    const before = this.fastest.get(key);
    if (before === NEVER) return;
    if (before === undefined && this.fastest.size >= MAX_REMEMBERED) this.clear();
    this.fastest.set(key, costly ? Infinity : before === undefined ? evalMs : Math.min(before, evalMs));
    // A first run is often slow for reasons of its own (code not yet optimized, data not yet in
    // memory): one measured not quite cheap gets one more inline try. Else a query that is cheap
    // once warm would start a worker (~200 ms) on its second request.
    if (before === undefined && !costly && evalMs > INLINE_MAX_EVAL_MS) this.retry.add(key);
  }

  private clear(): void {
    this.fastest.clear();
    this.retry.clear();
  }

  /**
   * A query that failed inline, or ran out of its inline budget after `wastedMs`: it runs on a
   * worker the next times (a first try out of time gets one more try), until a worker's run
   * measures it cheap; for good when `always` (its selections are too large for an inline run,
   * which a worker's time says nothing about).
   */
  forget(key: string, wastedMs = 0, always = false): void {
    this.wastedMs += wastedMs;
    if (key.length > MAX_KEY_CHARS) return;
    const first = !this.fastest.has(key);
    if (first && this.fastest.size >= MAX_REMEMBERED) this.clear();
    this.fastest.set(key, always ? NEVER : Infinity);
    // A first try out of time gets a second one, later.
    if (first && wastedMs > 0 && !always) this.retry.add(key);
  }
}

/** An inline run went past its budget (time or series): the query goes to a worker instead. */
export class InlineBudgetExceeded extends Error {
  constructor(why: string) {
    super(`inline evaluation stopped: ${why}`);
    this.name = 'InlineBudgetExceeded';
  }
}

/**
 * The storage as an inline run reads it: a selection that brings the run's series past
 * INLINE_MAX_SERIES stops the run (the query goes to a worker), before its labels are decoded.
 */
export function seriesBudgeted(from: Queryable, maxSeries = INLINE_MAX_SERIES): Queryable {
  let selected = 0;
  return {
    select(matchers, mint, maxt) {
      const sel = from.select(matchers, mint, maxt);
      selected += sel.length;
      if (selected > maxSeries) {
        // The engine never sees this selection, so it is released here.
        sel.release();
        throw new InlineBudgetExceeded(`more than ${maxSeries} series selected`);
      }
      return sel;
    },
  };
}

/** The most memory kept for the next inline answer (inline answers are at most INLINE_MAX_BYTES). */
const MAX_SPARE_BYTES = 2 * INLINE_MAX_BYTES;

/**
 * Memory for inline answers: an answer's buffer, once its response is sent, holds the next one.
 * A fresh buffer per answer costs a page fault per 4 KiB written on a virtual machine.
 */
export class InlineAnswerMemory {
  private spare: Uint8Array | undefined;

  /** `text` as UTF-8, in kept memory when it fits; `release` gives the memory back once the answer is sent. */
  encode(text: string): { encoded: Buffer; release: () => void } {
    let memory = this.take();
    // An eighth to spare, so that a slightly larger answer next time still fits.
    if (memory === undefined || memory.length < text.length) memory = new Uint8Array(text.length + (text.length >> 3));
    return this.answer(utf8Bytes(text, memory));
  }

  /**
   * What `write` encodes, given the kept memory (undefined when none is kept) to write into when
   * it fits, else into memory of its own (which is kept afterwards); `release` as for encode.
   */
  encodeWith(write: (into: Uint8Array | undefined) => Uint8Array): { encoded: Buffer; release: () => void } {
    return this.answer(write(this.take()));
  }

  private take(): Uint8Array | undefined {
    const memory = this.spare;
    this.spare = undefined;
    return memory;
  }

  private answer(bytes: Uint8Array): { encoded: Buffer; release: () => void } {
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const kept = new Uint8Array(bytes.buffer);
      if (kept.length <= MAX_SPARE_BYTES && kept.length > (this.spare?.length ?? 0)) this.spare = kept;
    };
    return { encoded: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), release };
  }
}
