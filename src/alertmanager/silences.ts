// Silences: matchers plus a time range that mute matching alerts. Kept on disk (one JSON file in
// --storage.path, rewritten atomically on every change) so a restart forgets none; expired ones are
// dropped after --data.retention, as Alertmanager garbage-collects them.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileAnchored } from '../regex/re2.js';
import type { Labels } from '../model/labels.js';
import { emptyLabels, labelValue } from './labelset.js';

/** A matcher in the API's shape (`isEqual` is absent in old clients and means true). */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export type SilenceState = 'expired' | 'active' | 'pending';

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  /** ms since epoch. */
  startsAt: number;
  endsAt: number;
  updatedAt: number;
  createdBy: string;
  comment: string;
}

export class SilenceError extends Error {}

/** A predicate over label sets for a list of matchers (all must match). */
export function matchersPredicate(matchers: SilenceMatcher[]): (l: Labels) => boolean {
  const tests = matchers.map((m) => {
    if (m.isRegex) {
      // Alertmanager anchors regexes and does not let `.` match a newline.
      const re = compileAnchored(m.value, { dotAll: false });
      return (l: Labels) => re.test(labelValue(l, m.name)) === m.isEqual;
    }
    return (l: Labels) => (labelValue(l, m.name) === m.value) === m.isEqual;
  });
  return (l) => tests.every((t) => t(l));
}

export function silenceState(s: Silence, now: number): SilenceState {
  if (s.endsAt <= now) return 'expired';
  if (s.startsAt > now) return 'pending';
  return 'active';
}

function validate(s: Omit<Silence, 'id' | 'updatedAt'>): void {
  if (s.matchers.length === 0) throw new SilenceError('at least one matcher required');
  for (const m of s.matchers) {
    if (m.name === '') throw new SilenceError('invalid label matcher: empty label name');
    if (m.isRegex) {
      try {
        compileAnchored(m.value, { dotAll: false });
      } catch (e) {
        throw new SilenceError(`invalid label matcher: ${(e as Error).message}`);
      }
    }
  }
  // A silence must not match every alert: at least one matcher that fails on the empty string.
  const allMatchEmpty = s.matchers.every((m) => matchersPredicate([m])(emptyLabels()));
  if (allMatchEmpty) throw new SilenceError('at least one matcher must not match the empty string');
  if (s.endsAt <= s.startsAt) throw new SilenceError('end time must not be before start time');
  if (s.createdBy === '') throw new SilenceError('creator information required');
  if (s.comment === '') throw new SilenceError('comment required');
}

/** Whether `next` may change silence `old` in place (Alertmanager's rules), keeping its id. */
function canUpdate(old: Silence, next: Omit<Silence, 'id' | 'updatedAt'>, now: number): boolean {
  if (JSON.stringify(old.matchers) !== JSON.stringify(next.matchers)) return false;
  switch (silenceState(old, now)) {
    case 'active':
      return next.startsAt === old.startsAt && next.endsAt >= now;
    case 'pending':
      return next.startsAt >= now;
    case 'expired':
      return false;
  }
}

interface SilenceFile {
  version: 1;
  silences: Silence[];
}

export class Silences {
  private readonly silences = new Map<string, Silence>();
  private readonly predicates = new Map<string, (l: Labels) => boolean>();
  private readonly file: string | undefined;

  constructor(
    storageDir: string | undefined,
    private readonly retentionMs: number,
  ) {
    this.file = storageDir === undefined ? undefined : join(storageDir, 'silences.json');
    if (this.file !== undefined && existsSync(this.file)) {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as SilenceFile;
      for (const s of data.silences) this.index(s);
    }
  }

  private index(s: Silence): void {
    this.silences.set(s.id, s);
    this.predicates.set(s.id, matchersPredicate(s.matchers));
  }

  private persist(): void {
    if (this.file === undefined) return;
    const data: SilenceFile = { version: 1, silences: [...this.silences.values()] };
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, this.file);
  }

  /**
   * Creates a silence, or updates the one with `id`. As in Alertmanager, a change that is not
   * allowed in place (other matchers, moving an active silence's start) expires the old silence and
   * creates a new one; returns the resulting id.
   */
  set(input: Omit<Silence, 'id' | 'updatedAt'> & { id?: string }, now: number): string {
    validate(input);
    if (input.id !== undefined && input.id !== '') {
      const old = this.silences.get(input.id);
      if (old === undefined) throw new SilenceError(`silence ${input.id} not found`);
      if (canUpdate(old, input, now)) {
        this.index({ ...old, startsAt: input.startsAt, endsAt: input.endsAt, comment: input.comment, createdBy: input.createdBy, updatedAt: now });
        this.persist();
        return old.id;
      }
      if (silenceState(old, now) !== 'expired') this.expire(old.id, now);
    }
    const startsAt = input.startsAt < now ? now : input.startsAt;
    const s: Silence = { id: randomUUID(), matchers: input.matchers, startsAt, endsAt: input.endsAt, updatedAt: now, createdBy: input.createdBy, comment: input.comment };
    if (s.endsAt <= now) throw new SilenceError('end time can\'t be in the past');
    this.index(s);
    this.persist();
    return s.id;
  }

  expire(id: string, now: number): void {
    const s = this.silences.get(id);
    if (s === undefined) throw new SilenceError(`silence ${id} not found`);
    const state = silenceState(s, now);
    if (state === 'expired') throw new SilenceError(`silence ${id} already expired`);
    const updated: Silence = { ...s, endsAt: now, updatedAt: now };
    if (state === 'pending') updated.startsAt = now;
    this.index(updated);
    this.persist();
  }

  get(id: string): Silence | undefined {
    return this.silences.get(id);
  }

  list(): Silence[] {
    return [...this.silences.values()];
  }

  /** Ids of the active silences that match the labels. */
  mutedBy(labels: Labels, now: number): string[] {
    const out: string[] = [];
    for (const [id, s] of this.silences) {
      if (silenceState(s, now) === 'active' && this.predicates.get(id)!(labels)) out.push(id);
    }
    return out;
  }

  /** Drops silences that expired longer than the retention ago. */
  gc(now: number): number {
    let n = 0;
    for (const [id, s] of this.silences) {
      if (s.endsAt + this.retentionMs < now) {
        this.silences.delete(id);
        this.predicates.delete(id);
        n++;
      }
    }
    if (n > 0) this.persist();
    return n;
  }
}
