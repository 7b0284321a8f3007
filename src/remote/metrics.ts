// Remote-write metrics with Prometheus's names and labels (remote_name, url), so dashboards and
// alerts written for Prometheus's queue manager work unchanged.
import client from 'prom-client';

type L = 'remote_name' | 'url';

export interface RemoteWriteMetrics {
  samplesTotal: client.Counter<L>;
  samplesFailed: client.Counter<L>;
  samplesRetried: client.Counter<L>;
  samplesDropped: client.Counter<L | 'reason'>;
  histogramsTotal: client.Counter<L>;
  histogramsFailed: client.Counter<L>;
  histogramsRetried: client.Counter<L>;
  histogramsDropped: client.Counter<L | 'reason'>;
  exemplarsTotal: client.Counter<L>;
  exemplarsFailed: client.Counter<L>;
  exemplarsRetried: client.Counter<L>;
  metadataTotal: client.Counter<L>;
  metadataFailed: client.Counter<L>;
  metadataRetried: client.Counter<L>;
  highestTimestamp: client.Gauge;
  queueHighestSent: client.Gauge<L>;
  shards: client.Gauge<L>;
  shardsDesired: client.Gauge<L>;
  shardsMin: client.Gauge<L>;
  shardsMax: client.Gauge<L>;
  samplesPending: client.Gauge<L>;
  bytesTotal: client.Counter<L>;
  sentBatchDuration: client.Histogram<L>;
  writtenMismatch: client.Counter<L>;
  walRecordsRead: client.Counter<'consumer' | 'type'>;
  walCurrentSegment: client.Gauge<'consumer'>;
  backlogSegmentsDropped: client.Counter;
  /** The newest sample timestamp any queue read (what highest_timestamp_in_seconds shows). */
  highestInSeconds: number;
}

export function createRemoteWriteMetrics(registry: client.Registry): RemoteWriteMetrics {
  const registers = [registry];
  const labelNames: L[] = ['remote_name', 'url'];
  const counter = (name: string, help: string) => new client.Counter<L>({ name: `prometheus_remote_storage_${name}`, help, labelNames, registers });
  const gauge = (name: string, help: string) => new client.Gauge<L>({ name: `prometheus_remote_storage_${name}`, help, labelNames, registers });
  return {
    samplesTotal: counter('samples_total', 'Total number of samples sent to remote storage.'),
    samplesFailed: counter('samples_failed_total', 'Total number of samples which failed on send to remote storage, non-recoverable errors.'),
    samplesRetried: counter('samples_retried_total', 'Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.'),
    samplesDropped: new client.Counter({ name: 'prometheus_remote_storage_samples_dropped_total', help: 'Total number of samples which were dropped after being read from the WAL before being sent via remote write, either via relabelling, due to being too old or unintentionally because of an unknown reference ID.', labelNames: ['remote_name', 'url', 'reason'], registers }),
    histogramsTotal: counter('histograms_total', 'Total number of histograms sent to remote storage.'),
    histogramsFailed: counter('histograms_failed_total', 'Total number of histograms which failed on send to remote storage, non-recoverable errors.'),
    histogramsRetried: counter('histograms_retried_total', 'Total number of histograms which failed on send to remote storage but were retried because the send error was recoverable.'),
    histogramsDropped: new client.Counter({ name: 'prometheus_remote_storage_histograms_dropped_total', help: 'Total number of histograms which were dropped after being read from the WAL before being sent via remote write, either via relabelling, due to being too old or unintentionally because of an unknown reference ID.', labelNames: ['remote_name', 'url', 'reason'], registers }),
    exemplarsTotal: counter('exemplars_total', 'Total number of exemplars sent to remote storage.'),
    exemplarsFailed: counter('exemplars_failed_total', 'Total number of exemplars which failed on send to remote storage, non-recoverable errors.'),
    exemplarsRetried: counter('exemplars_retried_total', 'Total number of exemplars which failed on send to remote storage but were retried because the send error was recoverable.'),
    metadataTotal: counter('metadata_total', 'Total number of metadata entries sent to remote storage.'),
    metadataFailed: counter('metadata_failed_total', 'Total number of metadata entries which failed on send to remote storage, non-recoverable errors.'),
    metadataRetried: counter('metadata_retried_total', 'Total number of metadata entries which failed on send to remote storage but were retried because the send error was recoverable.'),
    highestTimestamp: new client.Gauge({ name: 'prometheus_remote_storage_highest_timestamp_in_seconds', help: 'Highest timestamp that has come into the remote storage via the Appender interface, in seconds since epoch.', registers }),
    queueHighestSent: gauge('queue_highest_sent_timestamp_seconds', 'Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch.'),
    shards: gauge('shards', 'The number of shards used for parallel sending to the remote storage.'),
    shardsDesired: gauge('shards_desired', 'The number of shards that the queues shard calculation wants to run based on the rate of samples in vs. samples out.'),
    shardsMin: gauge('shards_min', 'The minimum number of shards that the queue is allowed to run.'),
    shardsMax: gauge('shards_max', 'The maximum number of shards that the queue is allowed to run.'),
    samplesPending: gauge('samples_pending', 'The number of samples pending in the queues shards to be sent to the remote storage.'),
    bytesTotal: counter('bytes_total', 'The total number of bytes of data (not metadata) sent by the queue after compression.'),
    sentBatchDuration: new client.Histogram<L>({ name: 'prometheus_remote_storage_sent_batch_duration_seconds', help: 'Duration of send calls to the remote storage.', labelNames, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300], registers }),
    writtenMismatch: counter('written_count_mismatch_total', 'Remote-Write 2.0 responses whose X-Prometheus-Remote-Write-*-Written headers report fewer samples, histograms or exemplars than were sent.'),
    walRecordsRead: new client.Counter({ name: 'prometheus_wal_watcher_records_read_total', help: 'Number of records read by the WAL watcher from the WAL.', labelNames: ['consumer', 'type'], registers }),
    walCurrentSegment: new client.Gauge({ name: 'prometheus_wal_watcher_current_segment', help: 'Current segment the WAL watcher is reading records from.', labelNames: ['consumer'], registers }),
    backlogSegmentsDropped: new client.Counter({ name: 'prometheus_remote_storage_backlog_segments_dropped_total', help: 'WAL segments given up by remote-write queues because the backlog exceeded --storage.remote.max-backlog or, in agent mode, held data older than --storage.agent.retention.max-time.', registers }),
    highestInSeconds: 0,
  };
}
