// The notification log: for each (group, receiver, integration), which alerts were firing and which
// resolved at the last successful notification, and when. The dedup stage compares against it, so
// a group is notified again only when it changed or the repeat interval passed. Kept on disk so a
// restart does not re-send what was already sent.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

export class NotificationLog {
  private readonly entries = new Map<string, NflogEntry>();
  private readonly file: string | undefined;

  constructor(
    storageDir: string | undefined,
    private readonly retentionMs: number,
  ) {
    this.file = storageDir === undefined ? undefined : join(storageDir, 'nflog.json');
    if (this.file !== undefined && existsSync(this.file)) {
      for (const e of JSON.parse(readFileSync(this.file, 'utf8')) as NflogEntry[]) this.entries.set(key(e.groupKey, e.receiver, e.integration), e);
    }
  }

  get(groupKey: string, receiver: string, integration: string): NflogEntry | undefined {
    return this.entries.get(key(groupKey, receiver, integration));
  }

  log(groupKey: string, receiver: string, integration: string, firing: string[], resolved: string[], now: number): void {
    this.entries.set(key(groupKey, receiver, integration), { groupKey, receiver, integration, firing, resolved, timestamp: now, expiresAt: now + this.retentionMs });
    this.persist();
  }

  gc(now: number): void {
    let changed = false;
    for (const [k, e] of this.entries) {
      if (e.expiresAt < now) {
        this.entries.delete(k);
        changed = true;
      }
    }
    if (changed) this.persist();
  }

  /** Writes the log to disk; a failure keeps it in memory (it is written again next time). */
  private persist(): void {
    if (this.file === undefined) return;
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify([...this.entries.values()]));
      renameSync(tmp, this.file);
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
