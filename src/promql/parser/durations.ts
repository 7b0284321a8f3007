// Bounds of durations and @ times the parser can check before evaluation: those that do not
// depend on the query's range (no step()/range()).
import type { DurationExpr } from './ast.js';

// time.Duration's largest value (int64 nanoseconds) in milliseconds.
export const MAX_DURATION_MS = 9223372036854;
// The widest time the storage holds (the API's MIN_TIME_MS/MAX_TIME_MS): milliseconds exact in a double.
export const STORABLE_TIME_MS = 9223372036854;

/** Whether `seconds` as a duration fits time.Duration (Prometheus: "duration is out of range"). */
export function durationInRange(seconds: number): boolean {
  return Math.abs(seconds * 1000) <= MAX_DURATION_MS;
}

/**
 * An `@` time in seconds as the query uses it: undefined where Prometheus refuses it (not finite,
 * or beyond int64 seconds), else clamped to the times storage can hold, where a selection finds
 * the same nothing and no evaluation overflows.
 */
export function boundedAtSeconds(seconds: number): number | undefined {
  if (!Number.isFinite(seconds) || Math.abs(seconds) >= 2 ** 63) return undefined;
  const limit = STORABLE_TIME_MS / 1000;
  return Math.abs(seconds) <= limit ? seconds : Math.sign(seconds) * limit;
}

/**
 * The seconds of a duration expression. `fnSeconds` gives step() and range() (undefined where they
 * are not known, as when the parser folds constants); `byZero` gives what a division or modulo by
 * zero yields (undefined, or it throws the evaluation's error). Undefined when a part is unknown.
 */
export function foldDuration(d: DurationExpr, fnSeconds: (name: 'step' | 'range') => number | undefined, byZero: (op: '/' | '%') => number | undefined): number | undefined {
  const fold = (e: DurationExpr): number | undefined => {
    switch (e.kind) {
      case 'number':
        return e.seconds;
      case 'neg': {
        const v = fold(e.expr);
        return v === undefined ? undefined : -v;
      }
      case 'fn':
        return fnSeconds(e.name);
      case 'minmax': {
        const vals = e.args.map(fold);
        if (vals.some((v) => v === undefined)) return undefined;
        return e.name === 'min' ? Math.min(...(vals as number[])) : Math.max(...(vals as number[]));
      }
      case 'binary': {
        const a = fold(e.lhs);
        const b = fold(e.rhs);
        if (a === undefined || b === undefined) return undefined;
        switch (e.op) {
          case '+':
            return a + b;
          case '-':
            return a - b;
          case '*':
            return a * b;
          case '/':
            return b === 0 ? byZero('/') : a / b;
          case '%':
            return b === 0 ? byZero('%') : a % b;
          case '^':
            return a ** b;
        }
      }
    }
  };
  return fold(d);
}

/** The seconds of a duration expression that does not depend on the query (no step()/range()), else undefined. */
export function constantSeconds(d: DurationExpr): number | undefined {
  // Division and modulo by zero are the evaluation's error to report.
  return foldDuration(d, () => undefined, () => undefined);
}

/** Go's %f: six decimals, never an exponent. */
export function goFixed6(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return Math.abs(v) < 1e21 ? v.toFixed(6) : `${BigInt(v).toString()}.000000`;
}
