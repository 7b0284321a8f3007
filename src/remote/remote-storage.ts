// The remote-write queues of the running configuration (Prometheus's remote.Storage for the write
// side): applyConfig adds, replaces and removes queues on reload (an unchanged queue keeps
// running with what it has pending), and the WAL retention floor follows the oldest savepoint,
// bounded by --storage.remote.max-backlog and, in agent mode, by the agent's max-time (a WAL
// segment last written longer ago is given up even while its receiver is down).
import type client from 'prom-client';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import type { Labels } from '../model/labels.js';
import type { SeriesMetadata } from '../storage/index.js';
import type { Logger } from '../util/logger.js';
import { backlogFloor, walSegments, type MaxBacklog } from './backlog.js';
import { createRemoteWriteMetrics, type RemoteWriteMetrics } from './metrics.js';
import type { QueueManager, QueueStatus } from './queue-manager.js';
import { lookupMetadata, metadataIndex, type FamilyMetadataLike } from './metadata.js';

/** What the queues need of the storage. */
export interface RemoteWriteStorage {
  readonly walDir: string;
  setWalRetentionFloor(segment: number | null): void;
}

export interface RemoteStorageOptions {
  storage: RemoteWriteStorage;
  /** The data directory: savepoints go to <dataDir>/remote. */
  dataDir: string;
  logger: Logger;
  maxBacklog: MaxBacklog;
  /**
   * Agent mode's --storage.agent.retention.max-time (ms; 0 or absent: none): WAL segments last
   * written longer ago are given up for the queues too, as the agent never keeps data past it.
   */
  maxAgeMs?: number;
  /** The scrape targets' metric families (name → TYPE, HELP, UNIT), read when metadata is needed. */
  families?: () => Iterable<readonly [string, FamilyMetadataLike]>;
  pollMs?: number;
}

export class RemoteStorage {
  private readonly queues = new Map<string, QueueManager>();
  private metrics: RemoteWriteMetrics | undefined;
  private externalLabels: Labels = Object.create(null) as Labels;
  private timer: NodeJS.Timeout | undefined;
  private metadataCache: { at: number; index: Map<string, SeriesMetadata> } | undefined;

  constructor(private readonly o: RemoteStorageOptions) {}

  /** The families' metadata, rebuilt at most every 10 s (new series ask per series). */
  private metadata(): Map<string, SeriesMetadata> {
    const now = Date.now();
    if (this.metadataCache === undefined || now - this.metadataCache.at > 10_000) this.metadataCache = { at: now, index: metadataIndex(this.o.families?.() ?? []) };
    return this.metadataCache.index;
  }

  /** Registers the metrics (once, before the first applyConfig). */
  init(registry: client.Registry): void {
    this.metrics ??= createRemoteWriteMetrics(registry);
  }

  /** Starts, keeps, or stops queues so that they match `cfg.remoteWrite`. */
  async applyConfig(cfg: Pick<Config, 'remoteWrite' | 'global'>): Promise<void> {
    this.externalLabels = cfg.global.externalLabels;
    const metrics = (this.metrics ??= createRemoteWriteMetrics((await import('prom-client')).default.register));
    // A queue is unchanged when its settings and the external labels (added to every series it sends) are.
    const ext = JSON.stringify(Object.entries(cfg.global.externalLabels).sort());
    const wanted = new Map(cfg.remoteWrite.map((c) => [ext + JSON.stringify(c, (k, v: unknown) => (k === 'hash' ? undefined : v)), c]));
    const stopping: Promise<void>[] = [];
    for (const [key, q] of this.queues) {
      if (!wanted.has(key)) {
        this.queues.delete(key);
        stopping.push(q.stop());
      }
    }
    // A changed queue stops (writing its savepoint) before its successor reads it.
    await Promise.all(stopping);
    // The queues' machinery (WAL watcher, shards, HTTP client) loads with the first remote_write
    // entry: a server that writes nowhere does not carry it.
    const { QueueManager } = wanted.size > 0 ? await import('./queue-manager.js') : { QueueManager: undefined };
    for (const [key, c] of wanted) {
      if (this.queues.has(key) || QueueManager === undefined) continue;
      const q = new QueueManager(c, { walDir: this.o.storage.walDir, savepointDir: join(this.o.dataDir, 'remote'), metrics, logger: this.o.logger.with({ component: 'remote', remote_name: c.name, url: c.url }), externalLabels: () => this.externalLabels, ...(this.o.families !== undefined ? { metadata: (n: string) => lookupMetadata(this.metadata(), n), allMetadata: () => this.metadata() } : {}), ...(this.o.pollMs !== undefined ? { pollMs: this.o.pollMs } : {}) });
      q.start();
      this.queues.set(key, q);
    }
    this.enforceBacklog();
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.enforceBacklog(), 10_000);
      this.timer.unref();
    }
  }

  /**
   * Sets the WAL floor at the oldest savepoint, giving up the oldest segments past the bounds.
   * Returns how many segments were given up.
   */
  enforceBacklog(now = Date.now()): number {
    const queues = [...this.queues.values()];
    if (queues.length === 0) {
      this.o.storage.setWalRetentionFloor(null);
      return 0;
    }
    let floor = Math.min(...queues.map((q) => q.savepoint().segment));
    const segments = walSegments(this.o.storage.walDir);
    const bySize = backlogFloor(segments, floor, this.o.maxBacklog, now);
    const maxAgeMs = this.o.maxAgeMs ?? 0;
    const byAge = maxAgeMs > 0 ? backlogFloor(segments, floor, { ms: maxAgeMs }, now) : floor;
    const allowed = Math.max(bySize, byAge);
    const given = allowed - floor;
    if (allowed > floor) {
      const bound = byAge > bySize ? '--storage.agent.retention.max-time' : '--storage.remote.max-backlog';
      for (const q of queues) q.dropBefore(allowed, bound);
      this.metrics?.backlogSegmentsDropped.inc(allowed - floor);
      floor = Math.min(allowed, ...queues.map((q) => q.savepoint().segment));
    }
    this.o.storage.setWalRetentionFloor(floor);
    return Math.max(0, given);
  }

  /**
   * The lowest of the queues' highest acknowledged sample timestamps (ms), as Prometheus's
   * `LowestSentTimestamp`: 0 with no queue, or while one has sent nothing since start.
   */
  lowestSentTimestamp(): number {
    const queues = [...this.queues.values()];
    return queues.length === 0 ? 0 : Math.min(...queues.map((q) => q.highestSentTimestampMs()));
  }

  status(): QueueStatus[] {
    return [...this.queues.values()].map((q) => q.status());
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const qs = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(qs.map((q) => q.stop()));
  }
}
