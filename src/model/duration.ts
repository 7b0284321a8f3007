// Prometheus's duration text (model.Duration.String): the largest units that divide the value,
// e.g. `1m`, `15s`, `1h30m`, `500ms`, `2w`, `1y`.

const UNITS: [string, number][] = [
  ['y', 365 * 24 * 3600 * 1000],
  ['w', 7 * 24 * 3600 * 1000],
  ['d', 24 * 3600 * 1000],
  ['h', 3600 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
];

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.abs(ms);
  let out = ms < 0 ? '-' : '';
  // Years and weeks only when they divide the whole value, as Prometheus prints them.
  for (const [unit, size] of UNITS) {
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    if (rest >= size) {
      const q = Math.floor(rest / size);
      out += `${q}${unit}`;
      rest -= q * size;
    }
  }
  return out;
}

const UNIT_MS: Record<string, number> = Object.fromEntries(UNITS);

export interface DurationSyntax {
  /**
   * Prometheus's rules (model.ParseDuration): units in decreasing order, each at most once, and a
   * bare `0`. Without it any run of `<digits><unit>` is summed (`1m1m`, `1s1h`), which is what the
   * target builder and the UI accept.
   */
  strict: boolean;
}

/**
 * The one duration scanner: milliseconds, or undefined when `s` is not a duration under `syntax`.
 * Browser-safe (no node: imports): the UI bundle uses it too.
 */
export function scanDuration(s: string, syntax: DurationSyntax): number | undefined {
  if (syntax.strict && s === '0') return 0;
  const re = /(\d+)(ms|[ywdhms])/y;
  let total = 0;
  let pos = 0;
  let lastUnit = -1;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) return undefined;
    if (syntax.strict) {
      const unitIndex = UNITS.findIndex(([u]) => u === m[2]);
      if (unitIndex <= lastUnit) return undefined;
      lastUnit = unitIndex;
    }
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos += m[0].length;
  }
  return pos === 0 ? undefined : total;
}

/**
 * Parses Prometheus's duration syntax (`1h30m`, `500ms`, `2w`, `0`): units in decreasing order,
 * each at most once. Throws with the reason, e.g. `not a valid duration string: "5x"`.
 */
export function parsePromDuration(s: string): number {
  const ms = scanDuration(s, { strict: true });
  if (ms === undefined) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
  return ms;
}

/** Any run of `<digits><unit>` summed, in any order (`1m1m` is 2m); undefined when it is not one. */
export function parseLooseDuration(s: string): number | undefined {
  return scanDuration(s, { strict: false });
}
