// What an ingest path of the scrape loop works with: the codec that parses bodies, the storage
// it appends to (with the optional native text-format cache), the scrape options and the counts an
// append gives back. The loop (loop.ts) and both ingest paths import these from here.
import type { Labels } from '../model/labels.js';
import type { ScrapeRequest } from '../common/http-config/http-get.js';
import type { Logger } from '../util/logger.js';
import type { AppendResult } from '../storage/index.js';
import type { FloatHistogram } from '../model/histogram.js';

/** What the parser may use to skip work on lines it has seen before (see ParseOptions in src/exposition). */
export interface FastPathHints<T> {
  knownSeries?: (series: string) => T | undefined;
  previous?: { series: readonly string[]; cached: readonly T[] };
  /** OpenMetrics: `_created` samples become their family's start timestamps (st-storage). */
  startTimestamps?: boolean;
  /** OpenMetrics: hand each sample's exemplar to the sink. */
  exemplars?: boolean;
  /** Text format: the lines before this body when it is a slice of a larger text (for the line numbers of errors). */
  linesBefore?: number;
}

/** What the protobuf parser is asked for beyond the text formats' hints. */
export interface ProtobufHints<T> extends FastPathHints<T> {
  nativeHistograms?: boolean;
  alwaysClassicHistograms?: boolean;
}

/** Receives each native histogram of a body: series text, histogram, own timestamp (ms), cache value, start (ms), exemplars. */
export type HistogramSampleSink<T> = (series: string, h: FloatHistogram, timestamp: number | undefined, cached: T | undefined, start: number | undefined, exemplars: ScrapedExemplar[]) => void;

/** TYPE, HELP and UNIT of a metric family as the target exposes them. */
export interface FamilyMetadata {
  type: string;
  help: string;
  unit: string;
}

/** The parsing half of a scrape: exposition text to samples, and a series text to its labels. */
export interface ExpositionCodec {
  /**
   * Parses a body, handing each sample to `sink` (series text, value, timestamp in ms if given, and
   * the cache value when the fast path found the series); `metadata` receives each family's TYPE/HELP/UNIT. */
  parseInto<T>(body: string, contentType: string, metadata: Map<string, FamilyMetadata> | undefined, fast: FastPathHints<T>, sink: (series: string, value: number, timestamp: number | undefined, cached: T | undefined, start?: number, exemplar?: ScrapedExemplar) => void): void;
  seriesLabels(series: string): Labels;
  /** Loads what parsing a body of this content type needs (a parser loaded on first use); awaited before parsing when it returns a promise. */
  prepare?(contentType: string): Promise<void> | undefined;
  /** Whether a body of this content type is in the protobuf exposition format (parsed by parseProtobufInto). */
  isProtobuf?(contentType: string): boolean;
  /** Parses a protobuf exposition body: floats and classic series to `sink`, native histograms to `histogramSink`. */
  parseProtobufInto?<T>(body: Uint8Array, metadata: Map<string, FamilyMetadata> | undefined, hints: ProtobufHints<T>, sink: (series: string, value: number, timestamp: number | undefined, cached: T | undefined, start?: number, exemplar?: ScrapedExemplar) => void, histogramSink: HistogramSampleSink<T>): void;
  /** A series text for a label set (the converted classic histograms' key in the scrape cache). */
  seriesText?(labels: Labels): string;
  /** Throws when the body's bytes hold what the format refuses before decoding (invalid UTF-8). */
  checkEncoding?(body: Uint8Array, contentType: string): void;
  /** Whether a body of this content type is in the Prometheus text format (the native cache's). */
  isTextFormat(contentType: string): boolean;
}

/** An exemplar read from a sample line (OpenMetrics). */
export interface ScrapedExemplar {
  labels: Labels;
  value: number;
  /** ms; the sample's time when absent. */
  timestamp?: number;
}

/** What one batch append refused, by reason: the storage's own append result. */
export type AppendCounts = AppendResult;

/** A finished native scrape: the append counts and the scrape's own figures. */
export interface TextScrapeCounts extends AppendCounts {
  scraped: number;
  postRelabel: number;
  added: number;
}

/**
 * A per-target cache that reads text-format bodies natively (storage/text-scrape-cache.ts, which satisfies this port): known
 * series are appended there; the residue comes back for the full parser.
 */
export interface TextScrapeCachePort {
  /** Settles once the body is read; the next call waits for this scrape's finish. The body is read in place: not written until this settles. */
  scan(body: Uint8Array, scrapeTs: number, honorTimestamps: boolean, trackTimestampsStaleness: boolean): Promise<string | null>;
  /** Settles once the samples are appended (off the event loop). */
  finish(residue: { series: readonly string[]; refs: Uint32Array; timestamps: Float64Array; values: Float64Array; untracked?: Uint32Array }, scrapeTs: number, sampleLimit: number, adoptPrevious?: Uint32Array): Promise<TextScrapeCounts | { sampleLimitExceeded: true }>;
  /** Settles once the previous scrape's series have their stale markers (off the event loop); how many. */
  fail(ts: number, except?: Uint32Array): Promise<number>;
  /**
   * Appends the target's report series off the event loop, like finish (without it the loop
   * appends them through ScrapeStorage.append).
   */
  appendReport?(refs: Uint32Array, timestamps: Float64Array, values: Float64Array): Promise<AppendCounts>;
}

/** The storage side of a scrape: label sets to refs, then one batch append. */
export interface ScrapeStorage {
  seriesRefs(labelSets: Labels[]): Uint32Array;
  /** seriesRefs off the event loop, for the many new series of a large target's first scrape. */
  seriesRefsAsync?(labelSets: Labels[]): Promise<Uint32Array>;
  append(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, startTimestamps?: Float64Array): AppendCounts;
  /** append off the event loop, for a scrape's whole batch and a vanished target's stale markers. */
  appendAsync?(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, startTimestamps?: Float64Array): Promise<AppendCounts>;
  /** Exemplar storage (only called when the scrape options ask for exemplars); refused ones by reason. */
  appendExemplars?(refs: Uint32Array, timestamps: Float64Array, values: Float64Array, labels: readonly Labels[]): { outOfOrder: number };
  /**
   * Native-histogram samples in one batch (start timestamps 0 = none). Without it the scrape counts
   * its histograms as unstored (IngestResult.histogramsUnstored) instead of losing them silently.
   */
  appendHistograms?(refs: Uint32Array, timestamps: Float64Array, histograms: readonly FloatHistogram[], startTimestamps?: Float64Array): AppendCounts;
  /** A native cache for one target's text-format scrapes; without it every body takes the JavaScript path. */
  textScrapeCache?(): TextScrapeCachePort;
}

export interface ScrapeOptions {
  intervalMs: number;
  timeoutMs: number;
  honorLabels: boolean;
  honorTimestamps: boolean;
  /**
   * Stale markers also for series whose samples carry their own timestamp (Prometheus's
   * track_timestamps_staleness; by default those are not marked stale when they vanish).
   */
  trackTimestampsStaleness?: boolean;
  sampleLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  /** metric_relabel_configs as a function: null drops the series. */
  metricRelabel: ((labels: Labels) => Labels | null) | undefined;
  http: Omit<ScrapeRequest, 'url' | 'timeoutMs'>;
  /**
   * st-storage: store OpenMetrics `_created` values as the start timestamps of their family's
   * samples (and not as series of their own), as Prometheus does with this feature.
   */
  storeStartTimestamps?: boolean;
  /** exemplar-storage: keep the exemplars of OpenMetrics samples. */
  storeExemplars?: boolean;
  /** fallback_scrape_protocol's media type: how to read a body that comes without a Content-Type. */
  fallbackContentType?: string;
  /**
   * metric_name_validation_scheme: legacy: a series whose metric or label names fall outside
   * `[a-zA-Z_:][a-zA-Z0-9_:]*` / `[a-zA-Z_][a-zA-Z0-9_]*` (after relabeling) fails the scrape.
   */
  legacyNameValidation?: boolean;
  /** scrape_native_histograms (or the native-histograms feature): read native histograms from protobuf bodies. */
  nativeHistograms?: boolean;
  /** always_scrape_classic_histograms: keep a histogram's classic series beside its native (or converted) form. */
  alwaysScrapeClassicHistograms?: boolean;
  /** convert_classic_histograms_to_nhcb: classic histograms stored as custom-bucket native histograms. */
  convertClassicHistogramsToNhcb?: boolean;
  /** native_histogram_bucket_limit (0: none): resolution lowered until a histogram fits, else the scrape fails. */
  nativeHistogramBucketLimit?: number;
  /** native_histogram_min_bucket_factor (0: none): resolution lowered until buckets grow by at least this factor. */
  nativeHistogramMinBucketFactor?: number;
  /** scrape_failure_log_file: called with the target's URL and the error of every failed scrape. */
  failureLog?: (target: string, error: string) => void;
}

/** Fails the scrape with its message as the target's last error. */
export class ScrapeFailure extends Error {}

/** What a scrape's body became: the scrape's own figures, the append counts and the families read. */
export interface IngestResult {
  scraped: number;
  postRelabel: number;
  added: number;
  counts: AppendCounts;
  exemplarsOutOfOrder: number;
  /** Native histograms stored (counted in `counts` too). */
  histograms?: number;
  /** Native histograms read but not stored because the storage takes none (see ScrapeStorage.appendHistograms). */
  histogramsUnstored?: number;
  /** The families the body declared; undefined when this scrape read none (the last ones stay). */
  metadata?: Map<string, FamilyMetadata>;
}

/**
 * One way from a scrape's body to stored samples: parser-ingester.ts (the JavaScript parser) or
 * native-ingester.ts (the native text-format cache). The loop picks one per scrape by content type
 * and keeps scheduling, staleness across both caches, the report series and metrics.
 */
export interface Ingester {
  /**
   * Reads the body, resolves new series and appends the samples in one batch. Throws (or rejects)
   * to fail the scrape. The native path settles a promise, its work done off the event loop.
   */
  ingest(body: Buffer, contentType: string, scrapeTime: number): IngestResult | Promise<IngestResult>;
}

/** What the ingest paths use of the loop's dependencies. */
export interface IngestDeps {
  storage: ScrapeStorage;
  codec: ExpositionCodec;
  logger: Logger;
}
