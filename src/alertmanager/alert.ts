// Alerts as the Alertmanager holds them, and their fingerprint (Alertmanager's: FNV-1a 64 over the
// sorted label names and values with 0xff separators, printed as 16 hex digits), which clients
// such as amtool use as the alert's identity.
import type { Labels } from '../model/labels.js';

export interface Alert {
  labels: Labels;
  annotations: Labels;
  /** ms since epoch. */
  startsAt: number;
  /** ms since epoch; in the future while firing. */
  endsAt: number;
  generatorURL: string;
  updatedAt: number;
  /** endsAt was not given by the sender but set from resolve_timeout. */
  timeout: boolean;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const encoder = new TextEncoder();

export function fingerprint(labels: Labels): string {
  let h = FNV_OFFSET;
  const add = (bytes: Uint8Array): void => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK;
  };
  const sep = new Uint8Array([0xff]);
  for (const name of Object.keys(labels).sort()) {
    add(encoder.encode(name));
    add(sep);
    add(encoder.encode(labels[name]!));
    add(sep);
  }
  return h.toString(16).padStart(16, '0');
}

export function isResolved(a: Alert, now: number): boolean {
  return a.endsAt <= now;
}

/** Merges two versions of one alert (Alertmanager's semantics); `b` is taken as the younger. */
function merge(a: Alert, b: Alert, now: number): Alert {
  if (b.updatedAt < a.updatedAt) return merge(b, a, now);
  const res: Alert = { ...b };
  // Always the earliest start.
  if (a.startsAt < b.startsAt) res.startsAt = a.startsAt;
  if (isResolved(b, now)) {
    // The latest explicit end wins when both are resolved.
    if (isResolved(a, now) && a.endsAt > b.endsAt) res.endsAt = a.endsAt;
  } else if (a.endsAt > b.endsAt && !a.timeout) {
    // A later end that the sender set explicitly beats a resolve_timeout guess.
    res.endsAt = a.endsAt;
  }
  return res;
}

/**
 * The stored alert after `next` arrives for the same fingerprint: merged when their activity ranges
 * overlap, otherwise `next` replaces it (a new occurrence of a resolved alert).
 */
export function putAlert(old: Alert | undefined, next: Alert, now: number): Alert {
  if (old === undefined) return next;
  const overlaps = (next.endsAt > old.startsAt && next.endsAt < old.endsAt) || (next.startsAt > old.startsAt && next.startsAt < old.endsAt);
  return overlaps ? merge(old, next, now) : next;
}
