// Per-query limits of the native work (see crates/tsdb/src/limits.rs): a deadline and a cancel
// token the kernels' loops check, and one count of samples and bytes that native allocations
// and the engine's own (through `reserveQueryMemory`) are checked against BEFORE allocating.
import { loadNative } from './native.js';

export interface NativeQueryLimits {
  /** 0: no deadline. */
  timeoutMs: number;
  /** 0: no limit. */
  maxSamples: number;
  /** 0: no limit (`--query.max-memory`). */
  maxBytes: number;
  /** From `newCancelToken`, to stop the query from another thread; 0: none. */
  cancelToken?: number;
}

/** Why native work stopped early, from the error's code. */
export type QueryAbort = 'timeout' | 'samples' | 'memory';

const ABORT_BY_CODE = new Map<string, QueryAbort>([
  ['ERR_QUERY_TIMEOUT', 'timeout'],
  ['ERR_QUERY_TOO_MANY_SAMPLES', 'samples'],
  ['ERR_QUERY_MEMORY', 'memory'],
]);

export function queryAbortOf(e: unknown): QueryAbort | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ABORT_BY_CODE.get(code) : undefined;
}

/** Runs `f` with the limits active on this thread's native calls; they are lifted after, also on errors. */
export function withQueryLimits<T>(limits: NativeQueryLimits, f: () => T): T {
  const native = loadNative();
  native.beginQuery(limits.cancelToken ?? 0, Math.max(0, limits.timeoutMs), Math.max(0, limits.maxSamples), Math.max(0, limits.maxBytes));
  try {
    return f();
  } finally {
    native.endQuery();
  }
}

/** Checks `bytes` the engine is about to allocate against the active query's memory budget (throws past it). */
export function reserveQueryMemory(bytes: number): void {
  loadNative().reserveQuery(0, Math.max(0, Math.ceil(bytes)));
}

/** Counts samples (against the sample limit) and bytes (against the memory budget) the engine is about to hold, as the native selections count theirs. */
export function reserveQuery(samples: number, bytes: number): void {
  loadNative().reserveQuery(Math.max(0, Math.ceil(samples)), Math.max(0, Math.ceil(bytes)));
}

export function newCancelToken(): number {
  return loadNative().newCancelToken();
}

export function cancelQuery(token: number): boolean {
  return loadNative().cancelQuery(token);
}

export function releaseCancelToken(token: number): void {
  loadNative().releaseCancelToken(token);
}
