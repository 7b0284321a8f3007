// Go's time.ParseDuration, for flags that node_exporter declares as durations (`3.46608s`, `1ms`,
// `1h30m`): signed, fractional, units ns, us (µs), ms, s, m, h. Prometheus's own duration syntax
// (model/duration.ts) has no fractions and different units, so it cannot read these.

const UNIT_NS: ReadonlyMap<string, number> = new Map([
  ['ns', 1], ['us', 1e3], ['µs', 1e3], ['μs', 1e3], ['ms', 1e6], ['s', 1e9], ['m', 60e9], ['h', 3600e9],
]);

/** Nanoseconds; throws `time: invalid duration "x"` as Go does. */
export function parseGoDuration(s: string): number {
  const invalid = (): Error => new Error(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let total = 0;
  const part = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (m === null || (m[1] === '' && (m[2] ?? '') === '')) throw invalid();
    total += Number(`${m[1] || '0'}.${m[2] ?? ''}0`) * UNIT_NS.get(m[3]!)!;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}
