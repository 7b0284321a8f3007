// time_intervals and mute_time_intervals of alertmanager.yml, read with Alertmanager 0.25's checks
// (times of day as HH:MM up to 24:00 with start before end, days of the month within ±31, ranges
// not reversed, known time zones) and its messages.
import type { Node, YamlFile } from '../../config/yaml-reader.js';
import type { InclusiveRange, TimeIntervalSpec } from '../time-intervals.js';
import { scalarString } from './fields.js';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const TIME_OF_DAY = /^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/;

function parseRange(text: string, names: string[] | undefined, what: string, y: YamlFile, n: Node): InclusiveRange {
  const toNum = (s: string): number => {
    const t = s.trim().toLowerCase();
    if (names) {
      const i = names.findIndex((x) => x.toLowerCase() === t);
      if (i >= 0) return i + (what === 'months' ? 1 : 0);
    }
    // Weekdays are names only (Alertmanager refuses numbers there).
    if (what === 'weekdays') y.fail(n, `${t} is not a valid weekday`);
    const v = Number(t);
    if (t === '' || !Number.isInteger(v)) y.fail(n, `invalid ${what} ${JSON.stringify(s)}`);
    return v;
  };
  const [a, b] = text.split(':');
  return { begin: toNum(a!), end: toNum(b ?? a!) };
}

/** Alertmanager's complaint about a range of one kind, if any. */
function rangeProblem(what: string, r: InclusiveRange): string | undefined {
  const { begin, end } = r;
  switch (what) {
    case 'days_of_month': {
      for (const v of [begin, end]) if (v === 0 || v < -31 || v > 31) return `${v} is not a valid day of the month: out of range`;
      if (begin < 0 && end > 0) return 'end day must be negative if start day is negative';
      if (Math.sign(begin) === Math.sign(end) && end < begin) return `end day ${end} is always before start day ${begin}`;
      return undefined;
    }
    case 'months':
      // Alertmanager 0.25 takes any month number; it only refuses a reversed range.
      return end < begin ? `end month ${MONTHS[end - 1] ?? end} is before start month ${MONTHS[begin - 1] ?? begin}` : undefined;
    case 'weekdays':
      for (const v of [begin, end]) if (v < 0 || v > 6) return `${v} is not a valid weekday`;
      return end < begin ? 'start day cannot be before end day' : undefined;
    case 'years':
      return end < begin ? `end year ${end} is before start year ${begin}` : undefined;
    default:
      return undefined;
  }
}

function knownTimeZone(name: string): boolean {
  if (name === 'Local' || name === 'UTC' || name === '') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function readTimeIntervals(y: YamlFile, top: Map<string, Node>): Map<string, TimeIntervalSpec[]> {
  const intervals = new Map<string, TimeIntervalSpec[]>();
  const ranges = (spec: Node, s: Map<string, Node>, key: string, names: string[] | undefined): InclusiveRange[] =>
    y.strings(s.get(key), key).map((w) => {
      const r = parseRange(w, names, key, y, spec);
      const problem = rangeProblem(key, r);
      if (problem !== undefined) y.fail(s.get(key), problem);
      return r;
    });
  for (const key of ['time_intervals', 'mute_time_intervals'] as const) {
    for (const ti of y.seq(top.get(key), key)) {
      const m = y.map(ti, 'config.TimeInterval', ['name', 'time_intervals']);
      const name = scalarString(y, m.get('name'), 'name');
      if (name === '') y.fail(ti, 'missing name in time interval');
      if (intervals.has(name)) y.fail(ti, `time interval ${JSON.stringify(name)} is not unique`);
      intervals.set(
        name,
        y.seq(m.get('time_intervals'), 'time_intervals').map((spec) => {
          const s = y.map(spec, 'timeinterval.TimeInterval', ['times', 'weekdays', 'days_of_month', 'months', 'years', 'location']);
          const out: TimeIntervalSpec = {};
          if (s.has('times'))
            out.times = y.seq(s.get('times'), 'times').map((t) => {
              const tm = y.map(t, 'timeinterval.TimeRange', ['start_time', 'end_time']);
              const mins = (v: string): number => {
                if (!TIME_OF_DAY.test(v)) y.fail(t, `couldn't parse timestamp ${v}, invalid format`);
                const [h, mm] = v.split(':');
                return Number(h) * 60 + Number(mm);
              };
              const startMinute = mins(scalarString(y, tm.get('start_time'), 'start_time'));
              const endMinute = mins(scalarString(y, tm.get('end_time'), 'end_time'));
              if (startMinute >= endMinute) y.fail(t, 'start time cannot be equal or greater than end time');
              return { startMinute, endMinute };
            });
          if (s.has('weekdays')) out.weekdays = ranges(spec, s, 'weekdays', DAYS);
          if (s.has('days_of_month')) out.daysOfMonth = ranges(spec, s, 'days_of_month', undefined);
          if (s.has('months')) out.months = ranges(spec, s, 'months', MONTHS);
          if (s.has('years')) out.years = ranges(spec, s, 'years', undefined);
          if (s.has('location')) {
            out.location = scalarString(y, s.get('location'), 'location');
            if (!knownTimeZone(out.location)) y.fail(s.get('location'), `unknown time zone ${out.location}`);
          }
          return out;
        }),
      );
    }
  }
  return intervals;
}
