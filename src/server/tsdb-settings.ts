// What the TSDB runs with: prometheus.yml's runtime-reloadable `storage.tsdb` section over the
// command-line flags it supersedes (retention), and the float chunk encoding.
import { statfsSync } from 'node:fs';
import type { Config } from '../config/index.js';

export const DEFAULT_RETENTION_MS = 15 * 24 * 3600 * 1000;

export interface TsdbSettings {
  /** 0 = no time limit. */
  retentionMs: number;
  /** 0 = no size limit. */
  retentionBytes: number;
  xor2Chunks: boolean;
  /** Settings we accept but do not act on, to be logged. */
  warnings: string[];
}

export interface TsdbFlags {
  /** --storage.tsdb.retention.time (0 = not given). */
  retentionTimeMs: number;
  /** --storage.tsdb.retention.size (0 = not given). */
  retentionBytes: number;
  /** --enable-feature=st-storage */
  stStorage: boolean;
  /** --enable-feature=xor2-encoding (deprecated upstream): XOR2 when the config does not say. */
  xor2Encoding: boolean;
}

/** Throws (the config is refused) when the settings contradict each other or the flags. */
export function tsdbSettings(tsdb: Config['storage']['tsdb'], flags: TsdbFlags, dataDir: string): TsdbSettings {
  if (flags.stStorage && tsdb.chunkEncodingFloats === 'xor') {
    throw new Error("storage.tsdb.chunk_encoding.floats: 'xor' chunks cannot store start timestamps, which --enable-feature=st-storage keeps; use 'xor2' or leave the field out");
  }
  const time = tsdb.retentionTimeMs ?? (flags.retentionTimeMs > 0 ? flags.retentionTimeMs : undefined);
  let bytes = tsdb.retentionSize;
  if (bytes === undefined && tsdb.retentionPercentage !== undefined) {
    let total: number;
    try {
      const fs = statfsSync(dataDir);
      total = fs.blocks * fs.bsize;
    } catch (e) {
      throw new Error(`storage.tsdb.retention.percentage: cannot read the size of the file system holding ${dataDir}: ${(e as Error).message}`);
    }
    bytes = Math.floor((total * tsdb.retentionPercentage) / 100);
  }
  bytes ??= flags.retentionBytes;
  const warnings: string[] = [];
  if (tsdb.outOfOrderTimeWindowMs > 0) warnings.push('storage.tsdb.out_of_order_time_window is not supported by Promethium: out-of-order samples are still refused');
  return {
    retentionMs: time ?? (bytes > 0 ? 0 : DEFAULT_RETENTION_MS),
    retentionBytes: bytes,
    xor2Chunks: tsdb.chunkEncodingFloats === undefined ? flags.xor2Encoding : tsdb.chunkEncodingFloats === 'xor2',
    warnings,
  };
}
