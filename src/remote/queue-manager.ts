// One remote_write queue, as Prometheus's QueueManager: a native WAL watcher reads from the
// queue's savepoint, new series are write-relabeled once each (external labels added first),
// ready batches go to shards that send and retry, and the savepoint (everything before it
// acknowledged) is written durably so a restart or a reload resumes there. Shards follow the
// throughput every 10 s between min_shards and max_shards; a reshard changes the watcher's
// shard count in place (the WAL is not read again). The watcher's native work runs off the event
// loop and only this queue's loop calls it, one call at a time; the timers (savepoint, backlog,
// status) read a snapshot the loop takes after each call.
import type { Labels } from '../model/labels.js';
import { relabel } from '../config/index.js';
import type { RemoteWriteConfig } from '../config/index.js';
import { comparePositions, snappyCompress, WalWatcher } from '../storage/index.js';
import { encodeMetadataRequest } from './metadata.js';
import type { SeriesMetadata, WalPosition } from '../storage/index.js';
import type { Logger } from '../util/logger.js';
import { RemoteWriteClient, type SendResult } from './client.js';
import type { RemoteWriteMetrics } from './metrics.js';
import { readSavepoint, writeSavepoint } from './savepoint.js';
import { walBytesBetween, walSegments } from './backlog.js';
import { desiredShards, EwmaRate, Shard, type Outcome, type QueuedBatch } from './shards.js';

/** How often the shard count is worked out (Prometheus's shardUpdateDuration). */
const SHARD_UPDATE_SECONDS = 10;

export interface QueueDeps {
  walDir: string;
  /** <data>/remote */
  savepointDir: string;
  metrics: RemoteWriteMetrics;
  logger: Logger;
  externalLabels: () => Labels;
  /** A metric family's metadata for 2.0 (from the scrape targets), if known. */
  metadata?: (metricName: string) => SeriesMetadata | undefined;
  /** Every family's metadata, for 1.0's metadata requests (metadata_config). */
  allMetadata?: () => ReadonlyMap<string, SeriesMetadata>;
  /** How often the WAL is polled when caught up (ms). */
  pollMs?: number;
}

/** What the status page shows of a queue. */
export interface QueueStatus {
  name: string;
  url: string;
  protocol: string;
  shards: number;
  desiredShards: number;
  minShards: number;
  maxShards: number;
  samplesPending: number;
  savepoint: WalPosition;
  highestSentTimestampSeconds: number;
  samplesSent: number;
  samplesFailed: number;
  samplesRetried: number;
  lastError: string;
}

/** What the timers know of the watcher between the loop's calls. */
interface WatcherSnapshot {
  position: WalPosition;
  heldStart: WalPosition | null;
  heldSamples: number;
}

export class QueueManager {
  /** Undefined while one opens (the loop opens it). */
  private watcher: WalWatcher | undefined;
  private openAt: WalPosition = { segment: 0, offset: 0, skip: 0 };
  /** Bumped by every open: a read that began on a replaced watcher is thrown away. */
  private generation = 0;
  private snap: WatcherSnapshot = { position: { segment: 0, offset: 0, skip: 0 }, heldStart: null, heldSamples: 0 };
  /** The backlog bound's segment, applied by the loop before its next read. */
  private skipBefore: number | undefined;
  private shards: Shard[] = [];
  private readonly client: RemoteWriteClient;
  private protocol: 1 | 2;
  private seq = 0;
  /** Sent or queued batches not yet acknowledged: seq → start. */
  private readonly unacked = new Map<number, WalPosition>();
  private heldSince: number | undefined;
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private savedAt: WalPosition | undefined;
  private reshardTo: number | undefined;
  private desired: number;
  private timers: NodeJS.Timeout[] = [];
  private readonly labels: { remote_name: string; url: string };
  /** Samples read, samples acknowledged, and seconds spent sending, per second (for the shard count). */
  private readonly rates = { in: new EwmaRate(SHARD_UPDATE_SECONDS), out: new EwmaRate(SHARD_UPDATE_SECONDS), sendSeconds: new EwmaRate(SHARD_UPDATE_SECONDS) };
  /** Where the watcher was at the last shard update, and how many samples a WAL byte held since: the unread WAL's samples are estimated with it. */
  private lastUpdatePosition: WalPosition | undefined;
  private samplesPerWalByte = 0;
  private lastSuccessAt = 0;
  /** The loop sleeps because the shards are full: a finished send wakes it at once rather than after a poll. */
  private waitingForRoom = false;
  private lastStats = { recordsSeries: 0, recordsSamples: 0, recordsExemplars: 0, recordsHistograms: 0, recordsOther: 0, unknownRef: 0, tooOld: 0, histogramsUnknownRef: 0, histogramsTooOld: 0, skippedSamples: 0 };
  private readonly totals = { sent: 0, failed: 0, retried: 0 };
  private lastError = '';
  private highestSent = 0;

  constructor(
    readonly cfg: RemoteWriteConfig,
    private readonly deps: QueueDeps,
  ) {
    this.client = new RemoteWriteClient(cfg);
    this.protocol = cfg.protobufMessage === 'io.prometheus.write.v2.Request' ? 2 : 1;
    this.labels = { remote_name: cfg.name, url: cfg.url };
    this.desired = cfg.queueConfig.minShards;
  }

  get hash(): string {
    return this.cfg.hash;
  }

  start(): void {
    const m = this.deps.metrics;
    m.shardsMin.set(this.labels, this.cfg.queueConfig.minShards);
    m.shardsMax.set(this.labels, this.cfg.queueConfig.maxShards);
    m.shardsDesired.set(this.labels, this.desired);
    m.samplesPending.set(this.labels, 0);
    // Present from the start, as Prometheus's are: a rate() over them works before the first failure.
    for (const c of [m.samplesTotal, m.samplesFailed, m.samplesRetried, m.exemplarsTotal, m.exemplarsFailed, m.exemplarsRetried, m.histogramsTotal, m.histogramsFailed, m.histogramsRetried, m.metadataTotal, m.metadataFailed, m.metadataRetried, m.bytesTotal, m.writtenMismatch]) c.inc(this.labels, 0);
    m.sentBatchDuration.zero(this.labels);
    this.open(readSavepoint(this.deps.savepointDir, this.hash), this.cfg.queueConfig.minShards);
    this.loopDone = this.loop();
    this.timers.push(setInterval(() => this.saveNow(), 1000), setInterval(() => this.updateShards(), 10_000));
    const md = this.cfg.metadataConfig;
    if (md.send && this.deps.allMetadata !== undefined) this.timers.push(setInterval(() => void this.sendMetadata(), md.sendIntervalMs));
    for (const t of this.timers) t.unref();
  }

  /** The position every queued and held sample is at or after: what the savepoint becomes once written. */
  savepoint(): WalPosition {
    let p = this.snap.heldStart ?? this.snap.position;
    if (this.skipBefore !== undefined && p.segment < this.skipBefore) p = { segment: this.skipBefore, offset: 0, skip: 0 };
    for (const s of this.unacked.values()) if (comparePositions(s, p) < 0) p = s;
    return p;
  }

  /** The newest sample timestamp the receiver has acknowledged (ms; 0 before the first since start). */
  highestSentTimestampMs(): number {
    return Math.round(this.highestSent * 1000);
  }

  /**
   * A backlog bound (`bound` names the flag) gave up the segments before `segment`: what is
   * queued from them is dropped too.
   */
  dropBefore(segment: number, bound = '--storage.remote.max-backlog'): void {
    if (this.savepoint().segment >= segment) return;
    let dropped = 0;
    for (const s of this.shards) {
      // A batch retried while the receiver is down would otherwise hold its segment (through the
      // savepoint) for as long as the outage lasts, whatever the bound.
      const inFlight = s.busy ? s.queue[0] : undefined;
      if (inFlight !== undefined && inFlight.start.segment < segment && s.abandonInFlight() === inFlight) {
        this.unacked.delete(inFlight.seq);
        dropped += inFlight.samples;
      }
      for (const b of s.queue.splice(s.busy ? 1 : 0)) {
        this.unacked.delete(b.seq);
        dropped += b.samples;
        s.pendingSamples -= b.samples;
      }
    }
    this.skipBefore = Math.max(this.skipBefore ?? 0, segment);
    if (dropped > 0) this.deps.metrics.samplesDropped.inc({ ...this.labels, reason: 'backlog' }, dropped);
    this.deps.logger.warn(`Remote-write backlog over ${bound}: oldest WAL data dropped for this queue`, { remote_name: this.cfg.name, url: this.cfg.url, before_segment: segment, queued_samples: dropped });
  }

  /** The loop opens the watcher at `start` next; until then the savepoint stays there. */
  private open(start: WalPosition | null, shards: number): void {
    this.watcher = undefined;
    this.generation++;
    // A new queue starts at the WAL's end as it is now, not when the worker thread gets to it. An
    // append under way may straddle that offset: the watcher reads the segment from its start, so
    // such a record counts as before the start. At server start the queues start before scraping.
    const newest = walSegments(this.deps.walDir).at(-1);
    this.openAt = start ?? { segment: newest?.segment ?? 0, offset: newest?.bytes ?? 0, skip: 0 };
    this.snap = { position: this.openAt, heldStart: null, heldSamples: 0 };
    this.shards = this.newShards(shards);
    this.heldSince = undefined;
  }

  private newShards(n: number): Shard[] {
    const q = this.cfg.queueConfig;
    this.deps.metrics.shards.set(this.labels, n);
    return Array.from({ length: n }, () => new Shard(q, { send: (b) => this.send(b), retrying: (b, why, ms) => this.retrying(b, why, ms), done: (b, o) => this.done(b, o) }));
  }

  private async openWatcher(): Promise<void> {
    const q = this.cfg.queueConfig;
    const gen = this.generation;
    const w = await WalWatcher.open(this.deps.walDir, this.openAt, { protocol: this.protocol, sendExemplars: this.cfg.sendExemplars, sendHistograms: this.cfg.sendNativeHistograms, maxSamples: q.maxSamplesPerSend, shards: this.shards.length, compress: true });
    if (gen !== this.generation) return;
    this.watcher = w;
    this.lastStats = { recordsSeries: 0, recordsSamples: 0, recordsExemplars: 0, recordsHistograms: 0, recordsOther: 0, unknownRef: 0, tooOld: 0, histogramsUnknownRef: 0, histogramsTooOld: 0, skippedSamples: 0 };
    this.takeSnapshot(w);
    // A new queue starts at the WAL's end: remember it, so a restart before the first send resumes there.
    this.saveNow();
  }

  private takeSnapshot(w: WalWatcher): void {
    this.snap = { position: w.position(), heldStart: w.heldStart(), heldSamples: w.heldSamples() };
  }

  /** The backlog bound moved past this queue: the watcher reads past the given-up segments. */
  private async applySkip(w: WalWatcher, segment: number): Promise<void> {
    const before = w.stats().skippedSamples;
    await w.skipTo(segment);
    if (w !== this.watcher) return;
    const skipped = w.stats().skippedSamples - before;
    this.lastStats.skippedSamples = w.stats().skippedSamples;
    if (this.skipBefore === segment) this.skipBefore = undefined;
    this.takeSnapshot(w);
    if (skipped > 0) this.deps.metrics.samplesDropped.inc({ ...this.labels, reason: 'backlog' }, skipped);
  }

  private pending(): number {
    return this.shards.reduce((n, s) => n + s.pendingSamples, 0);
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
    const q = this.cfg.queueConfig;
    const poll = this.deps.pollMs ?? Math.min(250, q.batchSendDeadlineMs);
    while (!this.stopped) {
      const w = this.watcher;
      if (w === undefined) {
        try {
          await this.openWatcher();
        } catch (e) {
          this.deps.logger.error('Opening the remote-write WAL watcher failed', { remote_name: this.cfg.name, err: e as Error });
          await this.sleep(poll);
        }
        continue;
      }
      if (this.reshardTo !== undefined || this.pending() >= q.capacity * this.shards.length) {
        // Resharding waits for the shards to empty; a full queue waits for sends (the WAL keeps the rest).
        if (this.reshardTo !== undefined && this.shards.every((s) => !s.busy)) this.reshard(w, this.reshardTo);
        else {
          this.waitingForRoom = true;
          await this.sleep(poll);
          this.waitingForRoom = false;
        }
        continue;
      }
      let progressed = false;
      try {
        if (this.skipBefore !== undefined) await this.applySkip(w, this.skipBefore);
        progressed = await this.step(w);
      } catch (e) {
        this.deps.logger.error('Remote-write WAL watcher failed', { remote_name: this.cfg.name, err: e as Error });
      }
      if (w === this.watcher) this.reportWatcher(w);
      if (!progressed) await this.sleep(poll);
    }
  }

  /** One read of the WAL; true when something came of it. */
  private async step(w: WalWatcher): Promise<boolean> {
    const q = this.cfg.queueConfig;
    const now = Date.now();
    const flush = this.heldSince !== undefined && now - this.heldSince >= q.batchSendDeadlineMs;
    const minT = q.sampleAgeLimitMs > 0 ? now - q.sampleAgeLimitMs : -Infinity;
    const r = await w.read(flush, minT);
    // A rewind replaced the watcher meanwhile: what this read found is read again by the new one.
    if (w !== this.watcher) return true;
    if (r.kind === 'series') {
      this.resolve(w, r.series);
      this.takeSnapshot(w);
      return true;
    }
    if (r.kind === 'batches') {
      for (const b of r.batches) {
        const qb: QueuedBatch = { ...b, payload: b.payload.slice(), seq: this.seq++, protocol: this.protocol };
        this.unacked.set(qb.seq, qb.start);
        this.rates.in.add(b.samples + b.histograms);
        if (b.maxT / 1000 > this.deps.metrics.highestInSeconds) {
          this.deps.metrics.highestInSeconds = b.maxT / 1000;
          this.deps.metrics.highestTimestamp.set(b.maxT / 1000);
        }
        this.shards[b.shard]!.push(qb);
      }
      if (flush) this.heldSince = undefined;
    }
    this.takeSnapshot(w);
    if (this.snap.heldSamples > 0) this.heldSince ??= now;
    else this.heldSince = undefined;
    this.deps.metrics.samplesPending.set(this.labels, this.pending() + this.snap.heldSamples);
    return r.kind === 'batches';
  }

  private resolve(w: WalWatcher, series: Labels[]): void {
    const ext = this.deps.externalLabels();
    const extNames = Object.keys(ext);
    const verdicts: (Labels | null)[] = [];
    const metadata: SeriesMetadata[] = [];
    let dropped = 0;
    for (const l of series) {
      let withExt = l;
      if (extNames.length > 0) {
        withExt = Object.assign(Object.create(null) as Labels, l);
        for (const n of extNames) if (!(n in withExt)) withExt[n] = ext[n]!;
      }
      const kept = this.cfg.writeRelabelConfigs.length > 0 ? relabel(withExt, this.cfg.writeRelabelConfigs) : withExt;
      verdicts.push(kept);
      if (kept === null) {
        dropped++;
        continue;
      }
      if (this.protocol === 2) metadata.push(this.deps.metadata?.(kept.__name__ ?? '') ?? { type: 0, help: '', unit: '' });
    }
    w.resolve(verdicts, this.protocol === 2 ? metadata : undefined);
    if (dropped > 0) this.deps.logger.debug('Series dropped by write relabeling', { remote_name: this.cfg.name, series: dropped });
  }

  private send(b: QueuedBatch): Promise<SendResult> {
    return this.client.send(b.payload, b.protocol);
  }

  private retrying(b: QueuedBatch, why: string, waitMs: number): void {
    const m = this.deps.metrics;
    m.samplesRetried.inc(this.labels, b.samples);
    if (b.exemplars > 0) m.exemplarsRetried.inc(this.labels, b.exemplars);
    if (b.histograms > 0) m.histogramsRetried.inc(this.labels, b.histograms);
    this.totals.retried += b.samples;
    if (why !== this.lastError) this.deps.logger.warn('Failed to send batch, retrying', { remote_name: this.cfg.name, url: this.cfg.url, err: why, backoff_ms: waitMs });
    this.lastError = why;
  }

  private done(b: QueuedBatch, o: Outcome): void {
    const m = this.deps.metrics;
    // The loop waits for room (or for idle shards, to reshard): this send made some.
    if (this.waitingForRoom) this.wake?.();
    if (o.kind === 'abandoned') return;
    if (o.kind === 'unsupported') {
      // 415 to a 2.0 request: the receiver speaks 1.0 only. Resend from the savepoint as 1.0.
      if (this.protocol === 2) {
        this.deps.logger.warn('Receiver refused Remote-Write 2.0 (415): falling back to 1.0 for this queue', { remote_name: this.cfg.name, url: this.cfg.url });
        this.protocol = 1;
        void this.rewind(this.shards.length);
      }
      return;
    }
    this.unacked.delete(b.seq);
    if (o.kind === 'failed') {
      m.samplesFailed.inc(this.labels, b.samples);
      if (b.exemplars > 0) m.exemplarsFailed.inc(this.labels, b.exemplars);
      if (b.histograms > 0) m.histogramsFailed.inc(this.labels, b.histograms);
      this.totals.failed += b.samples;
      this.lastError = `HTTP ${o.status}: ${o.reason}`;
      this.deps.logger.error('Non-recoverable error sending batch, dropped', { remote_name: this.cfg.name, url: this.cfg.url, status: o.status, samples: b.samples, err: o.reason });
      return;
    }
    m.samplesTotal.inc(this.labels, b.samples);
    if (b.exemplars > 0) m.exemplarsTotal.inc(this.labels, b.exemplars);
    if (b.histograms > 0) m.histogramsTotal.inc(this.labels, b.histograms);
    m.bytesTotal.inc(this.labels, b.payload.length);
    m.sentBatchDuration.observe(this.labels, o.seconds);
    this.totals.sent += b.samples;
    this.rates.out.add(b.samples + b.histograms);
    this.rates.sendSeconds.add(o.seconds);
    this.lastSuccessAt = Date.now();
    if (b.maxT / 1000 > this.highestSent) {
      this.highestSent = b.maxT / 1000;
      m.queueHighestSent.set(this.labels, this.highestSent);
    }
    const w = o.result.written;
    const fewer = (written: number | undefined, sent: number): boolean => written !== undefined && written < sent;
    if (b.protocol === 2 && w !== undefined && w.samples !== undefined && (w.samples < b.samples || fewer(w.exemplars, b.exemplars) || fewer(w.histograms, b.histograms))) m.writtenMismatch.inc(this.labels);
  }

  /** Drops what is queued and reads again from the savepoint (protocol fallback). */
  private async rewind(shards: number): Promise<void> {
    const at = this.savepoint();
    const old = this.shards;
    this.unacked.clear();
    // New shards and a new watcher at once: a read still running on the old one is thrown away.
    this.open(at, shards);
    await Promise.all(old.map((s) => s.stop()));
  }

  /** No batch is queued (the shards are idle): the watcher moves its held samples to the new shard count. */
  private reshard(w: WalWatcher, n: number): void {
    this.reshardTo = undefined;
    this.deps.logger.info('Remote storage resharding', { remote_name: this.cfg.name, from: this.shards.length, to: n });
    w.setShards(n);
    this.takeSnapshot(w);
    this.shards = this.newShards(n);
  }

  private updateShards(): void {
    const q = this.cfg.queueConfig;
    for (const r of Object.values(this.rates)) r.tick();
    const want = desiredShards({ current: this.shards.length, min: q.minShards, max: q.maxShards, inRate: this.rates.in.rate, outRate: this.rates.out.rate, sendSecondsRate: this.rates.sendSeconds.rate, backlogSamples: this.backlogSamples() });
    this.desired = want;
    this.deps.metrics.shardsDesired.set(this.labels, want);
    // As Prometheus: no resharding while sends fail (the receiver is away, not slow).
    const sendingWell = Date.now() - this.lastSuccessAt <= 2 * q.batchSendDeadlineMs;
    if (want !== this.shards.length && sendingWell) this.reshardTo = want;
  }

  /**
   * Samples not sent yet: queued in the shards, held by the watcher, and in the WAL after the
   * watcher's position (its bytes x the samples per byte read since the last update). Catching up
   * after an outage the queues stay full, so without the unread WAL the backlog would look no
   * bigger than the queues' capacity and the shard count would not grow.
   */
  private backlogSamples(): number {
    const segments = walSegments(this.deps.walDir);
    const at = this.snap.position;
    if (this.lastUpdatePosition !== undefined) {
      const readBytes = walBytesBetween(segments, this.lastUpdatePosition, at);
      const readSamples = this.rates.in.lastInterval;
      if (readBytes > 0 && readSamples > 0) this.samplesPerWalByte = readSamples / readBytes;
    }
    this.lastUpdatePosition = at;
    return this.pending() + this.snap.heldSamples + walBytesBetween(segments, at, null) * this.samplesPerWalByte;
  }

  private reportWatcher(w: WalWatcher): void {
    const s = w.stats();
    const m = this.deps.metrics;
    const c = { consumer: this.cfg.name };
    const add = (type: string, now: number, before: number): void => {
      if (now > before) m.walRecordsRead.inc({ ...c, type }, now - before);
    };
    add('series', s.recordsSeries, this.lastStats.recordsSeries);
    add('samples', s.recordsSamples, this.lastStats.recordsSamples);
    add('exemplars', s.recordsExemplars, this.lastStats.recordsExemplars);
    add('histograms', s.recordsHistograms, this.lastStats.recordsHistograms);
    add('other', s.recordsOther, this.lastStats.recordsOther);
    if (s.unknownRef > this.lastStats.unknownRef) m.samplesDropped.inc({ ...this.labels, reason: 'unknown_series' }, s.unknownRef - this.lastStats.unknownRef);
    if (s.tooOld > this.lastStats.tooOld) m.samplesDropped.inc({ ...this.labels, reason: 'too_old' }, s.tooOld - this.lastStats.tooOld);
    if (s.histogramsUnknownRef > this.lastStats.histogramsUnknownRef) m.histogramsDropped.inc({ ...this.labels, reason: 'unknown_series' }, s.histogramsUnknownRef - this.lastStats.histogramsUnknownRef);
    if (s.histogramsTooOld > this.lastStats.histogramsTooOld) m.histogramsDropped.inc({ ...this.labels, reason: 'too_old' }, s.histogramsTooOld - this.lastStats.histogramsTooOld);
    this.lastStats = s;
    m.walCurrentSegment.set(c, this.snap.position.segment);
  }

  /** 1.0 only (2.0 carries metadata per series): every family's metadata, max_samples_per_send a request, tried once (the next interval sends it again). */
  async sendMetadata(): Promise<void> {
    if (this.protocol !== 1 || this.deps.allMetadata === undefined) return;
    const all = [...this.deps.allMetadata()];
    const m = this.deps.metrics;
    for (let i = 0; i < all.length; i += this.cfg.metadataConfig.maxSamplesPerSend) {
      const part = all.slice(i, i + this.cfg.metadataConfig.maxSamplesPerSend);
      try {
        const r = await this.client.send(snappyCompress(encodeMetadataRequest(part)), 1);
        if (r.status >= 200 && r.status < 300) m.metadataTotal.inc(this.labels, part.length);
        else if (r.status >= 500 || r.status === 429) m.metadataRetried.inc(this.labels, part.length);
        else m.metadataFailed.inc(this.labels, part.length);
      } catch {
        m.metadataRetried.inc(this.labels, part.length);
      }
    }
  }

  private saveNow(): void {
    // While the watcher opens, the savepoint read at the start (if any) stays as it is.
    if (this.watcher === undefined) return;
    const p = this.savepoint();
    if (this.savedAt !== undefined && comparePositions(p, this.savedAt) === 0) return;
    try {
      writeSavepoint(this.deps.savepointDir, this.hash, p);
      this.savedAt = p;
    } catch (e) {
      this.deps.logger.error('Writing the remote-write savepoint failed', { remote_name: this.cfg.name, err: e as Error });
    }
  }

  status(): QueueStatus {
    const q = this.cfg.queueConfig;
    return { name: this.cfg.name, url: this.cfg.url, protocol: this.protocol === 2 ? 'io.prometheus.write.v2.Request' : 'prometheus.WriteRequest', shards: this.shards.length, desiredShards: this.desired, minShards: q.minShards, maxShards: q.maxShards, samplesPending: this.pending() + this.snap.heldSamples, savepoint: this.savepoint(), highestSentTimestampSeconds: this.highestSent, samplesSent: this.totals.sent, samplesFailed: this.totals.failed, samplesRetried: this.totals.retried, lastError: this.lastError };
  }

  /** Stops reading and sending; the savepoint keeps what was not acknowledged for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.wake?.();
    await this.loopDone;
    await Promise.all(this.shards.map((s) => s.stop()));
    this.saveNow();
  }
}
