// The exposition codec the scrape loop uses: picks the parser from the response's content type.
import type { Labels } from '../model/labels.js';
import { parseOpenMetrics } from './openmetrics.js';
import { parseSeriesText, parseText, parseTextInto } from './text.js';
import { checkUtf8 } from './utf8.js';
import type { MetricMetadata, ParseOptions, ParsedSample, SampleSink } from './text.js';

export { ExpositionError } from './lexer.js';
export { parseOpenMetrics } from './openmetrics.js';
export { parseText, parseTextInto, parseSeriesText } from './text.js';
export { checkUtf8 } from './utf8.js';
export type { MetricMetadata, MetricType, ParseOptions, ParsedExemplar, ParsedSample, SampleSink } from './text.js';

export function isOpenMetrics(contentType: string): boolean {
  return /^\s*application\/openmetrics-text/i.test(contentType);
}

export class ExpositionCodecImpl {
  /** Parses a scrape body. `metadata` receives TYPE/HELP/UNIT per family. */
  parse<T>(body: string, contentType: string, metadata?: Map<string, MetricMetadata>, fast?: ParseOptions<T>): Iterable<ParsedSample<T>> {
    return isOpenMetrics(contentType) ? (parseOpenMetrics(body, metadata) as Iterable<ParsedSample<T>>) : parseText<T>(body, metadata, fast);
  }

  /** The same, each sample handed to `sink` (the scrape loop's path: no object per sample for text bodies). */
  parseInto<T>(body: string, contentType: string, metadata: Map<string, MetricMetadata> | undefined, fast: ParseOptions<T>, sink: SampleSink<T>): void {
    if (!isOpenMetrics(contentType)) return parseTextInto(body, metadata, fast, sink);
    for (const s of parseOpenMetrics(body, metadata, { startTimestamps: fast.startTimestamps ?? false, exemplars: fast.exemplars ?? false })) sink(s.series, s.value, s.timestamp, undefined, s.start, s.exemplar);
  }

  /** Refuses invalid UTF-8 where Prometheus refuses it (the parsers see the body decoded). */
  checkEncoding(body: Uint8Array, contentType: string): void {
    checkUtf8(body, isOpenMetrics(contentType));
  }

  seriesLabels(series: string): Labels {
    return parseSeriesText(series);
  }

  /** Whatever is not OpenMetrics is read as the text format, as Prometheus falls back to it. */
  isTextFormat(contentType: string): boolean {
    return !isOpenMetrics(contentType);
  }
}
