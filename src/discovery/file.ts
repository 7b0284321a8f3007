// file_sd_configs: target groups read from JSON or YAML files matched by globs, re-read when a
// file changes (fs.watch on the directories) and every refresh_interval in any case, as Prometheus
// does. A file that fails to parse keeps its last good groups and the error is logged.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname, resolve, extname } from 'node:path';
import YAML from 'yaml';
import type { TargetGroup } from './target-group.js';
import type { Logger } from '../util/logger.js';
import { expandGlob } from '../util/glob.js';

export interface FileSdOptions {
  files: string[];
  refreshIntervalMs: number;
  /** Relative globs resolve against this directory (the config file's). */
  baseDir: string;
}

interface RawGroup {
  targets?: unknown;
  labels?: unknown;
}

/** Parses one SD file's content; throws with the file name and reason on bad content. */
export function parseSdFile(path: string, content: string): TargetGroup[] {
  const ext = extname(path);
  let doc: unknown;
  if (ext === '.json') doc = JSON.parse(content);
  else if (ext === '.yml' || ext === '.yaml') doc = YAML.parse(content);
  else throw new Error(`retrieval.FileDiscovery.readFile: unsupported file extension "${ext}" for ${path}`);
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) throw new Error(`${path}: expected a list of target groups`);
  return (doc as RawGroup[]).map((g, i) => {
    const targets = g.targets ?? [];
    if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string')) throw new Error(`${path}: group ${i}: "targets" must be a list of strings`);
    const labels: Record<string, string> = {};
    if (g.labels !== undefined && g.labels !== null) {
      if (typeof g.labels !== 'object' || Array.isArray(g.labels)) throw new Error(`${path}: group ${i}: "labels" must be a map`);
      for (const [k, v] of Object.entries(g.labels as Record<string, unknown>)) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) throw new Error(`${path}: group ${i}: "${k}" is not a valid label name`);
        labels[k] = String(v);
      }
    }
    // Prometheus adds the file path as a meta label so relabeling can use it.
    labels.__meta_filepath = path;
    return { targets: targets as string[], labels, source: `${path}:${i}` };
  });
}

export class FileDiscovery {
  private readonly lastGood = new Map<string, TargetGroup[]>();
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: FileSdOptions,
    private readonly logger: Logger,
    private readonly onUpdate: (groups: TargetGroup[]) => void,
  ) {}

  start(): void {
    this.refresh();
    const dirs = new Set(this.options.files.map((f) => dirname(resolve(this.options.baseDir, f))));
    for (const dir of dirs) {
      try {
        const w = watch(dir, () => this.scheduleRefresh());
        w.on('error', (e) => this.logger.warn('Error watching file_sd directory', { dir, err: e }));
        this.watchers.push(w);
      } catch (e) {
        this.logger.warn('Cannot watch file_sd directory; relying on refresh_interval', { dir, err: e as Error });
      }
    }
    this.timer = setInterval(() => this.refresh(), this.options.refreshIntervalMs);
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
  }

  private scheduleRefresh(): void {
    // Editors write files in several steps; read once things settle.
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.refresh(), 100);
  }

  /** Reads every matching file now and reports the union of their groups. */
  refresh(): void {
    const files = new Set(this.options.files.flatMap((g) => expandGlob(g, this.options.baseDir)));
    for (const known of [...this.lastGood.keys()]) if (!files.has(known)) this.lastGood.delete(known);
    for (const f of files) {
      try {
        this.lastGood.set(f, parseSdFile(f, readFileSync(f, 'utf8')));
      } catch (e) {
        this.logger.error('Error reading file', { component: 'discovery manager', discovery: 'file', path: f, err: e as Error });
      }
    }
    this.onUpdate([...this.lastGood.values()].flat());
  }
}
