// systemd (disabled by default): units and their states from org.freedesktop.systemd1 over D-Bus,
// with node_exporter 1.5's names, labels and flags. As upstream (go-systemd), it talks to the
// system bus and, as root, falls back to systemd's private socket when the bus is not there.
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';
import type { FlagSpec } from '../../util/flags.js';
import { flag } from '../../util/flags.js';
import { compileAnchored, Re2SyntaxError } from '../../regex/re2.js';
import type { Collector } from './collector.js';
import { flagValue } from './collector.js';
import { DBusSession, MAX_CALLS_IN_FLIGHT, SYSTEMD_PRIVATE_SOCKET, mapLimited, reason, systemBusAddress, unsignedValue } from './dbus.js';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
/** The Manager's SystemState property and timers' LastTriggerUSec appeared in systemd 212. */
const MIN_VERSION_SYSTEM_STATE = 212;
const UNIT_STATES = ['active', 'activating', 'deactivating', 'inactive', 'failed'];
const MAX_UINT64 = 18446744073709551615n;
const DEFAULT_UNIT_INCLUDE = '.+';
const DEFAULT_UNIT_EXCLUDE = '.+\\.(automount|device|mount|scope|slice)';

/** A unit pattern flag: kept as text (the deprecated spellings are told apart by it), checked when parsed. */
function unitPatternFlag(help: string, def: string, hidden = false): FlagSpec<string> {
  const parse = (s: string): string => {
    try {
      compileAnchored(s);
    } catch (e) {
      throw new Error(e instanceof Re2SyntaxError ? e.message : String(e));
    }
    return s;
  };
  return { help, default: def, defaultText: def === '' ? undefined : JSON.stringify(def), takesValue: true, repeatable: false, parse, hidden };
}

interface Unit {
  name: string;
  loadState: string;
  activeState: string;
}

/** go-systemd's object path for a unit: every byte but [A-Za-z0-9] (and a leading digit) as `_xx`. */
export function unitObjectPath(name: string): string {
  if (name === '') return `${MANAGER_PATH}/unit/_`;
  let out = '';
  const bytes = Buffer.from(name, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    const digit = c >= 0x30 && c <= 0x39;
    out += alpha || (digit && i > 0) ? String.fromCharCode(c) : `_${c.toString(16)}`;
  }
  return `${MANAGER_PATH}/unit/${out}`;
}

/** The number node_exporter takes from a version string such as `252.36-1~deb12u1` (0 when none). */
export function parseSystemdVersion(version: string): number | undefined {
  const m = /[0-9]{3,}(\.[0-9]+)?/.exec(version);
  return m === null ? undefined : Number(m[0]);
}

const patterns = new Map<string, RegExp>();
function anchored(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (re === undefined) patterns.set(pattern, (re = compileAnchored(pattern)));
  return re;
}

/** The include and exclude patterns, the deprecated whitelist/blacklist spellings applied as upstream does. */
function unitFilters(o: Parameters<Collector['collect']>[2]): { include: RegExp; exclude: RegExp } {
  let include = flagValue<string>(o, 'collector.systemd.unit-include');
  let exclude = flagValue<string>(o, 'collector.systemd.unit-exclude');
  const oldInclude = flagValue<string>(o, 'collector.systemd.unit-whitelist');
  const oldExclude = flagValue<string>(o, 'collector.systemd.unit-blacklist');
  if (oldExclude !== '') {
    if (exclude !== DEFAULT_UNIT_EXCLUDE) throw new Error('--collector.systemd.unit-blacklist and --collector.systemd.unit-exclude are mutually exclusive');
    exclude = oldExclude;
  }
  if (oldInclude !== '') {
    if (include !== DEFAULT_UNIT_INCLUDE) throw new Error('--collector.systemd.unit-whitelist and --collector.systemd.unit-include are mutually exclusive');
    include = oldInclude;
  }
  return { include: anchored(include), exclude: anchored(exclude) };
}

/** systemd over D-Bus: the system bus, or (as root, when that fails, or with --collector.systemd.private) the private socket. */
async function connect(privateSocket: boolean): Promise<DBusSession> {
  if (privateSocket) return DBusSession.open(SYSTEMD_PRIVATE_SOCKET, { peer: true });
  try {
    return await DBusSession.open(systemBusAddress(), { peer: false });
  } catch (e) {
    if (process.geteuid?.() !== 0) throw e;
    return DBusSession.open(SYSTEMD_PRIVATE_SOCKET, { peer: true });
  }
}

class SystemdScrape {
  constructor(private readonly bus: DBusSession, private readonly h: HostFiles, private readonly out: FamilySet) {}

  /** A property of a unit, or undefined (logged at debug level, as upstream) when systemd does not answer. */
  async unitProperty(unit: string, iface: string, name: string): Promise<unknown> {
    try {
      return await this.bus.property(SYSTEMD, unitObjectPath(unit), `${SYSTEMD}.${iface}`, name);
    } catch (e) {
      this.h.log?.('debug', `couldn't get unit ${name}`, { unit, err: reason(e) });
      return undefined;
    }
  }

  async unitNumber(unit: string, iface: string, name: string): Promise<number | bigint | undefined> {
    const v = await this.unitProperty(unit, iface, name);
    if (v === undefined || typeof v === 'number' || typeof v === 'bigint') return v;
    this.h.log?.('debug', `unit ${name} is not a number`, { unit });
    return undefined;
  }

  async version(): Promise<{ value: number; text: string }> {
    try {
      const v = await this.bus.property(SYSTEMD, MANAGER_PATH, `${SYSTEMD}.Manager`, 'Version');
      const text = String(v);
      const value = parseSystemdVersion(text);
      if (value === undefined) this.h.log?.('debug', 'Got invalid systemd version', { version: text });
      return value === undefined ? { value: 0, text: '' } : { value, text };
    } catch (e) {
      this.h.log?.('debug', 'Unable to get systemd version property, defaulting to 0', { err: reason(e) });
      return { value: 0, text: '' };
    }
  }

  async units(): Promise<Unit[]> {
    const list = await this.bus.call(SYSTEMD, MANAGER_PATH, `${SYSTEMD}.Manager`, 'ListUnits');
    if (!Array.isArray(list)) throw new Error('ListUnits: the reply is not an array of units');
    return list.map((u: unknown, i) => {
      if (!Array.isArray(u) || typeof u[0] !== 'string' || typeof u[2] !== 'string' || typeof u[3] !== 'string') throw new Error(`ListUnits: unit ${i} is not (ssssssouso)`);
      return { name: u[0], loadState: u[2], activeState: u[3] };
    });
  }

  /** node_systemd_units counts every unit, filtered or not; states beyond the five known ones get their own series. */
  summary(units: readonly Unit[]): void {
    const counts = new Map(UNIT_STATES.map((s) => [s, 0]));
    for (const u of units) counts.set(u.activeState, (counts.get(u.activeState) ?? 0) + 1);
    for (const [state, n] of counts) this.out.add('node_systemd_units', 'Summary of systemd unit states', 'gauge', n, { state });
  }

  async unitStates(units: readonly Unit[], restarts: boolean): Promise<void> {
    await mapLimited(units, MAX_CALLS_IN_FLIGHT, async (u) => {
      let type = '';
      const typed = u.name.endsWith('.service') ? 'Service' : u.name.endsWith('.mount') ? 'Mount' : undefined;
      if (typed !== undefined) {
        const v = await this.unitProperty(u.name, typed, 'Type');
        if (typeof v === 'string') type = v;
      }
      for (const state of UNIT_STATES) this.out.add('node_systemd_unit_state', 'Systemd unit', 'gauge', state === u.activeState ? 1 : 0, { name: u.name, state, type });
      if (restarts && u.name.endsWith('.service')) {
        // NRestarts appeared in systemd 235.
        const n = await this.unitNumber(u.name, 'Service', 'NRestarts');
        if (n !== undefined) this.out.add('node_systemd_service_restart_total', 'Service unit count of Restart triggers', 'counter', Number(n), { name: u.name });
      }
    });
  }

  async startTimes(units: readonly Unit[]): Promise<void> {
    await mapLimited(units, MAX_CALLS_IN_FLIGHT, async (u) => {
      let usec = 0;
      if (u.activeState === 'active') {
        const v = await this.unitNumber(u.name, 'Unit', 'ActiveEnterTimestamp');
        if (v === undefined) return;
        usec = Number(v);
      }
      this.out.add('node_systemd_unit_start_time_seconds', 'Start time of the unit since unix epoch in seconds.', 'gauge', usec / 1e6, { name: u.name });
    });
  }

  async tasks(units: readonly Unit[]): Promise<void> {
    await mapLimited(units.filter((u) => u.name.endsWith('.service')), MAX_CALLS_IN_FLIGHT, async (u) => {
      const [current, max] = await Promise.all([this.unitNumber(u.name, 'Service', 'TasksCurrent'), this.unitNumber(u.name, 'Service', 'TasksMax')]);
      // systemd reports "no value" as the largest uint64: no series then.
      if (current !== undefined && BigInt(current) !== MAX_UINT64) this.out.add('node_systemd_unit_tasks_current', 'Current number of tasks per Systemd unit', 'gauge', Number(current), { name: u.name });
      if (max !== undefined && BigInt(max) !== MAX_UINT64) this.out.add('node_systemd_unit_tasks_max', 'Maximum number of tasks per Systemd unit', 'gauge', Number(max), { name: u.name });
    });
  }

  async timers(units: readonly Unit[]): Promise<void> {
    await mapLimited(units.filter((u) => u.name.endsWith('.timer')), MAX_CALLS_IN_FLIGHT, async (u) => {
      const v = await this.unitNumber(u.name, 'Timer', 'LastTriggerUSec');
      if (v !== undefined) this.out.add('node_systemd_timer_last_trigger_seconds', 'Seconds since epoch of last trigger.', 'gauge', Number(v) / 1e6, { name: u.name });
    });
  }

  async sockets(units: readonly Unit[]): Promise<void> {
    await mapLimited(units.filter((u) => u.name.endsWith('.socket')), MAX_CALLS_IN_FLIGHT, async (u) => {
      // In upstream's order: a socket without NAccepted or NConnections stops there.
      const accepted = await this.unitNumber(u.name, 'Socket', 'NAccepted');
      if (accepted === undefined) return;
      this.out.add('node_systemd_socket_accepted_connections_total', 'Total number of accepted socket connections', 'counter', Number(accepted), { name: u.name });
      const current = await this.unitNumber(u.name, 'Socket', 'NConnections');
      if (current === undefined) return;
      this.out.add('node_systemd_socket_current_connections', 'Current number of socket connections', 'gauge', Number(current), { name: u.name });
      // NRefused appeared in systemd 239; upstream types it a gauge despite its name.
      const refused = await this.unitNumber(u.name, 'Socket', 'NRefused');
      if (refused !== undefined) this.out.add('node_systemd_socket_refused_connections_total', 'Total number of refused socket connections', 'gauge', Number(refused), { name: u.name });
    });
  }

  async systemRunning(): Promise<void> {
    let state: unknown;
    try {
      state = await this.bus.property(SYSTEMD, MANAGER_PATH, `${SYSTEMD}.Manager`, 'SystemState');
    } catch (e) {
      throw new Error(`couldn't get system state: ${reason(e)}`);
    }
    this.out.add('node_systemd_system_running', "Whether the system is operational (see 'systemctl is-system-running')", 'gauge', state === 'running' ? 1 : 0);
  }
}

export const systemd: Collector = {
  name: 'systemd',
  enabledByDefault: false,
  flags: {
    'collector.systemd.unit-include': unitPatternFlag('Regexp of systemd units to include. Units must both match include and not match exclude to be included.', DEFAULT_UNIT_INCLUDE),
    'collector.systemd.unit-exclude': unitPatternFlag('Regexp of systemd units to exclude. Units must both match include and not match exclude to be included.', DEFAULT_UNIT_EXCLUDE),
    'collector.systemd.unit-whitelist': unitPatternFlag('DEPRECATED: Use --collector.systemd.unit-include', '', true),
    'collector.systemd.unit-blacklist': unitPatternFlag('DEPRECATED: Use collector.systemd.unit-exclude', '', true),
    'collector.systemd.private': { ...flag.bool('Establish a private, direct connection to systemd without dbus (Strongly discouraged since it requires root. For testing purposes only).'), hidden: true },
    'collector.systemd.enable-task-metrics': flag.bool('Enables service unit tasks metrics unit_tasks_current and unit_tasks_max'),
    'collector.systemd.enable-restarts-metrics': flag.bool('Enables service unit metric service_restart_total'),
    'collector.systemd.enable-start-time-metrics': flag.bool('Enables service unit metric unit_start_time_seconds'),
  },
  async collect(h, out, o) {
    const { include, exclude } = unitFilters(o);
    let bus: DBusSession;
    try {
      bus = await connect(flagValue<boolean>(o, 'collector.systemd.private'));
    } catch (e) {
      throw new Error(`couldn't get dbus connection: ${reason(e)}`);
    }
    try {
      const s = new SystemdScrape(bus, h, out);
      const version = await s.version();
      if (version.value < MIN_VERSION_SYSTEM_STATE) h.log?.('debug', 'Detected systemd version is lower than minimum, some systemd state and timer metrics will not be available', { current: version.value, minimum: MIN_VERSION_SYSTEM_STATE });
      out.add('node_systemd_version', 'Detected systemd version', 'gauge', version.value, { version: version.text });
      let all: Unit[];
      try {
        all = await s.units();
      } catch (e) {
        throw new Error(`couldn't get units: ${reason(e)}`);
      }
      s.summary(all);
      const units = all.filter((u) => include.test(u.name) && !exclude.test(u.name) && u.loadState === 'loaded');
      const recent = version.value >= MIN_VERSION_SYSTEM_STATE;
      await Promise.all([
        s.unitStates(units, flagValue<boolean>(o, 'collector.systemd.enable-restarts-metrics')),
        flagValue<boolean>(o, 'collector.systemd.enable-start-time-metrics') ? s.startTimes(units) : undefined,
        flagValue<boolean>(o, 'collector.systemd.enable-task-metrics') ? s.tasks(units) : undefined,
        recent ? s.timers(units) : undefined,
        s.sockets(units),
        recent ? s.systemRunning() : undefined,
      ]);
    } finally {
      await bus.close().catch(() => undefined);
    }
  },
};
