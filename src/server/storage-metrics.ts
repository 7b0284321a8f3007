// prometheus_tsdb_* metrics read from the native storage when /metrics is scraped.
import client from 'prom-client';
import type { ExemplarStats, Storage, StorageStats } from '../storage/index.js';
import type { ServerMetrics } from './metrics.js';

/** `read`, called at most once a second: the answer (or the promise of it) is reused within that second. */
function cachedForASecond<T>(read: () => T): () => T {
  let cached: { at: number; value: T } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > 1000) cached = { at: now, value: read() };
    return cached.value;
  };
}

export function registerStorageMetrics(storage: Storage, metrics: ServerMetrics, replaySeconds: number): void {
  const registers = [metrics.registry];
  // One stats call serves every metric of a scrape of /metrics. It runs on the thread pool: the
  // head's totals walk every series under the storage's read lock, which waits for the head
  // truncation's steps, and the event loop must not wait with it.
  const stats = cachedForASecond((): Promise<StorageStats> => storage.statsAsync(0));
  const gauge = (name: string, help: string, read: () => number | Promise<number>): void => {
    new client.Gauge({
      name,
      help,
      registers,
      async collect() {
        this.set(await read());
      },
    });
  };
  /** A counter whose total lives in the storage: the difference is added at each collection. */
  const counter = (name: string, help: string, read: () => number | Promise<number>): void => {
    let last = 0;
    new client.Counter({
      name,
      help,
      registers,
      async collect() {
        const v = await read();
        if (v > last) this.inc(v - last);
        last = Math.max(last, v);
      },
    });
  };
  /**
   * A counter with Prometheus's `type` label (float or histogram): the storage's total is the
   * float series; histograms, which Promethium does not store, are shown at 0 where Prometheus shows them.
   */
  const typedCounter = (name: string, help: string, types: readonly ('float' | 'histogram')[], readFloat: () => Promise<number>): void => {
    let last = 0;
    new client.Counter({
      name,
      help,
      labelNames: ['type'],
      registers,
      async collect() {
        for (const type of types) this.inc({ type }, 0);
        const v = await readFloat();
        if (v > last) this.inc({ type: 'float' }, v - last);
        last = Math.max(last, v);
      },
    });
  };
  gauge('prometheus_tsdb_head_series', 'Total number of series in the head block.', async () => (await stats()).numSeries);
  gauge('prometheus_tsdb_head_chunks', 'Total number of chunks in the head block.', async () => (await stats()).chunkCount);
  gauge('prometheus_tsdb_head_chunks_storage_size_bytes', 'Size of the chunks in the head block, in bytes.', async () => (await stats()).headChunkBytes);
  gauge('prometheus_tsdb_head_min_time', 'Minimum time bound of the head block.', async () => (await stats()).minTime ?? 0);
  gauge('prometheus_tsdb_head_max_time', 'Maximum timestamp of the head block.', async () => (await stats()).maxTime ?? 0);
  gauge('prometheus_tsdb_wal_storage_size_bytes', 'Size of the write log directory.', async () => (await stats()).walBytes);
  gauge('prometheus_tsdb_storage_blocks_bytes', 'The number of bytes that are currently used for local storage by all blocks.', async () => (await stats()).blocksBytes);
  gauge('prometheus_tsdb_blocks_loaded', 'Number of currently loaded data blocks', async () => (await stats()).blocks.length);
  gauge('prometheus_tsdb_lowest_timestamp', 'Lowest timestamp value stored in the database.', async () => {
    const s = await stats();
    const lowest = Math.min(s.blocks[0]?.minTime ?? Infinity, s.minTime ?? Infinity);
    return lowest === Infinity ? 0 : lowest;
  });
  counter('prometheus_tsdb_head_samples_appended_total', 'Total number of appended samples.', async () => (await stats()).counters.samplesAppended);
  counter('prometheus_tsdb_head_series_created_total', 'Total number of series created in the head', async () => (await stats()).counters.seriesCreated);
  counter('prometheus_tsdb_head_series_removed_total', 'Total number of series removed in the head', async () => (await stats()).counters.seriesRemoved);
  // Labeled and initialized as Prometheus 2.42 shows them. Samples too far in the future are not
  // counted here: Prometheus refuses those in the scrape, before the head
  // (prometheus_target_scrapes_sample_out_of_bounds_total counts both kinds).
  typedCounter('prometheus_tsdb_out_of_order_samples_total', 'Total number of out of order samples ingestion failed attempts due to out of order being disabled.', ['float', 'histogram'], async () => (await stats()).counters.outOfOrder);
  typedCounter('prometheus_tsdb_out_of_bound_samples_total', 'Total number of out of bound samples ingestion failed attempts with out of order support disabled.', ['float'], async () => (await stats()).counters.tooOld);
  counter('prometheus_tsdb_wal_corruptions_total', 'Total number of WAL corruptions.', async () => (await stats()).counters.walCorruptions);
  counter('prometheus_tsdb_compactions_total', 'Total number of compactions that were executed for the partition.', async () => (await stats()).counters.compactions);
  counter('prometheus_tsdb_compactions_failed_total', 'Total number of compactions that failed for the partition.', async () => (await stats()).counters.compactionsFailed);
  counter('prometheus_tsdb_head_truncations_total', 'Total number of head truncations attempted.', async () => (await stats()).counters.headTruncations);
  counter('prometheus_tsdb_checkpoint_creations_total', 'Total number of checkpoint creations attempted.', async () => (await stats()).counters.checkpoints);
  counter('prometheus_tsdb_retention_blocks_deleted_total', 'Number of blocks deleted by time or size retention.', async () => (await stats()).counters.blocksDeletedByRetention);
  // Exemplar storage (zeros without --enable-feature=exemplar-storage, as Prometheus reports).
  // On the thread pool too: they are read under the head's lock (a sync call waited 181 ms on the
  // event loop while a head of 1M series was cut).
  const exemplars = cachedForASecond((): Promise<ExemplarStats> => storage.exemplarStatsAsync());
  gauge('prometheus_tsdb_exemplar_max_exemplars', 'Total number of exemplars the exemplar storage can store, resizeable.', async () => (await exemplars()).maxExemplars);
  gauge('prometheus_tsdb_exemplar_exemplars_in_storage', 'Number of exemplars currently in circular storage.', async () => (await exemplars()).exemplarsInStorage);
  gauge('prometheus_tsdb_exemplar_series_with_exemplars_in_storage', 'Number of series with exemplars currently in circular storage.', async () => (await exemplars()).seriesWithExemplars);
  counter('prometheus_tsdb_exemplar_exemplars_appended_total', 'Total number of appended exemplars.', async () => (await exemplars()).appendedTotal);
  counter('prometheus_tsdb_exemplar_out_of_order_exemplars_total', 'Total number of out of order exemplar ingestion failed attempts.', async () => (await exemplars()).outOfOrderTotal);
  const replay = new client.Gauge({ name: 'prometheus_tsdb_data_replay_duration_seconds', help: 'Time taken to replay the data on disk.', registers });
  replay.set(replaySeconds);
}
