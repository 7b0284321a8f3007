// `promethium server` flags: Prometheus's names and defaults, so existing unit files and scripts
// keep working.
import { flag, type FlagValues } from '../util/flags.js';
import { parseDurationParam } from '../web/api/params.js';
import { webConfigFlag } from '../web-config/flag.js';

function duration(s: string): number {
  return parseDurationParam(s, 'flag');
}

/** `--storage.tsdb.retention.size`: bytes with units B, KB, MB, GB, TB, PB, EB (powers of 1024). */
export function parseByteSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(B|KB|MB|GB|TB|PB|EB)$/.exec(s.trim());
  if (m === null) throw new Error(`invalid size "${s}": use a number with a unit (B, KB, MB, GB, TB, PB, EB)`);
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  return Math.floor(Number(m[1]) * 1024 ** units.indexOf(m[2]!));
}

function blockDuration(s: string): number {
  const ms = duration(s);
  if (ms < 60_000) throw new Error(`block duration "${s}" is shorter than one minute`);
  return ms;
}

export const serverFlags = {
  'config.file': flag.string('Prometheus configuration file path.', 'prometheus.yml'),
  'web.listen-address': flag.string('Address to listen on for UI, API, and telemetry.', '0.0.0.0:9090'),
  ...webConfigFlag,
  'web.read-timeout': flag.custom('Maximum duration before timing out read of the request, and closing idle connections.', 300000, '5m', duration),
  'web.max-connections': flag.custom('Maximum number of simultaneous connections.', 512, '512', Number),
  'web.external-url': flag.optionalString('The URL under which Prometheus is externally reachable (for example, if Prometheus is served via a reverse proxy). Used for generating relative and absolute links back to Prometheus itself.', '<URL>'),
  'web.route-prefix': flag.optionalString('Prefix for the internal routes of web endpoints. Defaults to path of --web.external-url.', '<path>'),
  'web.enable-lifecycle': flag.bool('Enable shutdown and reload via HTTP request.'),
  'web.enable-admin-api': flag.bool('Enable API endpoints for admin control actions.'),
  'web.enable-remote-write-receiver': flag.bool('Enable API endpoint accepting remote write requests.'),
  'web.page-title': flag.string('Document title of Prometheus instance.', 'Promethium Time Series Collection and Processing Server'),
  'web.cors.origin': flag.string('Regex for CORS origin. It is fully anchored.', '.*'),
  agent: flag.bool("Run Promethium in 'Agent mode': scrape, WAL and remote write only; no local querying, rules or alerting."),
  'storage.agent.path': flag.string('Base path for metrics storage in agent mode.', 'data-agent/'),
  'storage.agent.retention.min-time': flag.custom('Minimum age samples may be before being considered for deletion when the WAL is truncated (agent mode; default 5m).', 0, undefined, duration),
  'storage.agent.retention.max-time': flag.custom('Maximum age samples may be before being forcibly deleted when the WAL is truncated (agent mode; default 4h, at least min-time and the truncation interval).', 0, undefined, duration),
  // Hidden in Prometheus too: how often the agent truncates its WAL (2h), shortened by tests.
  'storage.agent.wal-truncate-frequency': { ...flag.custom('The frequency at which to truncate the WAL and remove old data (agent mode; default 2h).', 0, undefined, duration), hidden: true },
  'storage.tsdb.path': flag.string('Base path for metrics storage.', 'data/'),
  'storage.tsdb.retention.time': flag.custom('How long to retain samples in storage. When this flag is set it overrides "storage.tsdb.retention". If neither this flag nor "storage.tsdb.retention" nor "storage.tsdb.retention.size" is set, the retention time defaults to 15d.', 0, undefined, duration),
  'storage.tsdb.retention.size': flag.custom('Maximum number of bytes that can be stored for blocks. A unit is required, supported units: B, KB, MB, GB, TB, PB, EB. Ex: "512MB".', 0, undefined, parseByteSize),
  // Hidden in Prometheus too: for tests and benchmarks that need the head cut into blocks within
  // minutes. Our blocks all have the head's range, so the maximum is accepted and must not be
  // smaller than the minimum.
  'storage.tsdb.min-block-duration': { ...flag.custom('Minimum duration of a data block before being persisted.', 2 * 3600 * 1000, '2h', blockDuration), hidden: true },
  'storage.tsdb.max-block-duration': { ...flag.custom('Maximum duration compacted blocks may span. For use in testing. (Defaults to 10% of the retention period.)', 0, undefined, blockDuration), hidden: true },
  'storage.tsdb.no-lockfile': flag.bool('Do not create lockfile in data directory.'),
  'storage.remote.max-backlog': flag.string('How much WAL remote-write queues may keep from head truncation while a receiver is unreachable, as a size (512MB, 1GiB) or an age (2h); past it the oldest data is dropped for them. Not in Prometheus.', '1GiB'),
  'storage.remote.read-sample-limit': flag.custom('Maximum overall number of samples to return via the remote read interface, in a single query. 0 means no limit. This limit is ignored for streamed response types.', 50000000, '5e7', Number),
  'storage.remote.read-concurrent-limit': flag.custom('Maximum number of concurrent remote read calls. 0 means no limit.', 10, '10', Number),
  'storage.remote.read-max-bytes-in-frame': flag.custom('Maximum number of bytes in a single frame for streaming remote read response types before marshalling. Note that client might have limit on frame size as well. 1MB as recommended by protobuf by default.', 1048576, '1048576', Number),
  'rules.alert.for-outage-tolerance': flag.custom('Max time to tolerate prometheus outage for restoring "for" state of alert.', 3600000, '1h', duration),
  'rules.alert.for-grace-period': flag.custom('Minimum duration between alert and restored "for" state. This is maintained only for alerts with configured "for" time greater than grace period.', 600000, '10m', duration),
  'rules.alert.resend-delay': flag.custom('Minimum amount of time to wait before resending an alert to Alertmanager.', 60000, '1m', duration),
  'alertmanager.notification-queue-capacity': flag.custom('The capacity of the queue for pending Alertmanager notifications.', 10000, '10000', Number),
  'alertmanager.timeout': flag.custom('Timeout for sending alerts to Alertmanager.', 10000, '10s', duration),
  'query.lookback-delta': flag.custom('The maximum lookback duration for retrieving metrics during expression evaluations and federation.', 300000, '5m', duration),
  'query.timeout': flag.custom('Maximum time a query may take before being aborted.', 120000, '2m', duration),
  'query.max-concurrency': flag.custom('Maximum number of queries executed concurrently.', 20, '20', Number),
  'query.max-samples': flag.custom('Maximum number of samples a single query can load into memory. Note that queries will fail if they try to load more samples than this into memory, so this also limits the number of samples a query can return.', 50000000, '50000000', Number),
  'query.max-memory': flag.custom('Maximum memory a single query may allocate for its intermediate and final results (units B, KB, MB, GB, ...; 0: no limit). A query that would use more fails with an error; its worker heap is bounded accordingly. Not in Prometheus.', 0, '0', (s) => (s.trim() === '0' ? 0 : parseByteSize(s))),
  'enable-feature': flag.strings('Comma separated feature names to enable. Valid options: promql-experimental-functions, promql-extended-range-selectors, promql-binop-fill-modifiers, promql-delayed-name-removal, use-start-timestamps, st-storage, exemplar-storage, xor2-encoding, native-histograms.', '<name>'),
  'log.level': flag.enumeration('Only log messages with the given severity or above.', 'info', ['debug', 'info', 'warn', 'error'] as const),
  'log.format': flag.enumeration('Output format of log messages.', 'logfmt', ['logfmt', 'json'] as const),
};

export type ServerFlags = FlagValues<typeof serverFlags>;

/** The flags as `/api/v1/status/flags` lists them: every flag, as text. */
export function flagsForStatus(values: ServerFlags, raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(serverFlags)) {
    const v = (values as Record<string, unknown>)[name];
    out[name] = raw[name] ?? (Array.isArray(v) ? v.join(',') : v === undefined ? '' : (spec.defaultText ?? String(v)).replace(/^"(.*)"$/, '$1'));
  }
  return out;
}
