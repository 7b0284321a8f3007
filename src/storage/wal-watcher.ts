// The typed face of the native remote-write WAL watcher (crates/tsdb/src/remote/watcher.rs): it
// tails the WAL from a position, asks for write relabeling once per run of new series (at most
// 8192 a run), and hands back ready request bodies (protobuf, Snappy-compressed when asked) per
// shard. Opening, reading and skipping run on a worker thread (promises): opening reads every
// series record of the WAL, which must not stall the event loop. One call at a time: the
// synchronous ones throw ERR_WATCHER_BUSY while a read is running.
import type { Labels } from '../model/labels.js';
import { decodeLabelSets, encodeLabelSets } from './label-codec.js';
import { loadNative } from './native.js';
import type { NativeWalWatcher, NativeWalWatcherStats } from './native.js';

/** A place in the WAL: before the record at `offset` of `segment`, `skip` of its samples taken. */
export interface WalPosition {
  segment: number;
  offset: number;
  skip: number;
}

export function comparePositions(a: WalPosition, b: WalPosition): number {
  return a.segment - b.segment || a.offset - b.offset || a.skip - b.skip;
}

export interface WalBatch {
  shard: number;
  payload: Uint8Array;
  samples: number;
  exemplars: number;
  /** Native-histogram samples. */
  histograms: number;
  /** Newest sample timestamp (ms). */
  maxT: number;
  /** Where its first sample is: resuming there sends it again. */
  start: WalPosition;
}

/** A kept series' metadata for 2.0 (type codes 0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gauge histogram, 5 summary, 6 info, 7 stateset). */
export interface SeriesMetadata {
  type: number;
  help: string;
  unit: string;
}

export type WalRead = { kind: 'series'; series: Labels[] } | { kind: 'batches'; batches: WalBatch[] } | { kind: 'idle' };

export interface WalWatcherOptions {
  protocol: 1 | 2;
  sendExemplars: boolean;
  sendHistograms?: boolean;
  maxSamples: number;
  shards: number;
  compress: boolean;
}

export type WalWatcherStats = NativeWalWatcherStats;

function position(a: Float64Array, i = 0): WalPosition {
  return { segment: a[i]!, offset: a[i + 1]!, skip: a[i + 2]! };
}

export class WalWatcher {
  private readonly w: NativeWalWatcher;
  /** The series the last read offered: a verdict that is the very same object keeps them unencoded. */
  private offered: Labels[] = [];

  private constructor(w: NativeWalWatcher) {
    this.w = w;
  }

  /** Opens at `start`, or at the WAL's end when null (a new queue), reading the series before it off the event loop. */
  static async open(walDir: string, start: WalPosition | null, o: WalWatcherOptions): Promise<WalWatcher> {
    const { NativeWalWatcher } = loadNative();
    const w = new NativeWalWatcher(walDir, start === null ? null : Float64Array.of(start.segment, start.offset, start.skip), o);
    await w.open();
    return new WalWatcher(w);
  }

  /** Reads on; `flush` returns unfinished batches too; samples before `minT` (ms) are dropped. */
  async read(flush: boolean, minT: number): Promise<WalRead> {
    const r = await this.w.read(flush, minT);
    if (r === null) return { kind: 'idle' };
    if ('series' in r) {
      this.offered = decodeLabelSets(r.series);
      return { kind: 'series', series: this.offered };
    }
    const batches: WalBatch[] = [];
    let from = 0;
    for (let i = 0; i < r.ends.length; i++) {
      batches.push({ shard: r.shard[i]!, payload: r.payload.subarray(from, r.ends[i]!), samples: r.samples[i]!, exemplars: r.exemplars[i]!, histograms: r.histograms[i]!, maxT: r.maxT[i]!, start: position(r.starts, 3 * i) });
      from = r.ends[i]!;
    }
    return { kind: 'batches', batches };
  }

  /** Write relabeling's verdicts on the series of the last 'series' read, in order: labels kept (the offered object itself when unchanged), or null dropped. */
  resolve(verdicts: readonly (Labels | null)[], metadata?: readonly SeriesMetadata[]): void {
    const keep = new Uint8Array(verdicts.length);
    const kept: Labels[] = [];
    verdicts.forEach((v, i) => {
      if (v === null) return;
      if (v === this.offered[i]) {
        keep[i] = 2;
        return;
      }
      keep[i] = 1;
      kept.push(v);
    });
    this.offered = [];
    const md = metadata === undefined ? undefined : encodeLabelSets(metadata.map((m) => ({ type: String(m.type), help: m.help, unit: m.unit }) as Labels));
    this.w.resolve(keep, encodeLabelSets(kept), md);
  }

  position(): WalPosition {
    return position(this.w.position());
  }

  heldStart(): WalPosition | null {
    const p = this.w.heldStart();
    return p === null ? null : position(p);
  }

  heldSamples(): number {
    return this.w.heldSamples();
  }

  /** Changes the shard count in place: held samples move to their series' new shard, nothing is read again. */
  setShards(n: number): void {
    this.w.setShards(n);
  }

  setProtocol(p: 1 | 2): void {
    this.w.setProtocol(p);
  }

  /** Moves past the segments before `segment` (their samples counted as skipped). */
  skipTo(segment: number): Promise<void> {
    return this.w.skipTo(segment);
  }

  stats(): WalWatcherStats {
    return this.w.stats();
  }
}

/** Snappy block compression in Rust (the remote-write bodies' compressor). */
export function snappyCompress(data: Uint8Array): Uint8Array {
  return loadNative().snappyCompress(data);
}
