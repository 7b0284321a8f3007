// One shard: sends its batches one at a time, in order (a series always lands in the same shard,
// so its samples reach the receiver in order), retrying recoverable failures with exponential
// backoff between min_backoff and max_backoff (Retry-After honoured on 429).
import type { QueueConfig } from '../config/index.js';
import type { WalBatch } from '../storage/index.js';
import type { SendResult } from './client.js';

export interface QueuedBatch extends WalBatch {
  seq: number;
  protocol: 1 | 2;
  /** Given up by a backlog bound while being sent: not tried again. */
  abandoned?: boolean;
}

/** What became of a batch. */
export type Outcome = { kind: 'sent'; result: SendResult; seconds: number } | { kind: 'failed'; status: number; reason: string } | { kind: 'unsupported' } | { kind: 'abandoned' };

export interface ShardHooks {
  send(b: QueuedBatch): Promise<SendResult>;
  /** A recoverable failure; the batch is tried again after `waitMs`. */
  retrying(b: QueuedBatch, why: string, waitMs: number): void;
  done(b: QueuedBatch, o: Outcome): void;
}

export function nextBackoff(current: number, q: Pick<QueueConfig, 'minBackoffMs' | 'maxBackoffMs'>): number {
  return Math.min(q.maxBackoffMs, Math.max(q.minBackoffMs, current * 2));
}

export class Shard {
  readonly queue: QueuedBatch[] = [];
  pendingSamples = 0;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly q: QueueConfig,
    private readonly hooks: ShardHooks,
  ) {}

  push(b: QueuedBatch): void {
    this.queue.push(b);
    this.pendingSamples += b.samples;
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /**
   * Gives up the batch being sent (retried while its receiver is down), so that a backlog bound
   * can free its WAL segment; a request under way may still land. Returns it, if there is one.
   */
  abandonInFlight(): QueuedBatch | undefined {
    const b = this.busy ? this.queue[0] : undefined;
    if (b === undefined) return undefined;
    b.abandoned = true;
    this.wake?.();
    return b;
  }

  /** Gives up what is queued (the caller rewinds to its savepoint) and waits for the send in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const b = this.queue[0]!;
      const outcome = await this.attempt(b);
      this.queue.shift();
      this.pendingSamples -= b.samples;
      this.hooks.done(b, outcome);
    }
  }

  private async attempt(b: QueuedBatch): Promise<Outcome> {
    let backoff = this.q.minBackoffMs;
    for (;;) {
      if (this.stopped || b.abandoned === true) return { kind: 'abandoned' };
      const start = performance.now();
      let why: string;
      let wait = backoff;
      try {
        const r = await this.hooks.send(b);
        if (r.status >= 200 && r.status < 300) return { kind: 'sent', result: r, seconds: (performance.now() - start) / 1000 };
        if (r.status === 415 && b.protocol === 2) return { kind: 'unsupported' };
        const retry = r.status >= 500 || (r.status === 429 && this.q.retryOnHttp429);
        if (!retry) return { kind: 'failed', status: r.status, reason: r.body };
        why = `server returned HTTP status ${r.status}`;
        if (r.status === 429 && r.retryAfterMs !== undefined) wait = Math.max(r.retryAfterMs, backoff);
      } catch (e) {
        why = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
      }
      this.hooks.retrying(b, why, wait);
      await this.sleep(wait);
      backoff = nextBackoff(backoff, this.q);
    }
  }
}

/**
 * An exponentially weighted rate, as Prometheus's ewmaRate: counts add up between ticks, and each
 * tick moves the rate a fifth of the way to the interval's own rate (the first tick sets it), so
 * one odd interval does not swing the shard count.
 */
export class EwmaRate {
  private count = 0;
  private value = 0;
  private started = false;
  /** What was added in the interval the last tick closed. */
  lastInterval = 0;

  constructor(
    private readonly intervalSeconds: number,
    private readonly weight = 0.2,
  ) {}

  add(n: number): void {
    this.count += n;
  }

  tick(): void {
    const instant = this.count / this.intervalSeconds;
    this.lastInterval = this.count;
    this.count = 0;
    this.value = this.started ? this.value + this.weight * (instant - this.value) : instant;
    this.started = true;
  }

  get rate(): number {
    return this.value;
  }
}

/** What the shard calculation is given: rates per second, backlog in samples. */
export interface ShardInputs {
  current: number;
  min: number;
  max: number;
  /** Samples read from the WAL per second. */
  inRate: number;
  /** Samples acknowledged per second. */
  outRate: number;
  /** Seconds spent in sends per second of wall time, all shards together. */
  sendSecondsRate: number;
  /** Samples not sent yet: unread WAL, held in the watcher, queued in shards. */
  backlogSamples: number;
}

/** Prometheus works off 5% of what is behind each second on top of what comes in. */
const BACKLOG_CATCHUP_PER_SECOND = 0.05;
/** Shard count changes only beyond this fraction of the current count. */
const SHARD_TOLERANCE = 0.3;
/** Further behind than this (seconds of input), the shard count does not go down. */
const NO_DOWNSHARD_BEHIND_SECONDS = 10;

/**
 * Prometheus's calculateDesiredShards: enough shards to send what comes in plus 5% of the
 * backlog a second, at the time a sample's send takes; changed only beyond 30% of the current
 * count, and never down while more than 10 s behind. Prometheus measures the backlog as
 * (newest appended - newest sent timestamp) x input rate; ours counts it from the WAL itself,
 * which also sees a backlog left by a restart (Prometheus needs a start-up term for that).
 */
export function desiredShards(o: ShardInputs): number {
  if (o.outRate <= 0 || o.sendSecondsRate <= 0) return Math.min(o.max, Math.max(o.min, o.current));
  const timePerSample = o.sendSecondsRate / o.outRate;
  let want = Math.ceil(timePerSample * (o.inRate + BACKLOG_CATCHUP_PER_SECOND * o.backlogSamples));
  if (want >= o.current * (1 - SHARD_TOLERANCE) && want <= o.current * (1 + SHARD_TOLERANCE)) want = o.current;
  const behindSeconds = o.backlogSamples / Math.max(1, o.inRate, o.outRate);
  if (want < o.current && behindSeconds > NO_DOWNSHARD_BEHIND_SECONDS) want = o.current;
  return Math.min(o.max, Math.max(o.min, want));
}
