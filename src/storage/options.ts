// What a data directory is opened with: the one declaration shared by the public Storage.open and
// the native addon's NativeDb constructor (crates/tsdb-node reads these very keys).

export interface StorageOptions {
  /** Delete blocks older than this, relative to the newest block (default 15 days; 0 keeps all). */
  retentionMs?: number;
  /** Delete the oldest blocks while blocks and WAL exceed this many bytes (0: no limit). */
  retentionBytes?: number;
  /** Length of the blocks the head is cut into (default 2h). */
  blockRangeMs?: number;
  /** Samples per chunk before a new one is cut (default 120). */
  samplesPerChunk?: number;
  /** WAL segment size in bytes (default 128 MiB). */
  walSegmentSize?: number;
  /** Exemplars kept (the newest across all series; default 0: exemplar storage off). */
  maxExemplars?: number;
  /** New float chunks in XOR2 (`storage.tsdb.chunk_encoding.floats: xor2`); default XOR, which Prometheus 2.x reads. */
  xor2Chunks?: boolean;
  /** --storage.tsdb.no-lockfile: do not lock the directory (nothing then stops a second process). */
  noLockfile?: boolean;
  /**
   * Samples more than this many ms after now are refused (`outOfBounds` in the append result),
   * as Prometheus's scrape refuses them (default 10 minutes; 0: no limit). The head is never cut
   * into blocks beyond now plus this, so one far-future sample cannot stop later appends.
   */
  maxAheadMs?: number;
  /**
   * Agent mode's WAL-only database: the head keeps each series' open chunk (its last sample orders
   * appends) but no closed chunks, is never cut into blocks, and the WAL is truncated only by
   * `truncateAgentWal`.
   */
  agent?: boolean;
}
