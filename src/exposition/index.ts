// The exposition codec the scrape loop uses: picks the parser from the response's content type.
// The protobuf parser (and protobufjs with it) loads with the first protobuf body: most servers
// never scrape one, and an idle server would keep it resident for nothing.
import type { Labels } from '../model/labels.js';
import { parseOpenMetrics } from './openmetrics.js';
import { parseSeriesText, parseText, parseTextInto } from './text.js';
import { checkUtf8 } from './utf8.js';
import { isOpenMetrics, isProtobuf } from './media-types.js';
import { seriesTextOfLabels } from './series-text.js';
import type { HistogramSink, ProtobufParseOptions } from './protobuf.js';
import type { MetricMetadata, ParseOptions, ParsedSample, SampleSink } from './text.js';

export { ExpositionError } from './lexer.js';
export { parseOpenMetrics } from './openmetrics.js';
export { parseText, parseTextInto, parseSeriesText } from './text.js';
export { checkUtf8 } from './utf8.js';
export { isOpenMetrics, isProtobuf, PROTOBUF_MEDIA_TYPE } from './media-types.js';
export { formatOpenMetricsFloat, seriesTextOfLabels } from './series-text.js';
export type { HistogramSink, ProtobufParseOptions } from './protobuf.js';
export type { ProtoMetricFamily, ProtoMetric, ProtoHistogram } from './metrics-proto.js';
export type { MetricMetadata, MetricType, ParseOptions, ParsedExemplar, ParsedSample, SampleSink } from './text.js';

export class ExpositionCodecImpl {
  /** The protobuf parser, once a protobuf body came (prepare). */
  private protobuf: typeof import('./protobuf.js') | undefined;

  /** Loads what parsing a body of this content type needs; undefined when nothing is left to load. */
  prepare(contentType: string): Promise<void> | undefined {
    if (this.protobuf !== undefined || !isProtobuf(contentType)) return undefined;
    return import('./protobuf.js').then((m) => {
      this.protobuf = m;
    });
  }

  /** Parses a scrape body. `metadata` receives TYPE/HELP/UNIT per family. */
  parse<T>(body: string, contentType: string, metadata?: Map<string, MetricMetadata>, fast?: ParseOptions<T>): Iterable<ParsedSample<T>> {
    return isOpenMetrics(contentType) ? (parseOpenMetrics(body, metadata) as Iterable<ParsedSample<T>>) : parseText<T>(body, metadata, fast);
  }

  /** The same, each sample handed to `sink` (the scrape loop's path: no object per sample for text bodies). */
  parseInto<T>(body: string, contentType: string, metadata: Map<string, MetricMetadata> | undefined, fast: ParseOptions<T>, sink: SampleSink<T>): void {
    if (!isOpenMetrics(contentType)) return parseTextInto(body, metadata, fast, sink);
    for (const s of parseOpenMetrics(body, metadata, { startTimestamps: fast.startTimestamps ?? false, exemplars: fast.exemplars ?? false })) sink(s.series, s.value, s.timestamp, undefined, s.start, s.exemplar);
  }

  /** Protobuf bodies: floats and classic series to `sink`, native histograms to `histogramSink`. */
  parseProtobufInto<T>(body: Uint8Array, metadata: Map<string, MetricMetadata> | undefined, options: ProtobufParseOptions<T>, sink: SampleSink<T>, histogramSink: HistogramSink<T>): void {
    if (this.protobuf === undefined) throw new Error('the protobuf parser is not loaded: prepare() the content type first');
    this.protobuf.parseProtobufInto(body, metadata, options, sink, histogramSink);
  }

  isProtobuf(contentType: string): boolean {
    return isProtobuf(contentType);
  }

  seriesText(labels: Labels): string {
    return seriesTextOfLabels(labels);
  }

  /** Refuses invalid UTF-8 where Prometheus refuses it (the parsers see the body decoded; protobuf strings are checked by the decoder). */
  checkEncoding(body: Uint8Array, contentType: string): void {
    if (isProtobuf(contentType)) return;
    checkUtf8(body, isOpenMetrics(contentType));
  }

  seriesLabels(series: string): Labels {
    return parseSeriesText(series);
  }

  /** Whatever is not OpenMetrics is read as the text format, as Prometheus falls back to it. */
  isTextFormat(contentType: string): boolean {
    return !isOpenMetrics(contentType) && !isProtobuf(contentType);
  }
}
