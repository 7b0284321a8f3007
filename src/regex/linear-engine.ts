// Turns on V8's linear-time fallback for regexes in this process (and its worker threads, which
// share the process's V8 flags): after --regexp-backtracks-before-fallback (50,000) backtracks, V8
// re-runs the match on its breadth-first engine, so a pattern such as `(a+)+$` cannot stall the
// event loop the way it does on the backtracking engine. RE2 (Prometheus, Alertmanager) guarantees
// linear time; this is how we get it without a native RE2 binding.
//
// The fallback only takes regexes without the `u` flag and without backreferences or lookaround,
// whose counted repetitions multiply to at most 16 (re2.ts emits exactly such regexes), in Node 20.
// The flag is read when a regex is executed, so setting it at import time, before any user regex is
// compiled, is enough (measured: a RegExp built after v8.setFlagsFromString falls back; so does one
// run in a worker started afterwards). bin/promethium.js also sets it first thing.
import { setFlagsFromString } from 'node:v8';

export const LINEAR_FALLBACK_FLAG = '--enable-experimental-regexp-engine-on-excessive-backtracks';

let enabled = false;

/** Idempotent; safe to call from every entry point. */
export function enableLinearRegexFallback(): void {
  if (enabled) return;
  setFlagsFromString(LINEAR_FALLBACK_FLAG);
  enabled = true;
}

enableLinearRegexFallback();
