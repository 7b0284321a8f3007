// Where the ethtool collector's answers come from: the SIOCETHTOOL ioctls through the native
// addon, or upstream's unit-test fixtures (`ethtool -i`, `ethtool` and `ethtool -S` output per
// device, read the way node_exporter's own test double reads them) for --collector.ethtool.fixtures.
import { join } from 'node:path';
import type { HostFiles } from '../context.js';
import { hostCalls } from './host-calls.js';

export const EOPNOTSUPP = 95;

export interface DriverInfo {
  driver: string;
  version: string;
  firmwareVersion: string;
  busInfo: string;
  expansionRomVersion: string;
}

/** Link-mode bit sets (the kernel's ethtool_link_mode_bit_indices, first 32) and autonegotiation. */
export interface LinkInfo {
  supported: number;
  advertising: number;
  autoneg: number;
}

/** A part answered, or failed with an errno (-1: failed otherwise) and a reason. */
export type Part<T> = { ok: true; value: T } | { ok: false; errno: number; message: string };

export interface DeviceAnswers {
  driver: Part<DriverInfo>;
  link: Part<LinkInfo>;
  /** Statistic name -> value, in the driver's order. */
  stats: Part<Map<string, number>>;
}

function failed<T>(errno: number, message: string): Part<T> {
  return { ok: false, errno, message };
}

/** One interface over the ioctls. */
export async function nativeAnswers(device: string): Promise<DeviceAnswers> {
  const a = (await hostCalls()).hostEthtool(device);
  const messages = a.messages.split('\0');
  const part = <T>(i: number, value: () => T): Part<T> => (a.errors[i] === 0 ? { ok: true, value: value() } : failed(a.errors[i]!, messages[i] ?? ''));
  const d = a.driver.split('\0');
  const names = a.statNames === '' ? [] : a.statNames.split('\0');
  return {
    driver: part(0, () => ({ driver: d[0] ?? '', version: d[1] ?? '', firmwareVersion: d[2] ?? '', busInfo: d[3] ?? '', expansionRomVersion: d[4] ?? '' })),
    link: part(1, () => ({ supported: a.link[0]!, advertising: a.link[1]!, autoneg: a.link[2]! })),
    stats: part(2, () => new Map(names.map((n, i) => [n, a.statValues[i]!]))),
  };
}

// Link-mode bits the fixtures' `ethtool` output names.
const MODE_BITS = new Map([['10baseT/Half', 0], ['10baseT/Full', 1], ['100baseT/Half', 2], ['100baseT/Full', 3], ['1000baseT/Half', 4], ['1000baseT/Full', 5], ['10000baseT/Full', 12]]);
const PORT_BITS = new Map([['TP', 7], ['MII', 9]]);
const AUTONEG_BIT = 6;
const PAUSE_BIT = 13;
const ASYM_PAUSE_BIT = 14;

function bits(words: string, table: Map<string, number>): number {
  let out = 0;
  for (const w of words.split(' ')) {
    const bit = table.get(w.replace(/^[ \t]+|[ \t]+$/g, ''));
    if (bit !== undefined) out |= 1 << bit;
  }
  return out >>> 0;
}

/** `key: value` as the fixture reader splits a trimmed line (on ": "). */
function split(line: string): string[] {
  return line.split(': ');
}

function parseDriver(text: string): DriverInfo {
  const d: DriverInfo = { driver: '', version: '', firmwareVersion: '', busInfo: '', expansionRomVersion: '' };
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#')) continue;
    const [key, value = ''] = split(raw.replace(/^ +| +$/g, ''));
    if (key === 'driver') d.driver = value;
    else if (key === 'version') d.version = value;
    else if (key === 'firmware-version') d.firmwareVersion = value;
    else if (key === 'bus-info') d.busInfo = value;
    else if (key === 'expansion-rom-version') d.expansionRomVersion = value;
  }
  return d;
}

function parseStats(text: string): Part<Map<string, number>> {
  const stats = new Map<string, number>();
  for (const raw of text.split('\n')) {
    if (raw === '' || raw.startsWith('#') || raw.startsWith('NIC statistics:')) continue;
    const [key, value = ''] = split(raw.replace(/^ +| +$/g, ''));
    if (!/^\d+$/.test(value)) return failed(-1, `${key}: ${JSON.stringify(value)} is not a number`);
    // "ERROR: <errno>" stands for a driver refusing the statistics.
    if (key === 'ERROR') return failed(Number(value), `ethtool statistics: errno ${value}`);
    stats.set(key!, Number(value));
  }
  return { ok: true, value: stats };
}

function parseSettings(text: string): LinkInfo {
  const l: LinkInfo = { supported: 0, advertising: 0, autoneg: 0 };
  let continuing: 'supported' | 'advertising' | undefined;
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#') || raw.startsWith('Settings for')) continue;
    const line = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    // Link modes continue on the following lines until the next "key: value" line.
    if (continuing !== undefined && line.includes(':')) continuing = undefined;
    if (continuing !== undefined) {
      l[continuing] = (l[continuing] | bits(line, MODE_BITS)) >>> 0;
      continue;
    }
    const [key, value = ''] = split(line);
    const pause = value === 'Symmetric' ? 1 << PAUSE_BIT : value === 'Receive-only' ? 1 << ASYM_PAUSE_BIT : 0;
    if (key === 'Supported pause frame use') l.supported |= pause;
    else if (key === 'Advertised pause frame use') l.advertising |= pause;
    else if (key === 'Supported ports') l.supported |= bits(value, PORT_BITS);
    else if (key === 'Supported link modes') {
      l.supported |= bits(value, MODE_BITS);
      continuing = 'supported';
    } else if (key === 'Advertised link modes') {
      l.advertising |= bits(value, MODE_BITS);
      continuing = 'advertising';
    } else if (key === 'Supports auto-negotiation' && value === 'Yes') l.supported |= 1 << AUTONEG_BIT;
    else if (key === 'Advertised auto-negotiation' && value === 'Yes') l.advertising |= 1 << AUTONEG_BIT;
    else if (key === 'Auto-negotiation' && value === 'on') l.autoneg = 1;
  }
  return { supported: l.supported >>> 0, advertising: l.advertising >>> 0, autoneg: l.autoneg };
}

/** One interface from the fixture directory: a missing file is a part the "driver" does not support. */
export async function fixtureAnswers(h: HostFiles, dir: string, device: string): Promise<DeviceAnswers> {
  const file = (name: string): Promise<string | undefined> => h.readOptional(join(dir, device, name));
  const unsupported = <T>(): Part<T> => failed(EOPNOTSUPP, 'operation not supported');
  const [driver, settings, statistics] = await Promise.all([file('driver'), file('settings'), file('statistics')]);
  return {
    driver: driver === undefined ? unsupported() : { ok: true, value: parseDriver(driver) },
    link: settings === undefined ? unsupported() : { ok: true, value: parseSettings(settings) },
    stats: statistics === undefined ? unsupported() : parseStats(statistics),
  };
}
