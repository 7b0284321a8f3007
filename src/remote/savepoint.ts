// A queue's durable savepoint: the WAL position before which the receiver has acknowledged
// everything, in <data>/remote/<queue-hash>.savepoint. Written to a temporary file, fsynced and
// renamed (then the directory fsynced), so a crash leaves the old or the new one, never half.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { WalPosition } from '../storage/index.js';

export function savepointPath(dir: string, hash: string): string {
  return join(dir, `${hash}.savepoint`);
}

/** The stored position, or null when there is none (a new queue) or it cannot be read. */
export function readSavepoint(dir: string, hash: string): WalPosition | null {
  let text: string;
  try {
    text = readFileSync(savepointPath(dir, hash), 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<WalPosition>;
    const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
    return ok(v.segment) && ok(v.offset) && ok(v.skip) ? { segment: v.segment, offset: v.offset, skip: v.skip } : null;
  } catch {
    return null;
  }
}

export function writeSavepoint(dir: string, hash: string, p: WalPosition): void {
  mkdirSync(dir, { recursive: true });
  const final = savepointPath(dir, hash);
  const tmp = `${final}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify({ segment: p.segment, offset: p.offset, skip: p.skip }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, final);
  const d = openSync(dir, 'r');
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}
