// The local time zone's abbreviation ("UTC", "CET", "CEST") as Go's time.Now().Zone() names it for
// node_time_zone_offset_seconds{time_zone}: from the TZif file the TZ variable (or /etc/localtime)
// points to, not from Intl. Intl.DateTimeFormat names zones by locale ("GMT+1" for Berlin in en-US)
// and its first use per process maps ~5 MiB of ICU locale data into memory.
import { existsSync, readFileSync } from 'node:fs';

/** Where Go looks for a zone named by TZ (its platformZoneSources on Linux). */
const ZONE_DIRECTORIES = ['/usr/share/zoneinfo/', '/usr/share/lib/zoneinfo/', '/usr/lib/locale/TZ/'];

interface ZoneType {
  offsetSeconds: number;
  isDst: boolean;
  name: string;
}

/** What a TZif file says: its transitions, its zone types and the POSIX rule for times past the last transition. */
export interface TzifZone {
  transitions: number[];
  /** The zone type index in effect from each transition on. */
  transitionTypes: number[];
  types: ZoneType[];
  /** The footer's POSIX TZ string (version 2+), e.g. "CET-1CEST,M3.5.0,M10.5.0/3"; '' when absent. */
  rule: string;
}

/** Reads a TZif file (RFC 8536); the 64-bit block of version 2+ files when present. Throws on a malformed file. */
export function parseTzif(data: Buffer): TzifZone {
  if (data.length < 44 || data.toString('latin1', 0, 4) !== 'TZif') throw new Error('not a TZif file');
  const version = data[4]!;
  const block = (at: number, timeSize: 4 | 8): { zone: TzifZone; end: number } => {
    const count = (i: number): number => data.readUInt32BE(at + 20 + 4 * i);
    const [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = [0, 1, 2, 3, 4, 5].map(count) as [number, number, number, number, number, number];
    let p = at + 44;
    const need = timecnt * timeSize + timecnt + typecnt * 6 + charcnt + leapcnt * (timeSize + 4) + isstdcnt + isutcnt;
    if (p + need > data.length || typecnt === 0) throw new Error('truncated TZif file');
    const transitions: number[] = [];
    for (let i = 0; i < timecnt; i++, p += timeSize) transitions.push(timeSize === 4 ? data.readInt32BE(p) : Number(data.readBigInt64BE(p)));
    const transitionTypes = [...data.subarray(p, p + timecnt)];
    p += timecnt;
    const raw: { offsetSeconds: number; isDst: boolean; nameAt: number }[] = [];
    for (let i = 0; i < typecnt; i++, p += 6) raw.push({ offsetSeconds: data.readInt32BE(p), isDst: data[p + 4] !== 0, nameAt: data[p + 5]! });
    const chars = data.subarray(p, p + charcnt);
    const types = raw.map((t) => {
      const end = chars.indexOf(0, t.nameAt);
      return { offsetSeconds: t.offsetSeconds, isDst: t.isDst, name: chars.toString('latin1', t.nameAt, end < 0 ? chars.length : end) };
    });
    p += charcnt + leapcnt * (timeSize + 4) + isstdcnt + isutcnt;
    return { zone: { transitions, transitionTypes, types, rule: '' }, end: p };
  };
  const v1 = block(0, 4);
  if (version === 0) return v1.zone;
  if (data.toString('latin1', v1.end, v1.end + 4) !== 'TZif') throw new Error('TZif version 2+ without its second header');
  const v2 = block(v1.end, 8);
  const footerEnd = data.indexOf(0x0a, v2.end + 1);
  if (data[v2.end] === 0x0a && footerEnd > v2.end) v2.zone.rule = data.toString('latin1', v2.end + 1, footerEnd);
  return v2.zone;
}

/** A POSIX TZ rule's standard and daylight names and offsets east of UTC ("CET-1CEST" is CET +3600, CEST +7200). */
export function ruleNames(rule: string): { std: ZoneType; dst?: ZoneType } | undefined {
  let i = 0;
  const name = (): string | undefined => {
    if (rule[i] === '<') {
      const end = rule.indexOf('>', i);
      if (end < 0) return undefined;
      const n = rule.slice(i + 1, end);
      i = end + 1;
      return n;
    }
    const m = /^[A-Za-z]{3,}/.exec(rule.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const offset = (): number | undefined => {
    const m = /^([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?/.exec(rule.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    // POSIX counts west of UTC as positive: "CET-1" is an hour east.
    return m[1] === '-' ? seconds : -seconds;
  };
  const stdName = name();
  const stdOffset = stdName === undefined ? undefined : offset();
  if (stdName === undefined || stdOffset === undefined) return undefined;
  const std = { name: stdName, offsetSeconds: stdOffset, isDst: false };
  if (i >= rule.length || rule[i] === ',') return { std };
  const dstName = name();
  if (dstName === undefined) return { std };
  const dstOffset = rule[i] !== undefined && rule[i] !== ',' ? offset() : undefined;
  return { std, dst: { name: dstName, offsetSeconds: dstOffset ?? stdOffset + 3600, isDst: true } };
}

/**
 * The zone's name at `unixSeconds`, when the local offset there is `offsetSeconds` (east of UTC).
 * Past the last transition the footer rule names the zone; of its standard and daylight names the
 * one whose offset is the current one is taken, so the rule's dates need not be evaluated here.
 */
export function zoneNameAt(zone: TzifZone, unixSeconds: number, offsetSeconds: number): string {
  const { transitions: tx, transitionTypes, types } = zone;
  if (tx.length === 0 || unixSeconds < tx[0]!) {
    // Before any transition (or a zone without any, as UTC): the first standard-time type, as Go.
    return (types.find((t) => !t.isDst) ?? types[0]!).name;
  }
  if (unixSeconds >= tx[tx.length - 1]! && zone.rule !== '') {
    const r = ruleNames(zone.rule);
    if (r !== undefined) return r.dst !== undefined && r.dst.offsetSeconds === offsetSeconds && r.std.offsetSeconds !== offsetSeconds ? r.dst.name : r.std.name;
  }
  let lo = 0;
  let hi = tx.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (unixSeconds < tx[mid]!) hi = mid;
    else lo = mid;
  }
  return types[transitionTypes[lo]!]?.name ?? 'UTC';
}

/** The TZif file Go's time package loads for a TZ value (undefined: unset), or undefined for UTC. */
export function zoneFileFor(tz: string | undefined, exists: (path: string) => boolean): string | undefined {
  if (tz === undefined) return '/etc/localtime';
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  if (name === '' || name === 'UTC') return undefined;
  if (name.startsWith('/')) return name;
  return ZONE_DIRECTORIES.map((d) => d + name).find(exists);
}

interface LoadedZone {
  tz: string | undefined;
  zone: TzifZone | undefined;
}

let loaded: LoadedZone | undefined;

/** The local zone's abbreviation now, as Go names it; "UTC" when no zone file can be read, as Go falls back. */
export function localZoneName(now: Date, tz: string | undefined = process.env['TZ']): string {
  // Go loads the local zone once per process; reloading only when TZ changes keeps that and lets tests vary it.
  if (loaded === undefined || loaded.tz !== tz) {
    let zone: TzifZone | undefined;
    try {
      const file = zoneFileFor(tz, existsSync);
      zone = file === undefined ? undefined : parseTzif(readFileSync(file));
    } catch {
      zone = undefined;
    }
    loaded = { tz, zone };
  }
  if (loaded.zone === undefined) return 'UTC';
  return zoneNameAt(loaded.zone, Math.floor(now.getTime() / 1000), -now.getTimezoneOffset() * 60);
}
