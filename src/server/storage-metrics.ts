// prometheus_tsdb_* metrics read from the native storage when /metrics is scraped.
import client from 'prom-client';
import type { Storage, StorageStats } from '../storage/index.js';
import type { ServerMetrics } from './metrics.js';

export function registerStorageMetrics(storage: Storage, metrics: ServerMetrics, replaySeconds: number): void {
  const registers = [metrics.registry];
  let cached: { at: number; stats: StorageStats } | undefined;
  // One stats call serves every metric of a scrape of /metrics.
  const stats = (): StorageStats => {
    const now = Date.now();
    if (!cached || now - cached.at > 1000) cached = { at: now, stats: storage.stats(0) };
    return cached.stats;
  };
  const gauge = (name: string, help: string, read: (s: StorageStats) => number): void => {
    new client.Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(stats()));
      },
    });
  };
  /** A counter whose total lives in the storage: the difference is added at each collection. */
  const counter = (name: string, help: string, read: (s: StorageStats) => number): void => {
    let last = 0;
    new client.Counter({
      name,
      help,
      registers,
      collect() {
        const v = read(stats());
        if (v > last) this.inc(v - last);
        last = Math.max(last, v);
      },
    });
  };
  gauge('prometheus_tsdb_head_series', 'Total number of series in the head block.', (s) => s.numSeries);
  gauge('prometheus_tsdb_head_chunks', 'Total number of chunks in the head block.', (s) => s.chunkCount);
  gauge('prometheus_tsdb_head_chunks_storage_size_bytes', 'Size of the chunks in the head block, in bytes.', (s) => s.headChunkBytes);
  gauge('prometheus_tsdb_head_min_time', 'Minimum time bound of the head block.', (s) => s.minTime ?? 0);
  gauge('prometheus_tsdb_head_max_time', 'Maximum timestamp of the head block.', (s) => s.maxTime ?? 0);
  gauge('prometheus_tsdb_wal_storage_size_bytes', 'Size of the write log directory.', (s) => s.walBytes);
  gauge('prometheus_tsdb_storage_blocks_bytes', 'The number of bytes that are currently used for local storage by all blocks.', (s) => s.blocksBytes);
  gauge('prometheus_tsdb_blocks_loaded', 'Number of currently loaded data blocks', (s) => s.blocks.length);
  gauge('prometheus_tsdb_lowest_timestamp', 'Lowest timestamp value stored in the database.', (s) => Math.min(s.blocks[0]?.minTime ?? Infinity, s.minTime ?? Infinity) === Infinity ? 0 : Math.min(s.blocks[0]?.minTime ?? Infinity, s.minTime ?? Infinity));
  counter('prometheus_tsdb_head_samples_appended_total', 'Total number of appended samples.', (s) => s.counters.samplesAppended);
  counter('prometheus_tsdb_head_series_created_total', 'Total number of series created in the head', (s) => s.counters.seriesCreated);
  counter('prometheus_tsdb_head_series_removed_total', 'Total number of series removed in the head', (s) => s.counters.seriesRemoved);
  counter('prometheus_tsdb_out_of_order_samples_total', 'Total number of out of order samples ingestion failed attempts.', (s) => s.counters.outOfOrder);
  counter('prometheus_tsdb_out_of_bound_samples_total', 'Total number of out of bound samples ingestion failed attempts.', (s) => s.counters.tooOld);
  counter('prometheus_tsdb_wal_corruptions_total', 'Total number of WAL corruptions.', (s) => s.counters.walCorruptions);
  counter('prometheus_tsdb_compactions_total', 'Total number of compactions that were executed for the partition.', (s) => s.counters.compactions);
  counter('prometheus_tsdb_compactions_failed_total', 'Total number of compactions that failed for the partition.', (s) => s.counters.compactionsFailed);
  counter('prometheus_tsdb_head_truncations_total', 'Total number of head truncations attempted.', (s) => s.counters.headTruncations);
  counter('prometheus_tsdb_checkpoint_creations_total', 'Total number of checkpoint creations attempted.', (s) => s.counters.checkpoints);
  counter('prometheus_tsdb_retention_blocks_deleted_total', 'Number of blocks deleted by time or size retention.', (s) => s.counters.blocksDeletedByRetention);
  const replay = new client.Gauge({ name: 'prometheus_tsdb_data_replay_duration_seconds', help: 'Time taken to replay the data on disk.', registers });
  replay.set(replaySeconds);
}
