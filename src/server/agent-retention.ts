// Agent mode's WAL retention, with the rule of Prometheus's agent (tsdb/agent/db.go): every
// truncation interval the WAL is truncated at
//
//   ts = max(lowest sent timestamp of the remote-write queues - min-time, now - max-time)
//
// Series with no sample at or after ts are garbage-collected, and the closed WAL segments are
// checkpointed keeping only samples at or after ts. So samples a receiver has acknowledged stay
// at least min-time, and nothing stays past max-time, even while a receiver is down. With no
// queue the lowest sent timestamp is 0, as in Prometheus: the WAL keeps max-time.
//
// How this fits the queues' savepoints and --storage.remote.max-backlog: a queue's savepoint
// holds the WAL segments it has not had acknowledged (the retention floor), and the checkpoint
// never covers segments at or above that floor, so unsent data is not lost to min-time. What
// bounds the floor is, first, --storage.remote.max-backlog (size or age) and, in agent mode,
// max-time as well: a segment last written more than max-time ago is given up for the queues
// (counted in prometheus_remote_storage_backlog_segments_dropped_total and logged) before the
// truncation, so the checkpoint drops its old samples. Disk stays bounded by both bounds, with
// the granularity of a segment and of a truncation interval; memory by the number of series, as
// the agent's head keeps no chunks (crates/tsdb/src/db/agent.rs).
import client from 'prom-client';
import type { AgentTruncation } from '../storage/index.js';
import type { Logger } from '../util/logger.js';

/** Prometheus's agent defaults (tsdb/agent: DefaultMinWALTime, DefaultMaxWALTime, DefaultTruncateFrequency). */
export const DEFAULT_AGENT_MIN_TIME_MS = 5 * 60_000;
export const DEFAULT_AGENT_MAX_TIME_MS = 4 * 3_600_000;
export const DEFAULT_AGENT_TRUNCATE_FREQUENCY_MS = 2 * 3_600_000;

export interface AgentRetention {
  minTimeMs: number;
  maxTimeMs: number;
  truncateFrequencyMs: number;
}

/**
 * The flags' values (0: not given) completed as Prometheus's agent does: defaults for what is not
 * given, and max-time raised to min-time and to the truncation interval when below them.
 */
export function agentRetention(given: { minTimeMs: number; maxTimeMs: number; truncateFrequencyMs: number }): AgentRetention {
  const truncateFrequencyMs = given.truncateFrequencyMs > 0 ? given.truncateFrequencyMs : DEFAULT_AGENT_TRUNCATE_FREQUENCY_MS;
  const minTimeMs = given.minTimeMs > 0 ? given.minTimeMs : DEFAULT_AGENT_MIN_TIME_MS;
  const maxTimeMs = Math.max(given.maxTimeMs > 0 ? given.maxTimeMs : DEFAULT_AGENT_MAX_TIME_MS, minTimeMs, truncateFrequencyMs);
  return { minTimeMs, maxTimeMs, truncateFrequencyMs };
}

/** The time the WAL is truncated at (ms): see the rule above. */
export function agentTruncationTime(lowestSentMs: number, r: AgentRetention, nowMs: number): number {
  return Math.max(0, lowestSentMs - r.minTimeMs, nowMs - r.maxTimeMs);
}

/** What the truncator needs of the storage (a Storage opened with `agent: true`). */
export interface AgentWalStorage {
  truncateAgentWal(mintMs: number): Promise<AgentTruncation>;
}

/** What the truncator needs of the remote-write queues (RemoteStorage, built with `maxAgeMs`). */
export interface AgentWalQueues {
  lowestSentTimestamp(): number;
  /** Moves the WAL floor, giving up segments past the bounds; returns how many were given up. */
  enforceBacklog(now?: number): number;
}

export interface AgentTruncationReport extends AgentTruncation {
  /** The truncation time (ms). */
  mint: number;
  /** WAL segments the queues gave up (past max-backlog or max-time) before truncating. */
  segmentsGivenUp: number;
}

export class AgentWalTruncator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<AgentTruncationReport> | undefined;
  private metrics: { deletedSeries: client.Gauge; duration: client.Summary } | undefined;

  constructor(
    private readonly parts: { storage: AgentWalStorage; queues: AgentWalQueues; retention: AgentRetention; logger: Logger },
  ) {}

  /** Registers Prometheus's agent truncation metrics (once). */
  init(registry: client.Registry): void {
    this.metrics ??= {
      deletedSeries: new client.Gauge({ name: 'prometheus_agent_deleted_series', help: 'Number of series pending deletion from the WAL', registers: [registry] }),
      duration: new client.Summary({ name: 'prometheus_agent_truncate_duration_seconds', help: 'Duration of WAL truncation.', registers: [registry] }),
    };
  }

  /** Truncates every truncation interval from now on. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.truncate().catch((e: unknown) => this.parts.logger.warn('Failed to truncate the WAL', { component: 'agent', err: e as Error }));
    }, this.parts.retention.truncateFrequencyMs);
    this.timer.unref();
  }

  /**
   * One truncation at `now` (what the timer runs; tests pass their own clock). A call while one
   * runs gets that one's outcome.
   */
  truncate(now = Date.now()): Promise<AgentTruncationReport> {
    this.running ??= this.run(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(now: number): Promise<AgentTruncationReport> {
    const { storage, queues, retention, logger } = this.parts;
    const started = Date.now();
    const mint = agentTruncationTime(queues.lowestSentTimestamp(), retention, now);
    // The floor first, so that segments past max-time are no longer held for a down receiver.
    const segmentsGivenUp = queues.enforceBacklog(now);
    const t = await storage.truncateAgentWal(mint);
    this.metrics?.deletedSeries.set(t.seriesPendingDeletion);
    this.metrics?.duration.observe((Date.now() - started) / 1000);
    logger.info('WAL truncated', { component: 'agent', mint: new Date(mint).toISOString(), series_removed: t.seriesRemoved, series_pending_deletion: t.seriesPendingDeletion, checkpoint_through: t.checkpointThrough ?? 'none', segments_given_up: segmentsGivenUp, duration: `${((Date.now() - started) / 1000).toFixed(3)}s` });
    return { ...t, mint, segmentsGivenUp };
  }

  /** Stops the timer and waits for a truncation under way (before the storage is closed). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
