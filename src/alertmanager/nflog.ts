// The notification log: for each (group, receiver, integration), which alerts were firing and which
// resolved at the last successful notification, and when. The dedup stage compares against it, so
// a group is notified again only when it changed or the repeat interval passed. Kept on disk so a
// restart does not re-send what was already sent: nflog.json plus the append-only nflog.log (see
// state-log.ts), so a notification costs one appended line, not a rewrite of the whole log.
import { checkFields, StateLog } from './state-log.js';
import { Logger } from '../util/logger.js';

export interface NflogEntry {
  groupKey: string;
  receiver: string;
  integration: string;
  firing: string[];
  resolved: string[];
  /** ms since epoch of the notification. */
  timestamp: number;
  expiresAt: number;
}

function key(groupKey: string, receiver: string, integration: string): string {
  return `${groupKey}\x00${receiver}\x00${integration}`;
}

function checkEntry(raw: unknown): NflogEntry {
  const r = checkFields(raw, { groupKey: 'string', receiver: 'string', integration: 'string', firing: 'array', resolved: 'array', timestamp: 'number', expiresAt: 'number' });
  for (const list of ['firing', 'resolved']) if (!(r[list] as unknown[]).every((x) => typeof x === 'string')) throw new Error(`field ${JSON.stringify(list)} must be a list of fingerprints`);
  return r as unknown as NflogEntry;
}

export class NotificationLog {
  private readonly entries = new Map<string, NflogEntry>();
  private readonly store: StateLog<NflogEntry>;

  constructor(
    storageDir: string | undefined,
    private readonly retentionMs: number,
    logger: Logger = new Logger({ write: () => undefined }),
  ) {
    this.store = new StateLog<NflogEntry>({
      dir: storageDir,
      name: 'nflog',
      logger,
      snapshotRecords: (data) => {
        if (!Array.isArray(data)) throw new Error('expected a list of entries');
        return data;
      },
      snapshotOf: (entries) => entries,
      checkRecord: checkEntry,
    });
    this.store.load((op) => {
      if ('set' in op) this.entries.set(key(op.set.groupKey, op.set.receiver, op.set.integration), op.set);
      else this.entries.delete(op.delete);
    });
  }

  get(groupKey: string, receiver: string, integration: string): NflogEntry | undefined {
    return this.entries.get(key(groupKey, receiver, integration));
  }

  log(groupKey: string, receiver: string, integration: string, firing: string[], resolved: string[], now: number): void {
    const entry: NflogEntry = { groupKey, receiver, integration, firing, resolved, timestamp: now, expiresAt: now + this.retentionMs };
    this.entries.set(key(groupKey, receiver, integration), entry);
    // A failed write keeps the entry in memory (the notification was sent); the next compaction retries.
    this.persist(() => {
      if (this.store.append({ set: entry }, this.entries.size)) this.store.compact([...this.entries.values()]);
    });
  }

  gc(now: number): void {
    let changed = false;
    for (const [k, e] of this.entries) {
      if (e.expiresAt < now) {
        this.entries.delete(k);
        changed = true;
      }
    }
    if (changed) this.compact();
  }

  /** Folds the log into the snapshot. */
  compact(): void {
    this.persist(() => this.store.compact([...this.entries.values()]));
  }

  /** Compacts and closes the files (shutdown). */
  close(): void {
    this.persist(() => this.store.close([...this.entries.values()]));
  }

  private persist(write: () => void): void {
    try {
      write();
    } catch {
      this.persistFailures++;
    }
  }

  /** How often writing the log to disk failed (kept in memory meanwhile). */
  persistFailures = 0;
}

/**
 * Whether a group needs a notification (Alertmanager's dedup rules): always for a first firing
 * notification; when an alert started firing; when everything resolved after a firing notification;
 * when alerts resolved and the integration sends resolved notifications; else after repeat_interval.
 */
export function needsUpdate(entry: NflogEntry | undefined, firing: Set<string>, resolved: Set<string>, sendResolved: boolean, repeatMs: number, now: number): boolean {
  if (entry === undefined) return firing.size > 0;
  const prevFiring = new Set(entry.firing);
  for (const f of firing) if (!prevFiring.has(f)) return true;
  if (firing.size === 0) return entry.firing.length > 0;
  if (sendResolved) {
    const prevResolved = new Set(entry.resolved);
    for (const r of resolved) if (!prevResolved.has(r)) return true;
  }
  return entry.timestamp < now - repeatMs;
}
