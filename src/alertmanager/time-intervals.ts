// time_intervals: whether an instant falls in a named interval (times of day, weekdays, days of the
// month — negative counts from the month's end —, months, years, in a time zone), which
// mute_time_intervals and active_time_intervals of routes use.

export interface MinuteRange {
  /** Minutes since midnight, start inclusive, end exclusive (Alertmanager's semantics). */
  startMinute: number;
  endMinute: number;
}

export interface InclusiveRange {
  begin: number;
  end: number;
}

export interface TimeIntervalSpec {
  times?: MinuteRange[];
  /** 0 = Sunday ... 6 = Saturday. */
  weekdays?: InclusiveRange[];
  /** 1..31, or -31..-1 counted from the end of the month. */
  daysOfMonth?: InclusiveRange[];
  /** 1 = January ... 12. */
  months?: InclusiveRange[];
  years?: InclusiveRange[];
  /** IANA zone name; UTC when absent ("Local" means the process's zone). */
  location?: string;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function localParts(ms: number, zone: string | undefined): LocalParts {
  const timeZone = zone === undefined || zone === '' || zone === 'UTC' ? 'UTC' : zone === 'Local' ? undefined : zone;
  const f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS[parts.weekday!]!,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const within = (v: number, ranges: InclusiveRange[]): boolean => ranges.some((r) => v >= r.begin && v <= r.end);

export function intervalContains(spec: TimeIntervalSpec, ms: number): boolean {
  const t = localParts(ms, spec.location);
  if (spec.times !== undefined && spec.times.length > 0 && !spec.times.some((r) => t.minute >= r.startMinute && t.minute < r.endMinute)) return false;
  if (spec.weekdays !== undefined && spec.weekdays.length > 0 && !within(t.weekday, spec.weekdays)) return false;
  if (spec.daysOfMonth !== undefined && spec.daysOfMonth.length > 0) {
    const n = daysInMonth(t.year, t.month);
    const ok = spec.daysOfMonth.some((r) => {
      // Negative days count back from the month's end; clamp to the month's actual days.
      const begin = r.begin < 0 ? n + r.begin + 1 : r.begin;
      const end = r.end < 0 ? n + r.end + 1 : r.end;
      return t.day >= Math.max(begin, 1) && t.day <= Math.min(end, n);
    });
    if (!ok) return false;
  }
  if (spec.months !== undefined && spec.months.length > 0 && !within(t.month, spec.months)) return false;
  if (spec.years !== undefined && spec.years.length > 0 && !within(t.year, spec.years)) return false;
  return true;
}

/**
 * Whether a route's notifications are muted now: inside any of its mute intervals, or outside all
 * of its active intervals (when it has any). Unknown names were refused when the config loaded.
 */
export function routeTimeMuted(intervals: Map<string, TimeIntervalSpec[]>, mute: string[], active: string[], ms: number): boolean {
  const inAny = (names: string[]): boolean => names.some((n) => (intervals.get(n) ?? []).some((s) => intervalContains(s, ms)));
  if (mute.length > 0 && inAny(mute)) return true;
  if (active.length > 0 && !inAny(active)) return true;
  return false;
}
