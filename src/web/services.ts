// What the HTTP layer needs from the rest of the server. Each API plugin uses one part; the server
// (src/server) provides the implementation. Keeping this narrow lets the web layer be tested with
// small fakes and keeps data flowing one way (web -> engine -> storage).
import type { Logger } from '../util/logger.js';
import type { ActiveTarget, DroppedTarget } from '../scrape/manager.js';
import type { RemoteRequest, RemoteResponse } from '../remote/http-exchange.js';
import type { Readable } from 'node:stream';

export interface RuntimeInfo {
  startTime: string;
  CWD: string;
  reloadConfigSuccess: boolean;
  lastConfigTime: string;
  corruptionCount: number;
  goroutineCount: number;
  GOMAXPROCS: number;
  GOMEMLIMIT: number;
  GOGC: string;
  GODEBUG: string;
  storageRetention: string;
}

export interface LifecycleService {
  /** `--web.enable-lifecycle`: whether /-/reload and /-/quit are allowed. */
  enabled: boolean;
  /** Reloads the configuration; throws with the reason when the new one is refused. */
  reload(): Promise<void>;
  quit(): void;
  isReady(): boolean;
}

export interface StatusService {
  flags(): Record<string, string>;
  configYaml(): string;
  runtimeInfo(): RuntimeInfo;
}

/** JSON-ready query results in the API's shapes (`vector`, `matrix`, `scalar`, `string`). */
export interface QueryData {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: unknown;
}

export interface QueryResponse {
  data: QueryData;
  warnings: string[];
  infos: string[];
}

export interface QueryOptions {
  /** Who asked, for the query log (`{ httpRequest: { clientIP, method, path } }`). */
  origin?: Record<string, unknown>;
  timeoutMs?: number;
  lookbackDeltaMs?: number;
  /** `limit`: the maximum number of series returned (0 = no limit). */
  limit?: number;
}

/**
 * PromQL over HTTP. Implementations throw `ApiError` (bad_data for parse errors, execution for
 * evaluation errors, timeout, canceled) so the plugin can return them as they are.
 */
export interface QueryService {
  instant(expr: string, timeMs: number, opts: QueryOptions): Promise<QueryResponse>;
  range(expr: string, startMs: number, endMs: number, stepMs: number, opts: QueryOptions): Promise<QueryResponse>;
  /** The expression pretty-printed (`/api/v1/format_query`); throws ApiError on a parse error. */
  format(expr: string): string;
}

/** Series metadata: `match[]` selectors are PromQL series selectors. */
/** One series' exemplars as /api/v1/query_exemplars answers them. */
export interface ExemplarQueryResult {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

export interface SeriesService {
  /** Stored exemplars in [start, end] of the series the query's selectors match (none without exemplar storage). */
  exemplars(query: string, startMs: number, endMs: number): Promise<ExemplarQueryResult[]>;
  series(matchers: string[], startMs: number, endMs: number, limit: number): Promise<{ result: Record<string, string>[]; warnings: string[] }>;
  labelNames(matchers: string[], startMs: number, endMs: number, limit: number): Promise<{ result: string[]; warnings: string[] }>;
  labelValues(name: string, matchers: string[], startMs: number, endMs: number, limit: number): Promise<{ result: string[]; warnings: string[] }>;
}

export interface TargetService {
  active(): ActiveTarget[];
  dropped(): DroppedTarget[];
  /** Dropped targets per scrape pool, also those keep_dropped_targets leaves out of `dropped()`. */
  droppedCounts(): Record<string, number>;
}

export interface NameCount {
  name: string;
  value: number;
}

/** `/api/v1/status/tsdb`'s data, in the API's field names. */
export interface TsdbStatus {
  headStats: { numSeries: number; numLabelPairs: number; chunkCount: number; minTime: number; maxTime: number };
  seriesCountByMetricName: NameCount[];
  labelValueCountByLabelName: NameCount[];
  memoryInBytesByLabelName: NameCount[];
  seriesCountByLabelValuePair: NameCount[];
}

/** Storage administration (`--web.enable-admin-api`). */
export interface TsdbService {
  /** Off the event loop: with a million series the cardinality lists walk the whole head. */
  status(limit: number): Promise<TsdbStatus>;
  adminEnabled: boolean;
  deleteSeries(matchers: string[], startMs: number, endMs: number): Promise<void>;
  cleanTombstones(): Promise<void>;
  /** Returns the snapshot's directory name under `<data>/snapshots/`. */
  snapshot(skipHead: boolean): Promise<string>;
}

import type { FloatHistogram } from '../model/histogram.js';

/** A series' latest sample, as /federate writes it. */
export interface FederatedSample {
  labels: Record<string, string>;
  t: number;
  v: number;
  /** Set when the latest sample is a native histogram (then `v` means nothing). */
  h?: FloatHistogram;
}

export interface FederationService {
  /** The latest sample within the lookback delta of each series any selector matches, at `atMs`. */
  federate(matches: string[], atMs: number): FederatedSample[];
  /** `global.external_labels` of the running configuration. */
  externalLabels(): Record<string, string>;
}

/** What the web layer records about its own requests (the server's metrics satisfy it). */
export interface WebMetrics {
  /** prometheus_http_requests_total */
  httpRequests: { inc(labels: { handler: string; code: string }): void };
  /** prometheus_http_request_duration_seconds */
  httpDuration: { observe(labels: { handler: string }, seconds: number): void };
  /** The registry /metrics exposes. */
  registry: { metrics(): Promise<string>; contentType: string };
}

/** The remote-storage endpoints: `/api/v1/write` (only with the receiver enabled) and `/api/v1/read`. */
export interface RemoteEndpointService {
  /** Undefined without --web.enable-remote-write-receiver (the endpoint answers 404 then). */
  write?: (req: RemoteRequest) => Promise<RemoteResponse>;
  /** Undefined in agent mode (no local querying). */
  read?: (req: RemoteRequest) => Promise<Omit<RemoteResponse, 'body'> & { body: RemoteResponse['body'] | Readable }>;
}

export interface WebServices {
  logger: Logger;
  metrics: WebMetrics;
  lifecycle: LifecycleService;
  status: StatusService;
  queries: QueryService;
  series: SeriesService;
  targets: TargetService;
  tsdb: TsdbService;
  federation: FederationService;
  remote?: RemoteEndpointService;
}
