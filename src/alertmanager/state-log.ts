// Durable state of the Alertmanager (silences, notification log) as a snapshot plus an append-only
// log: every change appends one JSON line (`{"set": record}` or `{"delete": key}`) to <name>.log
// with a single write before the API answers, so a kill -9 afterwards keeps it, and no change
// rewrites the whole state. The log is folded into the snapshot (<name>.json, written to a temporary
// file, synced and renamed) when it grows past the state's size, periodically and at shutdown.
// Replaying a log over a newer snapshot is harmless (records are whole, keyed upserts), so a crash
// between the snapshot's rename and the log's truncation loses nothing.
// A torn last line (a crash during the write) is skipped with a warning; anything else unreadable
// stops the start with an error naming the file (and line) and what is wrong, as Alertmanager
// refuses to start on a state file it cannot read.
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';

export class StateFileError extends Error {}

/** A change to keyed state. */
export type StateOp<T> = { set: T } | { delete: string };

export interface StateLogOptions<T> {
  dir: string | undefined;
  /** Base name: <name>.json is the snapshot, <name>.log the log. */
  name: string;
  logger: Logger;
  /** The records of a parsed snapshot; throws an Error saying what is wrong. */
  snapshotRecords: (data: unknown) => unknown[];
  /** The snapshot's JSON value for these records. */
  snapshotOf: (records: T[]) => unknown;
  /** Checks one record (from the snapshot or a log line); throws an Error saying what is wrong. */
  checkRecord: (raw: unknown) => T;
  /** Log lines past which the next change compacts (never fewer than this many). */
  minCompactLines?: number;
}

/** write(2) may write less than asked: loop until the whole text is out. */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class StateLog<T> {
  readonly snapshotFile: string | undefined;
  readonly logFile: string | undefined;
  private fd: number | undefined;
  private logLines = 0;
  private readonly minCompactLines: number;

  constructor(private readonly o: StateLogOptions<T>) {
    this.snapshotFile = o.dir === undefined ? undefined : join(o.dir, `${o.name}.json`);
    this.logFile = o.dir === undefined ? undefined : join(o.dir, `${o.name}.log`);
    this.minCompactLines = o.minCompactLines ?? 1000;
  }

  /** Reads the snapshot, then the log, handing every change to `apply` in order; opens the log for appending. */
  load(apply: (op: StateOp<T>) => void): void {
    if (this.snapshotFile === undefined || this.logFile === undefined) return;
    if (existsSync(this.snapshotFile)) {
      let records: unknown[];
      try {
        records = this.o.snapshotRecords(JSON.parse(readFileSync(this.snapshotFile, 'utf8')));
      } catch (e) {
        throw new StateFileError(`${this.snapshotFile}: cannot read the ${this.o.name} snapshot: ${describe(e)}`);
      }
      records.forEach((r, i) => {
        let rec: T;
        try {
          rec = this.o.checkRecord(r);
        } catch (e) {
          throw new StateFileError(`${this.snapshotFile}: record ${i}: ${describe(e)}`);
        }
        apply({ set: rec });
      });
    }
    let keepBytes = -1;
    if (existsSync(this.logFile)) {
      const text = readFileSync(this.logFile, 'utf8');
      const lines = text.split('\n');
      // The text after the last newline is a line whose write did not finish (or nothing).
      const tail = lines.pop()!;
      lines.forEach((line, i) => {
        if (line === '') return;
        apply(this.parseLine(line, `${this.logFile}:${i + 1}`));
        this.logLines++;
      });
      if (tail !== '') {
        this.o.logger.warn('Skipping a torn last record of the state log (a write was interrupted)', { file: this.logFile, line: lines.length + 1, bytes: Buffer.byteLength(tail) });
        keepBytes = Buffer.byteLength(text) - Buffer.byteLength(tail);
      }
    }
    mkdirSync(this.o.dir!, { recursive: true });
    this.fd = openSync(this.logFile, 'a');
    // Cut the torn line so that the next record starts on a line of its own.
    if (keepBytes >= 0) ftruncateSync(this.fd, keepBytes);
  }

  private parseLine(line: string, where: string): StateOp<T> {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new StateFileError(`${where}: not a JSON record: ${describe(e)}`);
    }
    try {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('a record must be an object');
      if (Object.hasOwn(raw, 'set')) return { set: this.o.checkRecord((raw as { set: unknown }).set) };
      const key = (raw as { delete?: unknown }).delete;
      if (Object.hasOwn(raw, 'delete') && typeof key === 'string') return { delete: key };
      throw new Error('a record has "set" (a whole record) or "delete" (a key)');
    } catch (e) {
      throw new StateFileError(`${where}: ${describe(e)}`);
    }
  }

  /**
   * Appends one change (durable against a process kill once this returns). Returns true when
   * the log has grown past `stateSize` records and should be compacted.
   */
  append(op: StateOp<T>, stateSize: number): boolean {
    if (this.fd === undefined) return false;
    writeAll(this.fd, `${JSON.stringify(op)}\n`);
    this.logLines++;
    return this.logLines > Math.max(this.minCompactLines, stateSize);
  }

  /** Writes `records` as the snapshot and empties the log. */
  compact(records: T[]): void {
    if (this.snapshotFile === undefined || this.fd === undefined) return;
    const tmp = `${this.snapshotFile}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, JSON.stringify(this.o.snapshotOf(records)));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.snapshotFile);
    ftruncateSync(this.fd, 0);
    this.logLines = 0;
  }

  /** Compacts and closes the log. */
  close(records: T[]): void {
    if (this.fd === undefined) return;
    this.compact(records);
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Lines in the log since the last compaction (for tests and metrics). */
  get pendingLines(): number {
    return this.logLines;
  }
}

/** Checks that `o` is an object with these own fields of these types; says which one is wrong. */
export function checkFields(o: unknown, fields: Record<string, 'string' | 'number' | 'boolean' | 'array'>): Record<string, unknown> {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new Error('not an object');
  const rec = o as Record<string, unknown>;
  for (const [k, type] of Object.entries(fields)) {
    const v = Object.hasOwn(rec, k) ? rec[k] : undefined;
    const ok = type === 'array' ? Array.isArray(v) : typeof v === type && (type !== 'number' || Number.isFinite(v));
    if (!ok) throw new Error(`field ${JSON.stringify(k)} must be ${type === 'array' ? 'a list' : `a ${type}`}`);
  }
  return rec;
}
