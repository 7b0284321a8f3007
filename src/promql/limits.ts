// The engine's side of a query's limits: the native deadline, sample and memory accounting
// around an evaluation (src/storage/query-limits.ts), sizes checked before the engine allocates,
// and the errors of the limits in Prometheus's shapes.
import { queryAbortOf, reserveQueryMemory, withQueryLimits } from '../storage/query-limits.js';
import { QueryError } from './values.js';

export const TOO_MANY_SAMPLES = 'query processing would load too many samples into memory in query execution';
export const TIMED_OUT = 'query timed out in expression evaluation';

/** Bytes per cell of a dense series x steps result (a Float64Array of values and a Uint8Array of presence). */
export const CELL_BYTES = 9;

export interface LimitsOptions {
  timeoutMs: number;
  maxSamples: number;
  /** 0: no budget. */
  maxBytes: number;
  cancelToken?: number;
}

/** Prometheus's cap on a range query's points per series (its API's 11,000). */
export const MAX_POINTS_PER_SERIES = 11_000;

/**
 * Why a range query's step cannot be evaluated, or undefined: the one place both the HTTP API
 * (before a query reaches a worker) and the engine check it. `param` names the API parameter
 * the message is about, when the API prefixes it.
 */
export function rangeStepError(startMs: number, endMs: number, stepMs: number): { param?: 'step'; message: string } | undefined {
  if (stepMs <= 0) return { param: 'step', message: 'zero or negative query resolution step widths are not accepted. Try a positive integer' };
  if (rangeSteps(startMs, endMs, stepMs) > MAX_POINTS_PER_SERIES) {
    return { message: 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)' };
  }
  return undefined;
}

/** The number of steps start, start+step, ... <= end. */
export function rangeSteps(startMs: number, endMs: number, stepMs: number): number {
  return Math.floor((endMs - startMs) / stepMs) + 1;
}

/** A limit's error as the engine reports it; other errors unchanged. */
export function asQueryError(e: unknown, maxBytes: number): unknown {
  if (e instanceof QueryError) return e;
  switch (queryAbortOf(e)) {
    case 'timeout':
      return new QueryError(TIMED_OUT, 'timeout');
    case 'samples':
      return new QueryError(TOO_MANY_SAMPLES, 'execution');
    case 'memory':
      return new QueryError((e as Error).message, 'execution');
  }
  // V8 refusing a typed array or an array buffer of the size asked.
  if (e instanceof RangeError && /allocation failed|Invalid typed array length|Array buffer allocation|Invalid array length/i.test(e.message)) {
    const budget = maxBytes > 0 ? ` (--query.max-memory=${maxBytes} bytes)` : '';
    return new QueryError(`query processing would allocate more memory than is available${budget}: ${e.message}`, 'execution');
  }
  return e;
}

/** Runs an evaluation with the native limits active on this thread, its errors in the engine's shapes. */
export function runLimited<T>(opts: LimitsOptions, f: () => T): T {
  try {
    return withQueryLimits({ timeoutMs: Number.isFinite(opts.timeoutMs) ? Math.max(1, opts.timeoutMs) : 0, maxSamples: opts.maxSamples, maxBytes: opts.maxBytes, cancelToken: opts.cancelToken }, f);
  } catch (e) {
    throw asQueryError(e, opts.maxBytes);
  }
}

/**
 * Counts `series x steps` cells the engine is about to allocate (checked arithmetic: a count
 * past 2^53 or the sample limit fails before anything is allocated).
 */
export function reserveCells(series: number, steps: number, maxSamples: number, bytesPerCell = CELL_BYTES): void {
  const cells = series * steps;
  if (!Number.isSafeInteger(cells) || (maxSamples > 0 && cells > maxSamples)) throw new QueryError(TOO_MANY_SAMPLES, 'execution');
  reserveQueryMemory(cells * bytesPerCell);
}
