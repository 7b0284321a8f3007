// Append-only JSON-lines files (the query log, scrape failure logs): opened once, one line per
// record, shared by everyone who names the same path.
import { closeSync, openSync, writeSync } from 'node:fs';

export class JsonLinesFile {
  private fd: number | undefined;

  /** Opens (creating) `path` for appending; throws when it cannot. */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /** Appends one record; false when the write failed (the caller counts it). */
  write(record: unknown): boolean {
    if (this.fd === undefined) return false;
    try {
      writeSync(this.fd, JSON.stringify(record) + '\n');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Files by path, for settings that name a file per job: `use` the ones a config names, the rest close. */
export class JsonLinesFiles {
  private readonly files = new Map<string, JsonLinesFile>();

  /** Opens what is new among `paths` (throws, changing nothing, if one cannot be opened) and closes what is gone. */
  use(paths: Iterable<string>): void {
    const wanted = new Set(paths);
    const opened: JsonLinesFile[] = [];
    try {
      for (const p of wanted) if (!this.files.has(p)) opened.push(new JsonLinesFile(p));
    } catch (e) {
      for (const f of opened) f.close();
      throw e;
    }
    for (const [p, f] of this.files) {
      if (!wanted.has(p)) {
        f.close();
        this.files.delete(p);
      }
    }
    for (const f of opened) this.files.set(f.path, f);
  }

  get(path: string): JsonLinesFile | undefined {
    return this.files.get(path);
  }

  closeAll(): void {
    this.use([]);
  }
}
