// The Prometheus text format 0.0.4 (and its 3.x quoted-name form), as leniently as Prometheus
// reads it: blanks between tokens, unknown comments ignored, an optional integer timestamp in ms.
import type { Labels } from '../model/labels.js';
import { METRIC_NAME, newLabels } from '../model/labels.js';
import { ExpositionError, LineCursor } from './lexer.js';
import { readPromFloat, readTextTimestamp } from './numbers.js';

/** An OpenMetrics exemplar: `# {trace_id="..."} value [timestamp]`. */
export interface ParsedExemplar {
  labels: Labels;
  value: number;
  /** ms, when the exemplar had a timestamp. */
  timestamp?: number;
}

export interface ParsedSample<T = unknown> {
  /** The series exactly as written (`name{a="b"}`): the scrape cache key. */
  series: string;
  value: number;
  /** Milliseconds, when the line had a timestamp. */
  timestamp?: number;
  /** What the caller's cache holds for the series (e.g. its storage ref), when the fast path took the line. */
  cached?: T;
  /** Start timestamp (ms): the family's `_created` value, when OpenMetrics start timestamps are read. */
  start?: number;
  /** The line's exemplar, when exemplars are read. */
  exemplar?: ParsedExemplar;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

export interface MetricMetadata {
  type: MetricType;
  help: string;
  unit: string;
}

const TEXT_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Parses one series text (`name{...}` or `{"name", ...}`) into labels with __name__. */
export function parseSeriesText(series: string, line = 0): Labels {
  const c: LineCursor = new LineCursor(series, line);
  const name = c.metricName();
  let labels = newLabels();
  let quotedName: string | undefined;
  if (name !== undefined) c.skipSpaces(false);
  if (c.peek() === '{') ({ labels, name: quotedName } = c.labels(false));
  const metric = name ?? quotedName;
  if (metric === undefined || metric === '') c.fail('missing metric name');
  const out = newLabels();
  out.__name__ = metric;
  for (const k of Object.keys(labels)) out[k] = labels[k]!;
  return out;
}

/** Receives each sample: the series text, value, timestamp (ms) if the line had one, and the cache value if the fast path found it. */
export type SampleSink<T> = (series: string, value: number, timestamp: number | undefined, cached: T | undefined, start?: number, exemplar?: ParsedExemplar) => void;

export interface ParseOptions<T> {
  /**
   * Looks a series text up among those seen in earlier valid scrapes (the scrape cache). A line
   * whose series text is known skips the label lexer: it was validated when first seen, and the
   * same text is the same series. The value found is passed on as `cached`. Any other line goes
   * through the full parser.
   */
  knownSeries?: (series: string) => T | undefined;
  /**
   * The previous scrape's samples in order (series texts and their cache values). Targets expose
   * the same series in the same order scrape after scrape, so the k-th sample line is first compared
   * in place with the previous k-th series text: no string is cut out and no lookup is made.
   */
  previous?: { series: readonly string[]; cached: readonly T[] };
  /** OpenMetrics bodies: read `_created` samples as start timestamps (see OpenMetricsOptions). */
  startTimestamps?: boolean;
  /** OpenMetrics bodies: hand each sample's exemplar to the sink. */
  exemplars?: boolean;
  /**
   * Text-format bodies: the number of lines before this body, when it is a slice of a larger
   * text parsed a slice at a time (errors then name the larger text's line).
   */
  linesBefore?: number;
}

const enum Ch {
  Tab = 9,
  Space = 32,
  Quote = 34,
  Backslash = 92,
  OpenBrace = 123,
  CloseBrace = 125,
}

function isBlank(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 58;
}

/** Digits, sign, point and exponent only: such a token means what Number() reads in it, if anything. */
function isPlainNumber(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69)) return false;
  }
  return true;
}

/**
 * The steady-state path: a sample line `name{...} value` (body[start, end)) whose series text is
 * known, read in place without cutting the line out of the body. Returns false to hand the line
 * to the full parser (unknown series, comments, timestamps, anything unusual).
 */
function fastSample<T>(body: string, start: number, end: number, known: (series: string) => T | undefined, expected: string | undefined, expectedCached: T | undefined, sink: SampleSink<T>): boolean {
  let i = start;
  let series: string;
  let cached: T | undefined;
  if (expected !== undefined && expectedCached !== undefined && body.startsWith(expected, start) && isBlank(body.charCodeAt(start + expected.length))) {
    series = expected;
    cached = expectedCached;
    i = start + expected.length;
  } else {
    while (i < end && isNameChar(body.charCodeAt(i))) i++;
    if (i === start) return false;
    if (i < end && body.charCodeAt(i) === Ch.OpenBrace) {
      let inQuote = false;
      for (i++; i < end; i++) {
        const c = body.charCodeAt(i);
        if (inQuote) {
          if (c === Ch.Backslash) i++;
          else if (c === Ch.Quote) inQuote = false;
        } else if (c === Ch.Quote) inQuote = true;
        else if (c === Ch.CloseBrace) break;
      }
      if (i >= end) return false;
      i++;
    }
    if (i >= end || !isBlank(body.charCodeAt(i))) return false;
    series = body.slice(start, i);
    cached = known(series);
    if (cached === undefined) return false;
  }
  while (i < end && (body.charCodeAt(i) === Ch.Space || body.charCodeAt(i) === Ch.Tab)) i++;
  const vStart = i;
  // Integers (most counters) are accumulated digit by digit: no string for the value. Up to 15
  // digits the sum is exact; longer or other numbers go through Number() on the token.
  let int = 0;
  let digitsOnly = true;
  while (i < end) {
    const c = body.charCodeAt(i);
    if (c === Ch.Space || c === Ch.Tab) break;
    if (c >= 48 && c <= 57) int = int * 10 + (c - 48);
    else digitsOnly = false;
    i++;
  }
  const vEnd = i;
  if (vEnd === vStart) return false;
  let value: number;
  if (digitsOnly && vEnd - vStart <= 15) value = int;
  else {
    const valueText = body.slice(vStart, vEnd);
    if (!isPlainNumber(valueText)) return false;
    value = Number(valueText);
    // NaN: not a number at all; ±Inf: beyond the float64 range. The full parser gives the error.
    if (!Number.isFinite(value)) return false;
  }
  while (i < end && (body.charCodeAt(i) === Ch.Space || body.charCodeAt(i) === Ch.Tab)) i++;
  if (i !== end) return false;
  sink(series, value, undefined, cached);
  return true;
}

/**
 * A line starting with `#` (the cursor is on it). As in Prometheus, only `#`, blanks, `HELP` or
 * `TYPE`, blanks, a metric name is metadata; anything else is a comment. The text is what follows
 * the name minus one character (the separating blank): a TYPE is exactly one of the types.
 */
function readMetadataLine(c: LineCursor, metadata: Map<string, MetricMetadata> | undefined): void {
  c.pos++;
  if (c.peek() !== ' ' && c.peek() !== '\t') return; // `#TYPE ...` is a comment
  c.skipSpaces(false);
  const kw = c.token();
  if ((kw !== 'HELP' && kw !== 'TYPE') || c.atEnd()) return; // other comments are ignored
  c.skipSpaces(false);
  const name = c.peek() === '"' ? c.quoted() : c.metricName();
  if (name === undefined) c.fail(`invalid metric name in ${kw} line`);
  const rest = c.text.slice(c.pos);
  const text = rest.length > 1 ? rest.slice(1) : '';
  const m = metadata?.get(name) ?? { type: 'unknown' as MetricType, help: '', unit: '' };
  if (kw === 'TYPE') {
    if (!TEXT_TYPES.has(text)) c.fail(`invalid metric type ${JSON.stringify(text)}`);
    m.type = text === 'untyped' ? 'unknown' : (text as MetricType);
  } else m.help = text.replace(/\\\\/g, '\\').replace(/\\n/g, '\n');
  metadata?.set(name, m);
}

/** Parses a text-format body; `metadata` collects TYPE and HELP per metric family. */
export function* parseText<T = unknown>(body: string, metadata?: Map<string, MetricMetadata>, options: ParseOptions<T> = {}): Generator<ParsedSample<T>> {
  const out: ParsedSample<T>[] = [];
  parseTextInto(body, metadata, options, (series, value, timestamp, cached) => {
    const sample: ParsedSample<T> = { series, value };
    if (timestamp !== undefined) sample.timestamp = timestamp;
    if (cached !== undefined) sample.cached = cached;
    out.push(sample);
  });
  yield* out;
}

/**
 * Parses a text-format body, handing each sample to `sink` (no object per sample: a scrape of
 * 100k series would otherwise allocate as many, for the garbage collector to sweep).
 */
export function parseTextInto<T = unknown>(body: string, metadata: Map<string, MetricMetadata> | undefined, options: ParseOptions<T>, sink: SampleSink<T>): void {
  const known = options.knownSeries;
  const prev = options.previous;
  let lineNo = options.linesBefore ?? 0;
  let sampleNo = 0;
  for (let pos = 0; pos <= body.length; ) {
    const nl = body.indexOf('\n', pos);
    const lineEnd = nl === -1 ? body.length : nl;
    const lineStart = pos;
    pos = lineEnd + 1;
    lineNo++;
    // No `\r` is dropped: Prometheus refuses \r\n line ends (the `\r` ends up in the last token).
    const end = lineEnd;
    if (known !== undefined && end > lineStart) {
      if (fastSample(body, lineStart, end, known, prev?.series[sampleNo], prev?.cached[sampleNo], sink)) {
        sampleNo++;
        continue;
      }
    }
    const text = body.slice(lineStart, end);
    const c: LineCursor = new LineCursor(text, lineNo);
    c.skipSpaces(false);
    if (c.atEnd()) continue;
    if (c.peek() === '#') {
      readMetadataLine(c, metadata);
      continue;
    }
    // Prometheus takes blanks before a sample into its metric name, which is then invalid.
    if (c.pos > 0) c.fail('a sample line must not start with blanks');
    const start = c.pos;
    const name = c.metricName();
    if (name !== undefined) {
      // Blanks may separate the name from its label set (`name {a="b"} 1`).
      const afterName = c.pos;
      c.skipSpaces(false);
      if (c.peek() !== '{') c.pos = afterName;
    }
    if (c.peek() === '{') {
      const { labels, name: quoted } = c.labels(false);
      if (name === undefined && quoted === undefined) c.fail('missing metric name');
      if (Object.prototype.hasOwnProperty.call(labels, METRIC_NAME)) c.fail('label name "__name__" is not unique: the metric name is given twice');
    } else if (name === undefined) c.fail(`invalid metric name starting with ${JSON.stringify(c.peek())}`);
    const series = text.slice(start, c.pos);
    // After a label set the value may follow without a blank, as Prometheus's lexer reads it.
    if (c.peek() !== ' ' && c.peek() !== '\t' && !(series.endsWith('}') && !c.atEnd())) c.fail(`expected a blank after the series, got ${JSON.stringify(c.peek() || 'end of line')}`);
    c.skipSpaces(false);
    const valueText = c.token();
    const value = readPromFloat(valueText);
    if (!value.ok) c.fail(`invalid value ${JSON.stringify(valueText)}: ${value.reason}`);
    c.skipSpaces(false);
    let timestamp: number | undefined;
    if (!c.atEnd()) {
      const tsText = c.token();
      const ts = readTextTimestamp(tsText);
      if (!ts.ok) c.fail(`invalid timestamp ${JSON.stringify(tsText)}: ${ts.reason}`);
      timestamp = ts.value;
      c.skipSpaces(false);
      if (!c.atEnd()) c.fail(`unexpected ${JSON.stringify(text.slice(c.pos))} after the timestamp`);
    }
    sampleNo++;
    sink(series, value.value, timestamp, undefined);
  }
}

export { ExpositionError };
