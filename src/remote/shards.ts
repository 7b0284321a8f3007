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
 * Prometheus's shard calculation, from the rates of samples in (read from the WAL) and out
 * (acknowledged) and the time a send takes: enough shards to keep up with what comes in and
 * work off the backlog, changed only when it differs by more than 30%.
 */
export function desiredShards(o: { current: number; min: number; max: number; inRate: number; outRate: number; batchSeconds: number; samplesPerBatch: number; backlogSamples: number }): number {
  if (o.outRate <= 0 || o.batchSeconds <= 0) return Math.min(o.max, Math.max(o.min, o.current));
  // Time per sample spent sending, per shard.
  const timePerSample = o.batchSeconds / Math.max(1, o.samplesPerBatch);
  const needed = (o.inRate + o.backlogSamples / 10) * timePerSample;
  let want = Math.ceil(needed);
  const lower = o.current * 0.7;
  const upper = o.current * 1.3;
  if (want > lower && want < upper) want = o.current;
  return Math.min(o.max, Math.max(o.min, want));
}
