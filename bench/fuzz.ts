// A seeded fuzzer for the HTTP API: requests built from PromQL fragments, corner numbers (1e20,
// NaN, Inf, 1e308, huge durations), unicode, empty and very long texts, prototype-looking names,
// over every query API endpoint's parameters. The same seed gives the same requests, so a failure
// found here is replayed exactly. Used by __test__/fuzz/ (a few thousand requests in `npm test`)
// and `npm run bench -- fuzz` (longer, against the server as a whole process, optionally next to
// Prometheus 2.42).

/** One API request: method, path (with query string) and, for POST, a form body. */
export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: string;
}

/** mulberry32: small, fast and good enough to spread inputs; fully determined by the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number): boolean => r() < p;

// Numbers where parsers and conversions break: overflow, NaN/Inf spellings, precision, signs.
const CORNER_NUMBERS = ['1e20', '-1e20', 'NaN', 'nan', 'Inf', '+Inf', '-Inf', 'infinity', '1e308', '-1e308', '1e-308', '0', '-0', '1.5', '.5', '5.', '1e-9', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '170000700000000', '1e15', '9.3e15', '0x10', '1_0', ' 1 ', '1e', 'e1', '--1', '99999999999999999999'];
const TIMES = ['1700000000', '1700000060.5', '1699999000', '2023-11-14T22:13:20Z', '2023-11-14T22:13:20.123+01:00', '9999-12-31T23:59:59Z', '2023-13-45T99:99:99Z', '292277025-08-18T07:12:54.999999999Z', '-292273086-05-16T16:47:06Z', '0001-01-01T00:00:00Z', 'now', 'yesterday'];
const DURATIONS = ['5m', '1m', '30s', '1h', '1ms', '0', '0s', '-1', '-5m', '15', '0.001', '1h30m', '30m1h', '1y', '292y', '293y', '99999999999y', '9223372036854775807ms', '1e308', 'NaN', 'Inf', '5x', 'm', '1.5m'];
const ODD_TEXTS = ['', ' ', '☃', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\u0000', '\uFFFD', 'é', '%', '"', "'", '`', '\\', '{{ .Value }}', '${process.exit()}', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '<script>alert(1)</script>', '\n', '\t', '\r\n'];
const METRICS = ['fuzz_gauge', 'fuzz_counter_total', 'up', 'nonexistent_metric', '__name__', 'on', 'offset', 'sum', 'inf', 'nan', 'by', 'bool'];
const LABEL_NAMES = ['job', 'instance', 'le', 'pod', '__name__', '__proto__', 'constructor', 'a_b', 'Ünïcode', 'U__a_2e_b', '0bad', ''];
const FUNCS_VECTOR = ['abs', 'ceil', 'floor', 'exp', 'ln', 'sqrt', 'round', 'sgn', 'timestamp', 'sort', 'sort_desc', 'absent', 'changes_not_a_function'];
const FUNCS_RANGE = ['rate', 'irate', 'increase', 'delta', 'deriv', 'avg_over_time', 'max_over_time', 'count_over_time', 'last_over_time', 'quantile_over_time', 'predict_linear', 'holt_winters', 'resets', 'absent_over_time', 'present_over_time', 'stddev_over_time'];
const AGGS = ['sum', 'avg', 'min', 'max', 'count', 'stddev', 'group', 'topk', 'bottomk', 'quantile', 'count_values', 'limitk'];
const BIN_OPS = ['+', '-', '*', '/', '%', '^', '==', '!=', '>', '<', '>=', '<=', 'and', 'or', 'unless', 'atan2', '== bool', '> bool'];
// Ranges and subquery steps stay small, so that one query stays cheap on a little data: heavy
// queries are the query limits' business, not this fuzzer's.
const SMALL_RANGES = ['1m', '5m', '10m', '1h', '30s'];
const SUBQUERY = ['[5m:1m]', '[10m:]', '[1h:5m]', '[2m:30s]', '[5m:1m] offset 1m'];

function quoted(r: Rand): string {
  const body = chance(r, 0.7) ? pick(r, ['a', '.*', '.+', 'fuzz', 'x|y', '(', '[', '\\\\d+', '☃', '']) : pick(r, ODD_TEXTS);
  const q = pick(r, ['"', "'", '`']);
  return q + body.replaceAll(q, '') + q;
}

function matchers(r: Rand): string {
  const n = Math.floor(r() * 3);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${pick(r, LABEL_NAMES)}${pick(r, ['=', '!=', '=~', '!~', '==', ''])}${quoted(r)}`);
  return out.join(pick(r, [',', ', ', ' ']));
}

function selector(r: Rand): string {
  const name = chance(r, 0.85) ? pick(r, METRICS) : '';
  const ms = chance(r, 0.5) ? `{${matchers(r)}}` : name === '' ? '{}' : '';
  return name + ms;
}

/** A modifier: mostly sane, sometimes a corner time or a huge duration (the parser's bounds checks). */
function modifiers(r: Rand): string {
  let s = '';
  if (chance(r, 0.15)) s += ` offset ${chance(r, 0.7) ? pick(r, DURATIONS) : pick(r, CORNER_NUMBERS)}`;
  if (chance(r, 0.1)) s += ` @ ${chance(r, 0.5) ? pick(r, CORNER_NUMBERS) : pick(r, ['start()', 'end()', '1700000000', '1700000060'])}`;
  return s;
}

/** A PromQL expression from fragments, `depth` levels deep. */
export function expr(r: Rand, depth = 3): string {
  const leaf = (): string => {
    const k = r();
    if (k < 0.55) return selector(r) + modifiers(r);
    if (k < 0.75) return pick(r, CORNER_NUMBERS.filter((n) => !/\s|_|^0x|e$|^e|--/.test(n)).concat(['1', '2.5', '-3']));
    if (k < 0.85) return quoted(r);
    return pick(r, ['time()', 'vector(1)', 'pi()', 'scalar(up)', 'step()', '1 + 1', '-(-1)']);
  };
  if (depth <= 0 || chance(r, 0.3)) return leaf();
  const k = r();
  const sub = (): string => expr(r, depth - 1);
  if (k < 0.2) return `${pick(r, FUNCS_RANGE)}(${selector(r)}[${chance(r, 0.9) ? pick(r, SMALL_RANGES) : pick(r, DURATIONS)}]${modifiers(r)})`;
  if (k < 0.3) return `${pick(r, FUNCS_VECTOR)}(${sub()})`;
  if (k < 0.45) {
    const param = ['topk', 'bottomk', 'quantile', 'limitk'];
    const agg = pick(r, AGGS);
    const grouping = chance(r, 0.4) ? ` ${pick(r, ['by', 'without'])} (${pick(r, LABEL_NAMES)})` : '';
    const first = param.includes(agg) ? `${pick(r, ['2', '0.5', 'NaN', '1e20', '-1', '"x"'])}, ` : agg === 'count_values' ? `${quoted(r)}, ` : '';
    return `${agg}${grouping}(${first}${sub()})`;
  }
  if (k < 0.7) {
    const matching = chance(r, 0.2) ? ` ${pick(r, ['on', 'ignoring'])}(${pick(r, LABEL_NAMES)})${chance(r, 0.3) ? ` ${pick(r, ['group_left', 'group_right'])}` : ''}` : '';
    return `${sub()} ${pick(r, BIN_OPS)}${matching} ${sub()}`;
  }
  if (k < 0.78) return `(${sub()})${chance(r, 0.5) ? pick(r, SUBQUERY) : ''}`;
  if (k < 0.84) return `max_over_time((${sub()})${pick(r, SUBQUERY)})`;
  if (k < 0.9) return `label_replace(${sub()}, ${quoted(r)}, ${quoted(r)}, ${quoted(r)}, ${quoted(r)})`;
  if (k < 0.95) return `histogram_quantile(${pick(r, ['0.9', 'NaN', '2', '-1'])}, ${sub()})`;
  return `${pick(r, ['-', '+', '!'])}${sub()}`;
}

/** A query: a generated expression, sometimes cut short, mutated, very long or not PromQL at all. */
export function query(r: Rand): string {
  let q = expr(r);
  const k = r();
  if (k < 0.1) q = q.slice(0, Math.floor(r() * q.length));
  else if (k < 0.2) {
    const i = Math.floor(r() * (q.length + 1));
    q = q.slice(0, i) + pick(r, ['(', ')', '[', ']', '{', '}', '"', ',', '@', 'offset', '#', '\\', '☃', ' ', '[5m]', '[1y:1y]']) + q.slice(i + 1);
  } else if (k < 0.23) q = pick(r, ODD_TEXTS);
  else if (k < 0.25) q = Array.from({ length: 200 + Math.floor(r() * 800) }, () => 'up').join(' or ');
  else if (k < 0.26) q = '('.repeat(2000) + 'up' + ')'.repeat(2000);
  else if (k < 0.27) q = `{job="${'x'.repeat(50_000)}"}`;
  return q;
}

/** A value for a time parameter: usually sane, often a corner, sometimes absent. */
function time(r: Rand): string | undefined {
  const k = r();
  if (k < 0.15) return undefined;
  if (k < 0.5) return pick(r, TIMES.slice(0, 4));
  if (k < 0.85) return pick(r, CORNER_NUMBERS);
  if (k < 0.95) return pick(r, TIMES);
  return pick(r, ODD_TEXTS);
}

function duration(r: Rand): string {
  return chance(r, 0.7) ? pick(r, DURATIONS) : pick(r, [...CORNER_NUMBERS, ...ODD_TEXTS]);
}

function limit(r: Rand): string {
  return pick(r, ['0', '1', '5', '-1', '1e20', '1.5', '99999999999999999999', '4294967296', 'abc', '', ' 2', '+3']);
}

function labelName(r: Rand): string {
  const k = r();
  if (k < 0.6) return pick(r, LABEL_NAMES);
  if (k < 0.7) return 'a'.repeat(3000);
  if (k < 0.8) return `U__${pick(r, ['_2e_', '__', '_zz_', '_110000_', '_d800_', '_', 'x_'])}`;
  return pick(r, ODD_TEXTS);
}

// Parameter names that look like JavaScript internals: they must stay plain names.
const PROTO_PARAMS = ['__proto__', 'constructor', '__proto__[polluted]', 'constructor[prototype][polluted]', 'toString', 'hasOwnProperty'];

function encode(params: [string, string | undefined][]): string {
  return params
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .join('&');
}

/**
 * encodeURIComponent, except that a lone surrogate (a cut in the middle of a pair) becomes its
 * 3-byte WTF-8 form: the server then receives bytes that are not valid UTF-8, a fuzz input too.
 */
function percentEncode(s: string): string {
  return s.replace(/[\uD800-\uDFFF]/g, (c, i: number) => {
    const code = c.charCodeAt(0);
    const paired = code < 0xdc00 ? /[\uDC00-\uDFFF]/.test(s[i + 1] ?? '') : /[\uD800-\uDBFF]/.test(s[i - 1] ?? '');
    if (paired) return c;
    return `\u0000WTF8${code.toString(16)}\u0000`;
  }).split('\u0000').map((part) => (part.startsWith('WTF8') ? wtf8(parseInt(part.slice(4), 16)) : encodeURIComponent(part))).join('');
}

function wtf8(code: number): string {
  const bytes = [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)];
  return bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
}

/** A request to one of the query API endpoints; every parameter may be absent, odd or repeated. */
export function request(r: Rand): FuzzRequest {
  const params: [string, string | undefined][] = [];
  const add = (k: string, v: string | undefined): void => {
    params.push([k, v]);
  };
  const k = r();
  let path: string;
  let methods: FuzzRequest['method'][] = ['GET', 'POST'];
  if (k < 0.3) {
    path = '/api/v1/query';
    add('query', query(r));
    add('time', time(r));
    if (chance(r, 0.2)) add('timeout', duration(r));
    if (chance(r, 0.1)) add('limit', limit(r));
    if (chance(r, 0.1)) add('lookback_delta', duration(r));
    if (chance(r, 0.05)) add('stats', pick(r, ['all', 'true', '']));
  } else if (k < 0.5) {
    path = '/api/v1/query_range';
    add('query', query(r));
    // Mostly a window of at most a few hundred steps; sometimes corners (refused or clamped).
    const start = 1_700_000_000 + Math.floor(r() * 600);
    const sane = chance(r, 0.6);
    add('start', sane ? String(start) : time(r));
    add('end', sane ? String(start + Math.floor(r() * 600)) : time(r));
    add('step', sane && chance(r, 0.8) ? pick(r, ['15', '30s', '1m', '60', '5m']) : duration(r));
    if (chance(r, 0.1)) add('timeout', duration(r));
  } else if (k < 0.6) {
    path = '/api/v1/series';
    const n = Math.floor(r() * 3);
    for (let i = 0; i < n; i++) add('match[]', chance(r, 0.8) ? selector(r) : query(r));
    add('start', time(r));
    add('end', time(r));
    if (chance(r, 0.3)) add('limit', limit(r));
  } else if (k < 0.68) {
    path = '/api/v1/labels';
    if (chance(r, 0.5)) add('match[]', selector(r));
    add('start', time(r));
    add('end', time(r));
    if (chance(r, 0.3)) add('limit', limit(r));
  } else if (k < 0.76) {
    methods = ['GET'];
    path = `/api/v1/label/${encodeURIComponent(labelName(r))}/values`;
    if (chance(r, 0.4)) add('match[]', selector(r));
    add('start', time(r));
    add('end', time(r));
    if (chance(r, 0.3)) add('limit', limit(r));
  } else if (k < 0.8) {
    methods = ['GET'];
    path = '/api/v1/status/tsdb';
    if (chance(r, 0.8)) add('limit', limit(r));
  } else if (k < 0.84) {
    methods = ['GET'];
    path = pick(r, ['/api/v1/metadata', '/api/v1/targets/metadata']);
    if (chance(r, 0.5)) add('metric', chance(r, 0.5) ? pick(r, METRICS) : pick(r, ODD_TEXTS));
    if (chance(r, 0.5)) add('limit', limit(r));
    if (chance(r, 0.3)) add('limit_per_metric', limit(r));
    if (chance(r, 0.3)) add('match_target', chance(r, 0.6) ? `{${matchers(r)}}` : query(r));
  } else if (k < 0.88) {
    path = '/api/v1/query_exemplars';
    add('query', query(r));
    add('start', time(r));
    add('end', time(r));
  } else if (k < 0.93) {
    path = '/api/v1/format_query';
    add('query', query(r));
  } else if (k < 0.97) {
    methods = ['POST', 'PUT'];
    path = '/api/v1/admin/tsdb/delete_series';
    // Only the scratch metric (or nothing, or garbage): the fuzz keeps its data to query.
    const n = Math.floor(r() * 2.5);
    for (let i = 0; i < n; i++) add('match[]', chance(r, 0.7) ? `fuzz_scratch${chance(r, 0.5) ? `{${matchers(r)}}` : ''}` : pick(r, ['{', '', '☃', '{__name__=~".*"}', 'fuzz_scratch @ 1e20']));
    add('start', time(r));
    add('end', time(r));
  } else {
    methods = ['GET'];
    path = pick(r, ['/api/v1/targets', '/api/v1/rules', '/api/v1/alerts', '/api/v1/status/buildinfo', '/api/v1/status/flags']);
    if (chance(r, 0.5)) add(pick(r, ['state', 'scrapePool', 'type', 'rule_name[]']), pick(r, ['active', 'dropped', 'any', 'bogus', ...ODD_TEXTS]));
  }
  if (chance(r, 0.05)) add(pick(r, PROTO_PARAMS), pick(r, ['1', 'x', ...ODD_TEXTS]));
  // A repeated parameter: the last value counts, as in Go's FormValue.
  if (params.length > 0 && chance(r, 0.05)) params.push(pick(r, params));
  const method = pick(r, methods);
  const text = encode(params);
  if (method === 'GET') return { method, path: text === '' ? path : `${path}?${text}` };
  return chance(r, 0.8) ? { method, path, body: text } : { method, path: `${path}?${text}`, body: '' };
}

/** What a response broke, if anything: a 5xx, or a body that is not the API's JSON envelope. */
export function problem(status: number, contentType: string, text: string, timeoutGiven = false): string | undefined {
  // A request with its own `timeout` (1ms, 0, -1: Prometheus answers 503 to those too) may time out.
  if (status === 503 && timeoutGiven && /"errorType":"timeout"/.test(text)) return undefined;
  if (status >= 500) return `status ${status}: ${text.slice(0, 300)}`;
  if (status === 204) return text === '' ? undefined : 'a body with 204';
  if (status === 404 && !contentType.includes('json')) return undefined; // no such route (e.g. an empty label name)
  if (!contentType.includes('application/json')) return `content type ${contentType} (status ${status})`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `invalid JSON (status ${status}): ${text.slice(0, 200)}`;
  }
  if (body === null || typeof body !== 'object') return 'not an object';
  const env = body as { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown };
  if (status < 300) return env.status === 'success' && 'data' in env ? undefined : `status ${status} without a success envelope: ${text.slice(0, 200)}`;
  if (env.status !== 'error' || typeof env.errorType !== 'string' || typeof env.error !== 'string') return `status ${status} without an error envelope: ${text.slice(0, 200)}`;
  if (status === 400 && env.errorType !== 'bad_data') return `400 with errorType ${String(env.errorType)}`;
  return undefined;
}

export interface FuzzResult {
  status: number;
  problem?: string;
}

/** Sends one request; never throws (a refused connection or a timeout is a problem to report). */
export async function send(base: string, req: FuzzRequest, timeoutMs = 30_000): Promise<FuzzResult> {
  try {
    const res = await fetch(base + req.path, {
      method: req.method,
      ...(req.body !== undefined ? { body: req.body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const p = problem(res.status, res.headers.get('content-type') ?? '', text, /(^|[?&])timeout=/.test(req.path) || /(^|&)timeout=/.test(req.body ?? ''));
    return p === undefined ? { status: res.status } : { status: res.status, problem: p };
  } catch (e) {
    return { status: 0, problem: `no answer: ${(e as Error).message}` };
  }
}

/** The little data the fuzz server holds: a gauge and a counter over 10 minutes, and a scratch metric to delete. */
export function fuzzSamples(): { labels: Record<string, string>; t: number; v: number }[] {
  const out: { labels: Record<string, string>; t: number; v: number }[] = [];
  const t0 = 1_700_000_000_000;
  for (let i = 0; i <= 40; i++) {
    const t = t0 + i * 15_000;
    for (const job of ['a', 'b']) {
      out.push({ labels: { __name__: 'fuzz_gauge', job, instance: 'i1' }, t, v: Math.sin(i) * 10 });
      out.push({ labels: { __name__: 'fuzz_counter_total', job, instance: 'i1' }, t, v: i * 3 });
      out.push({ labels: { __name__: 'fuzz_scratch', job, instance: 'i1' }, t, v: i });
    }
    out.push({ labels: { __name__: 'fuzz_bucket', le: String(2 ** (i % 4)), job: 'a' }, t, v: i % 4 });
  }
  return out;
}
