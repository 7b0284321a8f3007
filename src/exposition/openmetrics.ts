// OpenMetrics 1.0 text format: strict syntax (single spaces, `# EOF`, no blank lines) and the
// whole-exposition checks of the specification: metric families and their sample names,
// metadata before samples, grouping, counter and histogram values, exemplars.
import type { Labels } from '../model/labels.js';
import { copyLabels, labelsKey, METRIC_NAME, newLabels } from '../model/labels.js';
import { ExpositionError, LineCursor } from './lexer.js';
import { parseOmFloat, readOpenMetricsTimestamp, readPromFloat } from './numbers.js';
import type { NumberVerdict } from './numbers.js';
import type { MetricMetadata, MetricType, ParsedExemplar, ParsedSample } from './text.js';

const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown']);

/** The sample-name suffixes each family type allows. */
const SUFFIXES: Record<MetricType, string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['', '_count', '_sum', '_created'],
  info: ['_info'],
  stateset: [''],
  unknown: [''],
};

interface HistogramGroup {
  buckets: { le: number; value: number }[];
  count?: number;
  sum?: number;
  gcount?: number;
  gsum?: number;
}

interface Family {
  name: string;
  type: MetricType;
  help?: string;
  unit?: string;
  hasSamples: boolean;
  /** Label groups (labels without le/quantile) seen, and the current one. */
  groups: Set<string>;
  currentGroup?: string;
  histograms: Map<string, HistogramGroup>;
}

function suffixOf(f: Family, sampleName: string): string | undefined {
  for (const s of SUFFIXES[f.type]) if (sampleName === f.name + s) return s;
  return undefined;
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : c === '"' ? '"' : `\\${c}`));
}

function codePoints(s: string): number {
  return [...s].length;
}

export interface OpenMetricsOptions {
  /**
   * Validate the whole exposition against the OpenMetrics 1.0 specification (families, values,
   * histogram structure, grouping). Off for scraping: there we accept what Prometheus accepts, so
   * a target that works with Prometheus works with us.
   */
  strict?: boolean;
  /**
   * Read `_created` samples as the start timestamps of their counter, histogram or summary
   * samples (`start`, ms) instead of yielding them (Prometheus's st-storage).
   */
  startTimestamps?: boolean;
  /** Attach each sample's exemplar (`exemplar`) for exemplar storage. */
  exemplars?: boolean;
}

/** Families whose `_created` sample is the start of the group's other samples. */
const HAS_CREATED = new Set<MetricType>(['counter', 'histogram', 'summary']);

export function* parseOpenMetrics(body: string, metadata?: Map<string, MetricMetadata>, options: OpenMetricsOptions = {}): Generator<ParsedSample> {
  const strict = options.strict ?? false;
  const lines = body.split('\n');
  // The body ends with "# EOF" and optionally one newline.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0 || lines[lines.length - 1] !== '# EOF') throw new ExpositionError(lines.length, 'data does not end with # EOF');
  const families = new Map<string, Family>();
  const usedNames = new Set<string>();
  let current: Family | undefined;
  const lastTs = new Map<string, number | null>();
  // With startTimestamps: the current group's samples, held back until its `_created` is known.
  let held: ParsedSample[] = [];
  let heldGroup: string | undefined;
  let created: number | undefined;
  const release = (): ParsedSample[] => {
    const out = held;
    if (created !== undefined) for (const s of out) s.start = created;
    held = [];
    heldGroup = undefined;
    created = undefined;
    return out;
  };

  const finishFamily = (f: Family | undefined, line: number): void => {
    if (!f || !strict) return;
    if (f.type !== 'histogram' && f.type !== 'gaugehistogram') return;
    for (const [, h] of f.histograms) checkHistogram(f, h, line);
  };

  const startFamily = (name: string, type: MetricType, line: number): Family => {
    if (strict && (families.has(name) || usedNames.has(name))) throw new ExpositionError(line, `metric family ${JSON.stringify(name)} appears more than once or clashes with another family's samples`);
    finishFamily(current, line);
    const f: Family = { name, type, hasSamples: false, groups: new Set(), histograms: new Map() };
    families.set(name, f);
    for (const s of SUFFIXES[type]) {
      if (strict && s !== '' && families.has(name + s)) throw new ExpositionError(line, `metric family ${JSON.stringify(name)} clashes with family ${JSON.stringify(name + s)}`);
      usedNames.add(name + s);
    }
    current = f;
    return f;
  };

  for (let i = 0; i < lines.length - 1; i++) {
    const text = lines[i]!;
    const lineNo = i + 1;
    if (text === '') throw new ExpositionError(lineNo, 'blank lines are not allowed');
    const c: LineCursor = new LineCursor(text, lineNo);
    if (text.startsWith('#')) {
      const m = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(text);
      if (!m) {
        if (text === '# EOF') c.fail('content after # EOF');
        c.fail(`invalid metadata or comment line ${JSON.stringify(text.slice(0, 40))}`);
      }
      const kw = m[1]!;
      const name = m[2]!;
      const rest = m[3];
      let f = families.get(name);
      if (!f || f !== current) {
        if (f && strict) c.fail(`metadata for ${JSON.stringify(name)} after its samples or another family`);
        f = startFamily(name, 'unknown', lineNo);
      }
      if (f.hasSamples && strict) c.fail(`${kw} for ${JSON.stringify(name)} after its samples`);
      if (kw === 'TYPE') {
        if (rest === undefined || !TYPES.has(rest as MetricType)) c.fail(`invalid metric type ${JSON.stringify(rest ?? '')}`);
        if (strict && (f as Family & { typed?: boolean }).typed) c.fail(`second TYPE line for ${JSON.stringify(name)}`);
        (f as Family & { typed?: boolean }).typed = true;
        f.type = rest as MetricType;
        for (const s of SUFFIXES[f.type]) {
          if (strict && s !== '' && families.has(name + s)) c.fail(`metric family ${JSON.stringify(name)} clashes with family ${JSON.stringify(name + s)}`);
          usedNames.add(name + s);
        }
      } else if (kw === 'HELP') {
        if (rest === undefined) c.fail('HELP without text');
        if (strict && f.help !== undefined) c.fail(`second HELP line for ${JSON.stringify(name)}`);
        f.help = unescapeHelp(rest);
      } else {
        if (rest === undefined) c.fail('UNIT without a unit');
        if (strict && f.unit !== undefined) c.fail(`second UNIT line for ${JSON.stringify(name)}`);
        if (strict && rest !== '' && (f.type === 'info' || f.type === 'stateset')) c.fail(`${f.type} metrics cannot have a unit`);
        if (rest !== '' && !name.endsWith(`_${rest}`)) c.fail(`unit ${JSON.stringify(rest)} is not a suffix of the metric name ${JSON.stringify(name)}`);
        f.unit = rest;
      }
      if (metadata) metadata.set(name, { type: f.type, help: f.help ?? '', unit: f.unit ?? '' });
      continue;
    }

    // A sample: name{labels} value [timestamp] [# {labels} value [timestamp]]
    const start = c.pos;
    const sampleName = c.metricName();
    let labels = newLabels();
    if (c.peek() === '{') {
      const r = c.labels(true);
      labels = r.labels;
      if (r.name !== undefined) c.fail('quoted metric names are not part of OpenMetrics 1.0');
      // Prometheus refuses the sample ("label name "__name__" is not unique").
      if (Object.prototype.hasOwnProperty.call(labels, METRIC_NAME)) c.fail('label name "__name__" is not unique: the metric name is given twice');
    }
    if (sampleName === undefined) c.fail(`invalid metric name starting with ${JSON.stringify(c.peek())}`);
    const series = text.slice(start, c.pos);
    if (c.peek() !== ' ') c.fail(`expected a single space before the value, got ${JSON.stringify(c.peek() || 'end of line')}`);
    c.pos++;
    const valueText = c.token();
    const value = readValue(c, valueText, strict, 'value');
    let timestamp: number | undefined;
    let exemplar = false;
    if (c.peek() === ' ') {
      c.pos++;
      if (c.peek() === '#') exemplar = true;
      else {
        timestamp = readTimestamp(c, c.token(), strict, 'timestamp');
        if (c.peek() === ' ') {
          c.pos++;
          if (c.peek() !== '#') c.fail(`unexpected ${JSON.stringify(text.slice(c.pos))} after the timestamp`);
          exemplar = true;
        }
      }
    }
    if (!exemplar && !c.atEnd()) c.fail(`unexpected ${JSON.stringify(text.slice(c.pos))} at the end of the sample`);

    // Which family the sample belongs to.
    let f = current;
    let suffix = f ? suffixOf(f, sampleName) : undefined;
    if (!f || suffix === undefined) {
      const existing = strict ? [...families.values()].find((x) => suffixOf(x, sampleName) !== undefined) : undefined;
      if (existing) c.fail(`sample ${JSON.stringify(sampleName)} of family ${JSON.stringify(existing.name)} is not grouped with its family`);
      f = startFamily(sampleName, 'unknown', lineNo);
      suffix = '';
    }
    f.hasSamples = true;

    let parsedExemplar: ParsedExemplar | undefined;
    if (exemplar) {
      // Prometheus allows exemplars on samples named *_total or *_bucket, whatever the type.
      if (!strict && !/(_total|_bucket)$/.test(sampleName)) c.fail(`metric name ${sampleName} does not support exemplars`);
      parsedExemplar = parseExemplar(c, f, suffix, strict);
    }

    // Grouping: the label sets of a family (without le/quantile) must not interleave.
    const groupLabels = copyLabels(labels);
    delete groupLabels['le'];
    if (f.type === 'summary') delete groupLabels['quantile'];
    const group = labelsKey(groupLabels);
    if (group !== f.currentGroup) {
      if (strict && f.groups.has(group)) c.fail(`samples of ${JSON.stringify(f.name)} with labels ${series} are not grouped together`);
      f.groups.add(group);
      f.currentGroup = group;
    }

    // Timestamps: per series, never backwards, and either always or never present.
    const key = sampleName + '\x00' + labelsKey(labels);
    const prev = lastTs.get(key);
    if (prev !== undefined && strict) {
      if ((prev === null) !== (timestamp === undefined)) c.fail(`series ${series} mixes samples with and without timestamps`);
      if (prev !== null && timestamp !== undefined && timestamp < prev) c.fail(`timestamp of ${series} goes backwards`);
    }
    lastTs.set(key, timestamp ?? null);

    if (strict) checkValue(c, f, suffix, labels, value);

    const sample: ParsedSample = timestamp === undefined ? { series, value } : { series, value, timestamp };
    if (parsedExemplar && options.exemplars) sample.exemplar = parsedExemplar;
    if (!options.startTimestamps) {
      yield sample;
      continue;
    }
    const groupId = f.name + '\x00' + group;
    if (heldGroup !== undefined && heldGroup !== groupId) yield* release();
    if (!HAS_CREATED.has(f.type)) {
      yield sample;
      continue;
    }
    heldGroup = groupId;
    // A `_created` that is not a finite time (NaN, ±Inf) gives no start timestamp.
    if (suffix === '_created') created = Number.isFinite(value) ? Math.round(value * 1000) : undefined;
    else held.push(sample);
  }
  yield* release();
  finishFamily(current, lines.length);
}

function checkValue(c: LineCursor, f: Family, suffix: string, labels: Labels, value: number): void {
  const nonNegative = (what: string): void => {
    if (Number.isNaN(value) || value < 0) c.fail(`${what} must be a non-negative number, got ${value}`);
  };
  switch (f.type) {
    case 'counter':
      if (suffix === '_total') nonNegative('a counter value');
      break;
    case 'info':
      if (value !== 1) c.fail(`info metric values must be 1, got ${value}`);
      break;
    case 'stateset':
      if (value !== 0 && value !== 1) c.fail(`stateset values must be 0 or 1, got ${value}`);
      if (labels[f.name] === undefined) c.fail(`stateset sample without the ${JSON.stringify(f.name)} label`);
      break;
    case 'summary':
      if (suffix === '_count' || suffix === '_sum') nonNegative(`summary ${suffix}`);
      if (suffix === '') {
        const q = labels['quantile'];
        if (q === undefined) c.fail('summary quantile sample without a quantile label');
        const qv = parseOmFloat(q);
        if (qv === undefined || Number.isNaN(qv) || qv < 0 || qv > 1) c.fail(`invalid quantile ${JSON.stringify(q)}`);
        // NaN means "no observations yet".
        if (value < 0) c.fail(`a summary quantile value must not be negative, got ${value}`);
      }
      break;
    case 'histogram':
    case 'gaugehistogram': {
      const groupLabels = copyLabels(labels);
      delete groupLabels['le'];
      const key = labelsKey(groupLabels);
      let h = f.histograms.get(key);
      if (!h) f.histograms.set(key, (h = { buckets: [] }));
      if (suffix === '_bucket') {
        const leText = labels['le'];
        if (leText === undefined) c.fail('histogram bucket without an le label');
        const le = parseOmFloat(leText);
        if (le === undefined || Number.isNaN(le) || leText === '+INF' || leText === 'Inf' || leText === 'inf' || leText === '+inf') c.fail(`invalid le ${JSON.stringify(leText)}`);
        nonNegative('a bucket value');
        const last = h.buckets[h.buckets.length - 1];
        if (last && le <= last.le) c.fail('histogram buckets out of order');
        if (last && value < last.value) c.fail('histogram bucket values decrease');
        h.buckets.push({ le, value });
      } else if (suffix === '_count' || suffix === '_gcount') {
        nonNegative(`histogram ${suffix}`);
        if (suffix === '_count') h.count = value;
        else h.gcount = value;
      } else if (suffix === '_sum' || suffix === '_gsum') {
        if (Number.isNaN(value)) c.fail(`histogram ${suffix} must not be NaN`);
        if (suffix === '_sum') h.sum = value;
        else h.gsum = value;
      }
      break;
    }
    default:
      break;
  }
}

function checkHistogram(f: Family, h: HistogramGroup, line: number): void {
  const fail = (d: string): never => {
    throw new ExpositionError(line, `histogram ${JSON.stringify(f.name)}: ${d}`);
  };
  const hasNegative = h.buckets.some((b) => b.le < 0);
  const sum = f.type === 'histogram' ? h.sum : h.gsum;
  const count = f.type === 'histogram' ? h.count : h.gcount;
  if (h.buckets.length === 0) {
    if (sum !== undefined || count !== undefined) fail('sum or count without buckets');
    return;
  }
  if (h.buckets[h.buckets.length - 1]!.le !== Infinity) fail('no +Inf bucket');
  if ((sum === undefined) !== (count === undefined)) fail('sum and count must come together');
  if (count !== undefined && count !== h.buckets[h.buckets.length - 1]!.value) fail('count differs from the +Inf bucket');
  if (f.type === 'histogram' && hasNegative && sum !== undefined) fail('sum with negative buckets');
  if (f.type === 'gaugehistogram' && sum !== undefined && sum < 0 && !hasNegative) fail('negative gsum without negative buckets');
}

function parseExemplar(c: LineCursor, f: Family, suffix: string, strict: boolean): ParsedExemplar {
  const allowed = (f.type === 'counter' && suffix === '_total') || ((f.type === 'histogram' || f.type === 'gaugehistogram') && suffix === '_bucket');
  if (strict && !allowed) c.fail(`exemplars are not allowed on ${f.type} samples${suffix ? ` (${suffix})` : ''}`);
  // "# {labels} value [timestamp]"
  if (c.text.slice(c.pos, c.pos + 2) !== '# ') c.fail('exemplar must start with "# "');
  c.pos += 2;
  if (c.peek() !== '{') c.fail('exemplar without a label set');
  const { labels, name } = c.labels(true);
  if (name !== undefined) c.fail('invalid exemplar labels');
  let length = 0;
  for (const [k, v] of Object.entries(labels)) length += codePoints(k) + codePoints(v);
  if (strict && length > 128) c.fail(`exemplar labels are ${length} characters long, more than 128`);
  if (c.peek() !== ' ') c.fail('expected a single space before the exemplar value');
  c.pos++;
  const value = readValue(c, c.token(), strict, 'exemplar value');
  if (c.atEnd()) return { labels, value };
  if (c.peek() !== ' ') c.fail('unexpected text after the exemplar value');
  c.pos++;
  const timestamp = readTimestamp(c, c.token(), strict, 'exemplar timestamp');
  if (!c.atEnd()) c.fail('unexpected text after the exemplar');
  return { labels, value, timestamp };
}

function verdictOrFail(c: LineCursor, v: NumberVerdict, text: string, what: string): number {
  if (!v.ok) c.fail(`invalid ${what} ${JSON.stringify(text)}: ${v.reason}`);
  return v.value;
}

/** A value: as the specification writes numbers (strict), or as Prometheus 2.42 reads them (scraping). */
function readValue(c: LineCursor, text: string, strict: boolean, what: string): number {
  if (!strict) return verdictOrFail(c, readPromFloat(text), text, what);
  const v = parseOmFloat(text);
  return verdictOrFail(c, v === undefined ? { ok: false, reason: 'not an OpenMetrics number' } : { ok: true, value: v }, text, what);
}

/** A timestamp in seconds, returned in milliseconds (see readOpenMetricsTimestamp for scraping). */
function readTimestamp(c: LineCursor, text: string, strict: boolean, what: string): number {
  if (!strict) return verdictOrFail(c, readOpenMetricsTimestamp(text), text, what);
  const v = parseOmFloat(text);
  if (v === undefined || !Number.isFinite(v)) c.fail(`invalid ${what} ${JSON.stringify(text)}: not a finite OpenMetrics number`);
  return Math.round(v * 1000);
}
