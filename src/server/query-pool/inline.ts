// Which instant queries skip the worker hop. Handing a query to a worker and its answer back
// costs two thread wake-ups, which on a busy machine take longer than evaluating a small query.
// An instant query whose evaluation proved small (its fastest run, and its answer's size) runs on
// the main thread the next times it is asked (dashboards ask the same expressions over and over),
// still under the query's native limits (timeout, samples, memory budget). The fastest run is what
// counts because a run's time on a busy machine includes the time its thread waited for a core.
// One that turns out large (a big answer, a run far past the bound) goes back to the workers;
// subqueries, whose cost grows with their resolution, always run on a worker.
import type { Expr } from '../../promql/parser/ast.js';
import { utf8Bytes } from './encode.js';

/** A fastest evaluation at most this long (ms) makes an expression cheap enough to run inline. */
export const INLINE_MAX_EVAL_MS = 20;
/** A run this long (ms) sends the expression back to the workers, however fast it once was. */
export const INLINE_EVICT_MS = 200;
/** ... and its answer at most this large (bytes): the main thread encodes it. */
export const INLINE_MAX_BYTES = 1 << 20;
/** Expressions remembered at most (the memory of a burst of distinct queries stays bounded). */
const MAX_REMEMBERED = 2000;
/** ... and only expressions this short (characters), so what is remembered stays a few MB. */
const MAX_EXPR_CHARS = 4096;

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

export class CheapInstantQueries {
  /** Expressions (their text) and their fastest evaluation (ms). */
  private readonly fastest = new Map<string, number>();

  /** Whether `expr` may run on the main thread. */
  allows(expr: string): boolean {
    const ms = this.fastest.get(expr);
    return ms !== undefined && ms <= INLINE_MAX_EVAL_MS;
  }

  /** What an evaluation of `expr` (on a worker or inline) measured: ms (when known) and answer bytes. */
  record(expr: string, parsed: Expr, evalMs: number | undefined, bytes: number): void {
    if (expr.length > MAX_EXPR_CHARS || evalMs === undefined || evalMs > INLINE_EVICT_MS || bytes > INLINE_MAX_BYTES || hasSubquery(parsed)) {
      this.fastest.delete(expr);
      return;
    }
    const before = this.fastest.get(expr);
    if (before === undefined && this.fastest.size >= MAX_REMEMBERED) this.fastest.clear();
    this.fastest.set(expr, before === undefined ? evalMs : Math.min(before, evalMs));
  }

  /** A query that failed inline (a limit, say) runs on a worker the next time. */
  forget(expr: string): void {
    this.fastest.delete(expr);
  }
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
    let memory = this.spare;
    this.spare = undefined;
    // An eighth to spare, so that a slightly larger answer next time still fits.
    if (memory === undefined || memory.length < text.length) memory = new Uint8Array(text.length + (text.length >> 3));
    const bytes = utf8Bytes(text, memory);
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
