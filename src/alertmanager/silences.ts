// Silences: matchers plus a time range that mute matching alerts. Kept on disk in --storage.path
// (silences.json plus the append-only silences.log, see state-log.ts) so a restart forgets none;
// expired ones are dropped after --data.retention, as Alertmanager garbage-collects them.
import { randomUUID } from 'node:crypto';
import { checkFields, StateLog, type StateOp } from './state-log.js';
import { Logger } from '../util/logger.js';
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

/** A silence read back from disk, checked field by field (the message says which is wrong). */
function checkSilence(raw: unknown): Silence {
  const r = checkFields(raw, { id: 'string', matchers: 'array', startsAt: 'number', endsAt: 'number', updatedAt: 'number', createdBy: 'string', comment: 'string' });
  const matchers = (r['matchers'] as unknown[]).map((m, i) => {
    try {
      const f = checkFields(m, { name: 'string', value: 'string', isRegex: 'boolean', isEqual: 'boolean' });
      const matcher: SilenceMatcher = { name: f['name'] as string, value: f['value'] as string, isRegex: f['isRegex'] as boolean, isEqual: f['isEqual'] as boolean };
      if (matcher.isRegex) compileAnchored(matcher.value, { dotAll: false });
      return matcher;
    } catch (e) {
      throw new Error(`silence ${String(r['id'])}: matcher ${i}: ${(e as Error).message}`);
    }
  });
  return { id: r['id'] as string, matchers, startsAt: r['startsAt'] as number, endsAt: r['endsAt'] as number, updatedAt: r['updatedAt'] as number, createdBy: r['createdBy'] as string, comment: r['comment'] as string };
}

export class Silences {
  private readonly silences = new Map<string, Silence>();
  private readonly predicates = new Map<string, (l: Labels) => boolean>();
  private readonly store: StateLog<Silence>;

  constructor(
    storageDir: string | undefined,
    private readonly retentionMs: number,
    logger: Logger = new Logger({ write: () => undefined }),
  ) {
    this.store = new StateLog<Silence>({
      dir: storageDir,
      name: 'silences',
      logger,
      snapshotRecords: (data) => {
        const list = data !== null && typeof data === 'object' && Object.hasOwn(data, 'silences') ? (data as { silences: unknown }).silences : undefined;
        if (!Array.isArray(list)) throw new Error('expected {"version": 1, "silences": [...]}');
        return list;
      },
      snapshotOf: (silences) => ({ version: 1, silences }),
      checkRecord: checkSilence,
    });
    this.store.load((op) => (('set' in op) ? this.index(op.set) : this.unindex(op.delete)));
  }

  private index(s: Silence): void {
    this.silences.set(s.id, s);
    this.predicates.set(s.id, matchersPredicate(s.matchers));
  }

  private unindex(id: string): void {
    this.silences.delete(id);
    this.predicates.delete(id);
  }

  /** Logs a change, then applies it (a change that cannot be written is not made). */
  private commit(op: StateOp<Silence>): void {
    const compactNow = this.store.append(op, this.silences.size);
    if ('set' in op) this.index(op.set);
    else this.unindex(op.delete);
    if (compactNow) this.store.compact(this.list());
  }

  /** Folds the log into the snapshot (the core calls it periodically). */
  compact(): void {
    this.store.compact(this.list());
  }

  /** Compacts and closes the files (shutdown). */
  close(): void {
    this.store.close(this.list());
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
        this.commit({ set: { ...old, startsAt: input.startsAt, endsAt: input.endsAt, comment: input.comment, createdBy: input.createdBy, updatedAt: now } });
        return old.id;
      }
      if (silenceState(old, now) !== 'expired') this.expire(old.id, now);
    }
    const startsAt = input.startsAt < now ? now : input.startsAt;
    const s: Silence = { id: randomUUID(), matchers: input.matchers, startsAt, endsAt: input.endsAt, updatedAt: now, createdBy: input.createdBy, comment: input.comment };
    if (s.endsAt <= now) throw new SilenceError('end time can\'t be in the past');
    this.commit({ set: s });
    return s.id;
  }

  expire(id: string, now: number): void {
    const s = this.silences.get(id);
    if (s === undefined) throw new SilenceError(`silence ${id} not found`);
    const state = silenceState(s, now);
    if (state === 'expired') throw new SilenceError(`silence ${id} already expired`);
    const updated: Silence = { ...s, endsAt: now, updatedAt: now };
    if (state === 'pending') updated.startsAt = now;
    this.commit({ set: updated });
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
        this.unindex(id);
        n++;
      }
    }
    // The snapshot without them replaces the log.
    if (n > 0) this.store.compact(this.list());
    return n;
  }
}
