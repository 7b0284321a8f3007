// The Prometheus text format 0.0.4 (and its 3.x quoted-name form), as leniently as Prometheus
// reads it: blanks between tokens, unknown comments ignored, an optional integer timestamp in ms.
import type { Labels } from '../model/labels.js';
import { ExpositionError, LineCursor, parseGoFloat } from './lexer.js';

export interface ParsedSample {
  /** The series exactly as written (`name{a="b"}`): the scrape cache key. */
  series: string;
  value: number;
  /** Milliseconds, when the line had a timestamp. */
  timestamp?: number;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

export interface MetricMetadata {
  type: MetricType;
  help: string;
  unit: string;
}

const TEXT_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function splitLines(body: string): string[] {
  return body.split('\n');
}

/** Parses one series text (`name{...}` or `{"name", ...}`) into labels with __name__. */
export function parseSeriesText(series: string, line = 0): Labels {
  const c: LineCursor = new LineCursor(series, line);
  const name = c.metricName();
  let labels: Labels = {};
  let quotedName: string | undefined;
  if (c.peek() === '{') ({ labels, name: quotedName } = c.labels(false));
  const metric = name ?? quotedName;
  if (metric === undefined || metric === '') c.fail('missing metric name');
  return { __name__: metric, ...labels };
}

/** Parses a text-format body; `metadata` collects TYPE and HELP per metric family. */
export function* parseText(body: string, metadata?: Map<string, MetricMetadata>): Generator<ParsedSample> {
  const lines = splitLines(body);
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i]!;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const lineNo = i + 1;
    const c: LineCursor = new LineCursor(text, lineNo);
    c.skipSpaces(false);
    if (c.atEnd()) continue;
    if (c.peek() === '#') {
      c.pos++;
      c.skipSpaces(false);
      const kw = c.token();
      if (kw !== 'HELP' && kw !== 'TYPE') continue; // other comments are ignored
      c.skipSpaces(false);
      const name = c.peek() === '"' ? c.quoted() : c.metricName();
      if (name === undefined) c.fail(`invalid metric name in ${kw} line`);
      c.skipSpaces(false);
      const rest = text.slice(c.pos);
      const m = metadata?.get(name) ?? { type: 'unknown' as MetricType, help: '', unit: '' };
      if (kw === 'TYPE') {
        const t = rest.trim();
        if (!TEXT_TYPES.has(t)) c.fail(`invalid metric type ${JSON.stringify(t)}`);
        m.type = t === 'untyped' ? 'unknown' : (t as MetricType);
      } else m.help = rest.replace(/\\\\/g, '\\').replace(/\\n/g, '\n');
      metadata?.set(name, m);
      continue;
    }
    const start = c.pos;
    const name = c.metricName();
    if (c.peek() === '{') {
      const { name: quoted } = c.labels(false);
      if (name === undefined && quoted === undefined) c.fail('missing metric name');
    } else if (name === undefined) c.fail(`invalid metric name starting with ${JSON.stringify(c.peek())}`);
    const series = text.slice(start, c.pos);
    if (c.peek() !== ' ' && c.peek() !== '\t') c.fail(`expected a blank after the series, got ${JSON.stringify(c.peek() || 'end of line')}`);
    c.skipSpaces(false);
    const valueText = c.token();
    const value = parseGoFloat(valueText);
    if (value === undefined) c.fail(`invalid value ${JSON.stringify(valueText)}`);
    c.skipSpaces(false);
    let timestamp: number | undefined;
    if (!c.atEnd()) {
      const tsText = c.token();
      if (!/^-?\d+$/.test(tsText)) c.fail(`invalid timestamp ${JSON.stringify(tsText)}`);
      timestamp = Number(tsText);
      c.skipSpaces(false);
      if (!c.atEnd()) c.fail(`unexpected ${JSON.stringify(text.slice(c.pos))} after the timestamp`);
    }
    yield timestamp === undefined ? { series, value } : { series, value, timestamp };
  }
}

export { ExpositionError };
