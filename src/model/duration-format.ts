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
