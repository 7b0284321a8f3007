// Which instant queries skip the worker hop. Handing a query to a worker and its answer back
// costs two thread wake-ups, which on a busy machine take longer than evaluating a small query.
// An instant query whose evaluation on a worker proved small (time and answer size) runs on the
// main thread the next times it is asked (dashboards ask the same expressions over and over),
// still under the query's native limits (timeout, samples, memory budget). One that turns out
// larger there goes back to the workers; subqueries, whose cost grows with their resolution,
// always run on a worker.
import type { Expr } from '../../promql/parser/ast.js';

/** A worker's evaluation at most this long (ms) makes an expression cheap enough to run inline. */
export const INLINE_MAX_EVAL_MS = 20;
/** ... and its answer at most this large (bytes): the main thread encodes it. */
export const INLINE_MAX_BYTES = 1 << 20;
/** Expressions remembered at most (the memory of a burst of distinct queries stays bounded). */
const MAX_REMEMBERED = 2000;

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

/** Whether a measured evaluation (ms, answer bytes) is small enough to run on the main thread. */
export function isCheap(evalMs: number | undefined, bytes: number): boolean {
  return evalMs !== undefined && evalMs <= INLINE_MAX_EVAL_MS && bytes <= INLINE_MAX_BYTES;
}

export class CheapInstantQueries {
  /** Expressions (their text) measured cheap. */
  private readonly cheap = new Set<string>();

  /** Whether `expr` may run on the main thread. */
  allows(expr: string): boolean {
    return this.cheap.has(expr);
  }

  /** What an evaluation of `expr` (on a worker or inline) measured. */
  record(expr: string, parsed: Expr, evalMs: number | undefined, bytes: number): void {
    if (!isCheap(evalMs, bytes) || hasSubquery(parsed)) {
      this.cheap.delete(expr);
      return;
    }
    if (this.cheap.has(expr)) return;
    if (this.cheap.size >= MAX_REMEMBERED) this.cheap.clear();
    this.cheap.add(expr);
  }

  /** A query that failed inline (a limit, say) runs on a worker the next time. */
  forget(expr: string): void {
    this.cheap.delete(expr);
  }
}
