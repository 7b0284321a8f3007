// A seeded fuzzer for the Alertmanager's API v2: alert and silence bodies mutated from valid ones
// (wrong JSON types, nesting, missing and extra fields, broken dates and regexes, prototype-looking
// names as label names and as JSON keys, unicode, long texts, broken JSON), and the GET endpoints'
// filters. The same seed gives the same requests. Used by __test__/fuzz/ in `npm test`.
import { prng } from './fuzz.js';

export { prng };

export interface AmFuzzRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: string;
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number): boolean => r() < p;

const NAMES = ['alertname', 'job', 'instance', 'severity', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'ünï', '0bad', 'a-b', 'a.b', '__name__'];
const TEXTS = ['x', '', 'InstanceDown', 'critical', '☃', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\u0000', '"', '\\', '{{ .Labels }}', '{{ call (index . "constructor") }}', '<script>', '\n', 'a'.repeat(300)];
const DATES = ['2023-11-14T22:13:20Z', '2023-11-14T22:13:20.123+01:00', '9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '2023-13-45T99:99:99Z', 'now', '', '1700000000', '1e20'];
const REGEXES = ['.*', '.+', 'a|b', '(', '[', '\\d+', '(?i)x', 'x{2,3}', '☃', '\\', '(?P<n>x)', '(?=x)'];
// Values of any JSON type, for fields that want strings, booleans, arrays or objects.
function anyValue(r: Rand, depth = 0): unknown {
  switch (Math.floor(r() * 9)) {
    case 0:
      return pick(r, [0, 1, -1, 1e308, 1.5, Number.MAX_SAFE_INTEGER]);
    case 1:
      return chance(r, 0.5);
    case 2:
      return null;
    case 3:
      return depth < 3 ? [anyValue(r, depth + 1), anyValue(r, depth + 1)] : [];
    case 4:
      return depth < 3 ? { [pick(r, NAMES)]: anyValue(r, depth + 1) } : {};
    case 5:
      return pick(r, DATES);
    default:
      return pick(r, TEXTS);
  }
}

function labelSet(r: Rand): Record<string, unknown> {
  // JSON text, not an object literal: a `__proto__` key must reach the server as a key.
  const entries: [string, unknown][] = [['alertname', pick(r, TEXTS)]];
  for (let i = Math.floor(r() * 4); i > 0; i--) entries.push([pick(r, NAMES), chance(r, 0.85) ? pick(r, TEXTS) : anyValue(r)]);
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

function alert(r: Rand): Record<string, unknown> {
  const a: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  a['labels'] = chance(r, 0.9) ? labelSet(r) : anyValue(r);
  if (chance(r, 0.6)) a['annotations'] = chance(r, 0.85) ? labelSet(r) : anyValue(r);
  if (chance(r, 0.5)) a['startsAt'] = chance(r, 0.8) ? new Date(Date.now() - r() * 3600_000).toISOString() : anyValue(r);
  if (chance(r, 0.4)) a['endsAt'] = chance(r, 0.8) ? new Date(Date.now() + (r() - 0.3) * 3600_000).toISOString() : anyValue(r);
  if (chance(r, 0.3)) a['generatorURL'] = chance(r, 0.6) ? 'http://prometheus/graph' : anyValue(r);
  if (chance(r, 0.1)) a[pick(r, NAMES)] = anyValue(r);
  return a;
}

function matcher(r: Rand): Record<string, unknown> {
  const isRegex = chance(r, 0.4);
  const m: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  m['name'] = chance(r, 0.9) ? pick(r, NAMES) : anyValue(r);
  m['value'] = chance(r, 0.9) ? (isRegex ? pick(r, REGEXES) : pick(r, TEXTS)) : anyValue(r);
  m['isRegex'] = chance(r, 0.9) ? isRegex : anyValue(r);
  if (chance(r, 0.5)) m['isEqual'] = chance(r, 0.9) ? chance(r, 0.7) : anyValue(r);
  return m;
}

function silence(r: Rand): Record<string, unknown> {
  const s: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (chance(r, 0.95)) s['matchers'] = chance(r, 0.9) ? Array.from({ length: Math.floor(r() * 3) + (chance(r, 0.9) ? 1 : 0) }, () => matcher(r)) : anyValue(r);
  if (chance(r, 0.95)) s['startsAt'] = chance(r, 0.8) ? new Date(Date.now() - r() * 60_000).toISOString() : anyValue(r);
  if (chance(r, 0.95)) s['endsAt'] = chance(r, 0.8) ? new Date(Date.now() + r() * 7200_000).toISOString() : anyValue(r);
  if (chance(r, 0.9)) s['createdBy'] = chance(r, 0.9) ? pick(r, TEXTS) : anyValue(r);
  if (chance(r, 0.9)) s['comment'] = chance(r, 0.9) ? pick(r, TEXTS) : anyValue(r);
  if (chance(r, 0.1)) s['id'] = chance(r, 0.5) ? '00000000-0000-0000-0000-000000000000' : anyValue(r);
  return s;
}

/** JSON text, sometimes broken (cut, doubled, not JSON at all). */
function body(r: Rand, value: unknown): string {
  const text = JSON.stringify(value);
  switch (Math.floor(r() * 12)) {
    case 0:
      return text.slice(0, Math.floor(r() * text.length));
    case 1:
      return pick(r, ['', 'null', '[]', '{}', '"x"', '1', 'not json', '[null]', '{"__proto__":{"polluted":1}}', '[{"labels":{"__proto__":{"polluted":1}}}]']);
    default:
      return text;
  }
}

const FILTERS = ['active', 'silenced', 'inhibited', 'unprocessed'];

export function amRequest(r: Rand): AmFuzzRequest {
  const k = r();
  if (k < 0.4) return { method: 'POST', path: '/api/v2/alerts', body: body(r, chance(r, 0.9) ? Array.from({ length: 1 + Math.floor(r() * 3) }, () => alert(r)) : alert(r)) };
  if (k < 0.7) return { method: 'POST', path: '/api/v2/silences', body: body(r, silence(r)) };
  if (k < 0.8) {
    const params = new URLSearchParams();
    for (let i = Math.floor(r() * 3); i > 0; i--) params.append(chance(r, 0.7) ? 'filter' : pick(r, [...FILTERS, 'receiver', pick(r, NAMES)]), chance(r, 0.6) ? `${pick(r, NAMES)}${pick(r, ['=', '!=', '=~', '!~', ''])}"${pick(r, chance(r, 0.5) ? REGEXES : TEXTS)}"` : JSON.stringify(anyValue(r)));
    return { method: 'GET', path: `${pick(r, ['/api/v2/alerts', '/api/v2/alerts/groups', '/api/v2/silences'])}?${params}` };
  }
  if (k < 0.9) return { method: pick(r, ['GET', 'DELETE'] as const), path: `/api/v2/silence/${encodeURIComponent(pick(r, ['00000000-0000-0000-0000-000000000000', 'x', '', '..%2F..', '__proto__', 'constructor', 'a'.repeat(200)]))}` };
  return { method: 'GET', path: pick(r, ['/api/v2/status', '/api/v2/receivers', '/api/v2/alerts/groups', '/api/v2/silences']) };
}

/** What is wrong with an answer, if anything: a 5xx, or a body that is not the API's JSON. */
export function amProblem(status: number, text: string): string | undefined {
  if (status >= 500) return `status ${status}: ${text.slice(0, 300)}`;
  if (text === '') return undefined;
  try {
    JSON.parse(text);
  } catch {
    return `not JSON (${status}): ${text.slice(0, 200)}`;
  }
  return undefined;
}
