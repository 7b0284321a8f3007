// ethtool: driver information, link modes and the driver's own statistics of each network
// interface (SIOCETHTOOL ioctls), named and typed as node_exporter 1.5 names them.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';
import type { Collector } from './collector.js';
import { flagValue, NoDataError, regexpFlag } from './collector.js';
import { compile } from '../../regex/re2.js';
import { flag } from '../../util/flags.js';
import type { FlagSpec } from '../../util/flags.js';
import { EOPNOTSUPP, fixtureAnswers, nativeAnswers } from './ethtool-source.js';
import type { DeviceAnswers, Part } from './ethtool-source.js';

/** A device regexp flag where the empty string, node_exporter's default, means "not given". */
function deviceFlag(help: string): FlagSpec<RegExp | undefined> {
  return { help, default: undefined, takesValue: true, repeatable: false, parse: (s) => (s === '' ? undefined : compile(s)) };
}

/** Statistics whose families node_exporter names up front (the rest are named after the statistic). */
const KNOWN_STATS = new Map([
  ['rx_bytes', ['node_ethtool_received_bytes_total', 'Network interface bytes received']],
  ['rx_dropped', ['node_ethtool_received_dropped_total', 'Number of received frames dropped']],
  ['rx_errors', ['node_ethtool_received_errors_total', 'Number of received frames with errors']],
  ['rx_packets', ['node_ethtool_received_packets_total', 'Network interface packets received']],
  ['tx_bytes', ['node_ethtool_transmitted_bytes_total', 'Network interface bytes sent']],
  ['tx_errors', ['node_ethtool_transmitted_errors_total', 'Number of sent frames with errors']],
  ['tx_packets', ['node_ethtool_transmitted_packets_total', 'Network interface packets sent']],
]);

/** A statistic's metric name: sanitized, lower case, rx/tx spelled out. */
export function ethtoolMetricName(stat: string): string {
  const name = stat.replace(/_*[^0-9A-Za-z_]+_*/g, '_').toLowerCase().replace(/^_+/, '').replace(/(^|_)rx(_|$)/g, '$1received$2').replace(/(^|_)tx(_|$)/g, '$1transmitted$2');
  return `node_ethtool_${name}`;
}

/** Speed link modes: bit, Mbit/s, duplex, PHY (bits past 31 never show in the 32-bit legacy masks). */
const SPEEDS: [number, number, string, string][] = [
  [0, 10, 'half', 'T'], [1, 10, 'full', 'T'], [2, 100, 'half', 'T'], [3, 100, 'full', 'T'], [4, 1000, 'half', 'T'], [5, 1000, 'full', 'T'], [12, 10000, 'full', 'T'],
  [17, 1000, 'full', 'KX'], [18, 10000, 'full', 'KX4'], [19, 10000, 'full', 'KR'], [20, 10000, 'full', 'R_FEC'], [21, 20000, 'full', 'MLD2'], [22, 20000, 'full', 'KR2'],
  [23, 40000, 'full', 'KR4'], [24, 40000, 'full', 'CR4'], [25, 40000, 'full', 'SR4'], [26, 40000, 'full', 'LR4'], [27, 56000, 'full', 'KR4'], [28, 56000, 'full', 'CR4'],
  [29, 56000, 'full', 'SR4'], [30, 56000, 'full', 'LR4'], [31, 25000, 'full', 'CR'],
];
const PORTS: [number, string][] = [[7, 'TP'], [8, 'AUI'], [9, 'MII'], [10, 'FIBRE'], [11, 'BNC'], [16, 'Backplane']];
const AUTONEG_BIT = 6;
const PAUSE_BIT = 13;
const ASYM_PAUSE_BIT = 14;

const has = (modes: number, bit: number): boolean => ((modes >>> bit) & 1) === 1;

function linkModes(out: FamilySet, device: string, supported: number, advertising: number, autoneg: number): void {
  const speeds = (prefix: 'supported' | 'advertised', modes: number, help: string): void => {
    for (const [bit, mbps, duplex, phy] of SPEEDS) {
      // Mbit/s as bytes/s, like netclass's speed.
      if (has(modes, bit)) out.add(`node_network_${prefix}_speed_bytes`, help, 'gauge', mbps * 125000, { device, duplex, mode: `${mbps}base${phy}` });
    }
  };
  const capabilities = (prefix: 'supported' | 'advertised', modes: number, verb: string): void => {
    out.add(`node_network_autonegotiate_${prefix}`, `If this port device ${verb} autonegotiate`, 'gauge', has(modes, AUTONEG_BIT) ? 1 : 0, { device });
    out.add(`node_network_pause_${prefix}`, prefix === 'supported' ? 'If this port device supports pause frames' : 'If this port device offers pause capability', 'gauge', has(modes, PAUSE_BIT) ? 1 : 0, { device });
    out.add(`node_network_asymmetricpause_${prefix}`, prefix === 'supported' ? 'If this port device supports asymmetric pause frames' : 'If this port device offers asymmetric pause capability', 'gauge', has(modes, ASYM_PAUSE_BIT) ? 1 : 0, { device });
  };
  speeds('supported', supported, 'Combination of speeds and features supported by network device');
  for (const [bit, type] of PORTS) if (has(supported, bit)) out.add('node_network_supported_port_info', 'Type of ports or PHYs supported by network device', 'gauge', 1, { device, type });
  capabilities('supported', supported, 'supports');
  speeds('advertised', advertising, 'Combination of speeds and features offered by network device');
  capabilities('advertised', advertising, 'offers');
  out.add('node_network_autonegotiate', 'If this port is using autonegotiate', 'gauge', autoneg, { device });
}

/** A part's failure logged as node_exporter logs it: "not supported" at debug level, the rest as errors. */
function logFailure(h: HostFiles, part: Part<unknown>, what: string, device: string): void {
  if (part.ok) return;
  const fields = { err: part.message, device, ...(part.errno > 0 ? { errno: part.errno } : {}) };
  h.log?.(part.errno === EOPNOTSUPP ? 'debug' : 'error', `ethtool ${what} error`, fields);
}

function statistics(h: HostFiles, out: FamilySet, device: string, stats: Map<string, number>, include: RegExp): void {
  // Sanitizing can give two statistics one name: such a name is left out altogether.
  const byName = new Map<string, string | undefined>();
  for (const stat of stats.keys()) {
    if (!include.test(stat)) continue;
    const name = ethtoolMetricName(stat);
    if (byName.has(name)) {
      h.log?.('debug', 'dropping duplicate metric name', { device, metricFQName: name, metric1: byName.get(name) ?? '', metric2: stat });
      byName.set(name, undefined);
    } else byName.set(name, stat);
  }
  for (const [name, stat] of byName) {
    if (stat === undefined) continue;
    const [family, help] = KNOWN_STATS.get(stat) ?? [name, `Network interface ${stat}`];
    out.add(family!, help!, 'untyped', stats.get(stat)!, { device });
  }
}

/** The interfaces under /sys/class/net (directories or links to them; bonding_masters is a file). */
async function interfaces(h: HostFiles): Promise<string[]> {
  const base = h.sys('class', 'net');
  let isDir = false;
  try {
    isDir = statSync(base).isDirectory();
  } catch {
    /* missing: below */
  }
  if (!isDir) throw new NoDataError(`Could not read netclass file: ${base} is missing`);
  return (await h.list(base)).filter((d) => {
    try {
      return !statSync(join(base, d)).isFile();
    } catch {
      return true;
    }
  });
}

export const ethtool: Collector = {
  name: 'ethtool',
  enabledByDefault: false,
  flags: {
    'collector.ethtool.device-include': deviceFlag('Regexp of ethtool devices to include (mutually exclusive to device-exclude).'),
    'collector.ethtool.device-exclude': deviceFlag('Regexp of ethtool devices to exclude (mutually exclusive to device-include).'),
    'collector.ethtool.metrics-include': regexpFlag('Regexp of ethtool stats to include.', '.*'),
    // Ours, not node_exporter's: its unit tests' fixture hook as a flag (as for qdisc and wifi).
    'collector.ethtool.fixtures': flag.string('test fixtures to use for the ethtool collector: <dir>/<device>/{driver,settings,statistics} as `ethtool -i`, `ethtool` and `ethtool -S` print them', ''),
  },
  async collect(h, out, o) {
    const include = flagValue<RegExp | undefined>(o, 'collector.ethtool.device-include');
    const exclude = flagValue<RegExp | undefined>(o, 'collector.ethtool.device-exclude');
    const metrics = flagValue<RegExp>(o, 'collector.ethtool.metrics-include');
    const fixtures = flagValue<string>(o, 'collector.ethtool.fixtures');
    const devices = await interfaces(h);
    if (devices.length === 0) throw new Error('no network devices found');
    for (const device of devices) {
      if ((exclude && exclude.test(device)) || (include && !include.test(device))) continue;
      const a: DeviceAnswers = fixtures === '' ? await nativeAnswers(device) : await fixtureAnswers(h, fixtures, device);
      if (a.link.ok) linkModes(out, device, a.link.value.supported, a.link.value.advertising, a.link.value.autoneg);
      else logFailure(h, a.link, 'link info', device);
      if (a.driver.ok) {
        const d = a.driver.value;
        out.add('node_ethtool_info', "A metric with a constant '1' value labeled by bus_info, device, driver, expansion_rom_version, firmware_version, version.", 'gauge', 1, {
          bus_info: d.busInfo, device, driver: d.driver, expansion_rom_version: d.expansionRomVersion, firmware_version: d.firmwareVersion, version: d.version,
        });
      } else logFailure(h, a.driver, 'driver info', device);
      if (a.stats.ok) statistics(h, out, device, a.stats.value, metrics);
      else logFailure(h, a.stats, 'stats', device);
    }
  },
};
