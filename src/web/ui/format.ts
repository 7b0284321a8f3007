// Number, time and colour helpers of the UI with no DOM: short SI values for axes (`150M`, `1.5k`,
// `500m`), evaluation durations with sub-millisecond granularity, 24-hour times, and WCAG contrast
// (so the graph's colours are checked, not guessed). Pure, so node tests cover them directly.

const SI_PREFIXES: [number, string][] = [
  [1e24, 'Y'],
  [1e21, 'Z'],
  [1e18, 'E'],
  [1e15, 'P'],
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
  [1e-3, 'm'],
  [1e-6, 'µ'],
  [1e-9, 'n'],
  [1e-12, 'p'],
  [1e-15, 'f'],
  [1e-18, 'a'],
  [1e-21, 'z'],
  [1e-24, 'y'],
];

/** Up to `digits` significant digits without trailing zeros: 1.50 → `1.5`, 150.0 → `150`. */
function significant(v: number, digits: number): string {
  const s = Number(v.toPrecision(digits)).toString();
  return s.includes('e') ? v.toFixed(0) : s;
}

/**
 * A value as an axis label with an SI prefix: `150M`, `1.5k`, `500m`, `0`. Beyond the prefixes
 * (above 1e27, below 1e-24) it falls back to exponent notation.
 */
export function formatSI(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e27 || abs < 1e-24) return v.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  for (const [size, prefix] of SI_PREFIXES) {
    if (abs >= size * (1 - 5e-13)) {
      let scaled = significant(abs / size, digits);
      let p = prefix;
      // 999.95k rounds to 1000k: say 1M instead.
      if (Number(scaled) >= 1000 && size < 1e24) {
        const up = SI_PREFIXES[SI_PREFIXES.findIndex(([s]) => s === size) - 1]!;
        scaled = significant(abs / up[0], digits);
        p = up[1];
      }
      return `${v < 0 ? '-' : ''}${scaled}${p}`;
    }
  }
  return v.toExponential(digits - 1);
}

/**
 * Axis labels for a set of ticks: SI values with as many significant digits as it takes for
 * neighbouring ticks to read differently (ticks 1.00k, 1.05k, 1.10k need three; 1.001M, 1.002M four).
 */
export function formatSITicks(ticks: number[]): string[] {
  for (let digits = 3; digits <= 8; digits++) {
    const labels = ticks.map((t) => formatSI(t, digits));
    if (new Set(labels).size === labels.length) return labels;
  }
  return ticks.map((t) => formatSI(t, 9));
}

/** An evaluation or scrape duration in seconds: `312µs`, `1.234ms`, `2.5s` — never `0.0ms` for real work. */
export function formatEvalDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds === 0) return '0s';
  if (seconds < 1e-3) return `${significant(seconds * 1e6, 3)}µs`;
  if (seconds < 1) return `${significant(seconds * 1e3, 4)}ms`;
  return `${significant(seconds, 4)}s`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-12-02 06:24:25` in UTC, the format the Evaluation time and End fields take. */
export function formatUtcTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** An RGB colour from `#rgb`, `#rrggbb` or `rgb()/rgba()` text, or undefined. */
export function parseColor(text: string): [number, number, number] | undefined {
  const s = text.trim().toLowerCase();
  let m = /^#([0-9a-f]{3})$/.exec(s);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1]![i]! + m![1]![i]!, 16)) as [number, number, number];
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1]!.slice(i, i + 2), 16)) as [number, number, number];
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return undefined;
}

function relativeLuminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number): number => {
    const x = c / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG 2 contrast ratio of two colours (1 to 21); AA asks 4.5 for normal text. */
export function contrastRatio(a: [number, number, number], b: [number, number, number]): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
