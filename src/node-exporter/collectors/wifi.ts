// wifi: WiFi interfaces, the BSS each is in and its stations, as node_exporter 1.5 reports them.
// Live, the answers come from nl80211 over generic netlink through the native addon
// (crates/sysinfo-linux/src/wifi.rs); with upstream's fixture hook (--collector.wifi.fixtures)
// from JSON files of what github.com/mdlayher/wifi would have returned. A host without nl80211
// (no WiFi driver), or one that denies it, gives "no data", as node_exporter's ErrNoData.
import { join } from 'node:path';
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';
import type { Collector } from './collector.js';
import { flagValue, NoDataError } from './collector.js';
import { errorCode, hostCalls } from './host-calls.js';
import { fixtureField, fixtureNumber, readFixtureJson } from './fixture-json.js';
import type { HostCalls } from './host-calls.js';
import { flag } from '../../util/flags.js';
import type { NativeWifiInterfaces } from '../../storage/native.js';

export interface WifiInterface {
  name: string;
  /** MHz. */
  frequency: number;
  /** What names the interface to the kernel (live only). */
  index: number;
  mac: Uint8Array | null;
}

interface Bss {
  bssid: string;
  ssid: string;
  /** nl80211_bss_status: 0 authenticated, 1 associated, 2 IBSS joined. */
  status: number;
}

interface Station {
  mac: string;
  connectedSeconds: number;
  inactiveSeconds: number;
  receiveBitrate: number;
  transmitBitrate: number;
  receivedBytes: number;
  transmittedBytes: number;
  signal: number;
  transmitRetries: number;
  transmitFailed: number;
  beaconLoss: number;
}

/** Where the answers come from: nl80211, or the fixture files. `undefined`: "does not exist". */
export interface WifiSource {
  interfaces(): Promise<WifiInterface[]>;
  bss(ifi: WifiInterface): Promise<Bss | undefined>;
  stations(ifi: WifiInterface): Promise<Station[] | undefined>;
}

/** Errno names Go's errors.Is counts as os.ErrNotExist and os.ErrPermission. */
const NOT_THERE = new Set(['ENOENT']);
const DENIED = new Set(['EPERM', 'EACCES']);
/** hostWifiInterfaces' numbers per interface: index, type, frequency, address length (-1: none). */
const INTERFACE_STRIDE = 4;
/** hostWifiStations' numbers per station (see crates/tsdb-node/src/host.rs). */
const STATION_STRIDE = 10;

/** The nl80211 calls of the native addon (a stand-in in tests). */
export type WifiHostCalls = Pick<HostCalls, 'hostWifiInterfaces' | 'hostWifiBss' | 'hostWifiStations'>;

/** The answers of nl80211, decoded from the addon's layout (crates/tsdb-node/src/host.rs). */
export function nl80211Source(host: WifiHostCalls): WifiSource {
  let found: NativeWifiInterfaces;
  try {
    found = host.hostWifiInterfaces();
  } catch (e) {
    // nl80211 opened but its interface dump failed: the collector reports that as such.
    return { interfaces: () => Promise.reject(e as Error), bss: () => Promise.resolve(undefined), stations: () => Promise.resolve(undefined) };
  }
  if (found.openError !== '') {
    if (NOT_THERE.has(found.openError) || DENIED.has(found.openError)) throw new NoDataError('wifi collector metrics are not available for this system');
    throw new Error(`failed to access wifi data: ${found.openMessage}`);
  }
  const names = found.names.split('\0');
  const interfaces: WifiInterface[] = [];
  let macAt = 0;
  for (let i = 0; i * INTERFACE_STRIDE < found.values.length; i++) {
    const [index, , frequency, macLength] = found.values.subarray(i * INTERFACE_STRIDE, (i + 1) * INTERFACE_STRIDE);
    const mac = macLength! < 0 ? null : found.macs.slice(macAt, macAt + macLength!);
    macAt += Math.max(macLength!, 0);
    interfaces.push({ name: names[i] ?? '', index: index!, frequency: frequency!, mac });
  }
  return {
    interfaces: () => Promise.resolve(interfaces),
    bss: (ifi) => Promise.resolve(host.hostWifiBss(ifi.index, ifi.mac) ?? undefined),
    stations: (ifi) => {
      const s = host.hostWifiStations(ifi.index, ifi.mac);
      if (s === null) return Promise.resolve(undefined);
      const macs = s.macs.split('\0');
      const out: Station[] = [];
      for (let i = 0; i * STATION_STRIDE < s.values.length; i++) {
        const v = s.values.subarray(i * STATION_STRIDE, (i + 1) * STATION_STRIDE);
        out.push({
          mac: macs[i] ?? '', connectedSeconds: v[0]!, inactiveSeconds: v[1]!, receiveBitrate: v[2]!, transmitBitrate: v[3]!, receivedBytes: v[4]!, transmittedBytes: v[5]!,
          signal: v[6]!, transmitRetries: v[7]!, transmitFailed: v[8]!, beaconLoss: v[9]!,
        });
      }
      return Promise.resolve(out);
    },
  };
}

/** A hardware address as Go prints it, from the base64 Go's JSON gives a byte slice. */
function mac(base64: unknown): string {
  return [...Buffer.from(String(base64 ?? ''), 'base64')].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** node_exporter's fixture hook: interfaces.json, and <device>/bss.json and stationinfo.json. */
function fixtureSource(h: HostFiles, fixtures: string): WifiSource {
  return {
    async interfaces() {
      const list = await readFixtureJson(h, join(fixtures, 'interfaces.json'));
      if (!Array.isArray(list)) throw new Error(`${fixtures}/interfaces.json: not a list`);
      return (list as unknown[]).map((ifi) => {
        const name = fixtureField(ifi, 'name');
        return { name: typeof name === 'string' ? name : '', frequency: fixtureNumber(fixtureField(ifi, 'frequency')), index: 0, mac: null };
      });
    },
    async bss(ifi) {
      const path = join(fixtures, ifi.name, 'bss.json');
      if ((await h.readOptional(path)) === undefined) return undefined;
      const bss = await readFixtureJson(h, path);
      return { bssid: mac(fixtureField(bss, 'bssid')), ssid: String(fixtureField(bss, 'ssid') ?? ''), status: fixtureNumber(fixtureField(bss, 'status')) };
    },
    async stations(ifi) {
      const path = join(fixtures, ifi.name, 'stationinfo.json');
      if ((await h.readOptional(path)) === undefined) return undefined;
      const list = await readFixtureJson(h, path);
      return (Array.isArray(list) ? (list as unknown[]) : []).map((s) => ({
        mac: mac(fixtureField(s, 'hardwareaddr')),
        // Go's time.Duration: nanoseconds.
        connectedSeconds: fixtureNumber(fixtureField(s, 'connected')) / 1e9, inactiveSeconds: fixtureNumber(fixtureField(s, 'inactive')) / 1e9,
        receiveBitrate: fixtureNumber(fixtureField(s, 'receivebitrate')), transmitBitrate: fixtureNumber(fixtureField(s, 'transmitbitrate')),
        receivedBytes: fixtureNumber(fixtureField(s, 'receivedbytes')), transmittedBytes: fixtureNumber(fixtureField(s, 'transmittedbytes')), signal: fixtureNumber(fixtureField(s, 'signal')),
        transmitRetries: fixtureNumber(fixtureField(s, 'transmitretries')), transmitFailed: fixtureNumber(fixtureField(s, 'transmitfailed')), beaconLoss: fixtureNumber(fixtureField(s, 'beaconloss')),
      }));
    },
  };
}

/** The mode label of node_wifi_station_info, from the BSS status. */
function bssMode(status: number): string {
  if (status === 0 || status === 1) return 'client';
  return status === 2 ? 'ad-hoc' : 'unknown';
}

/** A live call's "does not exist" (Go's os.ErrNotExist) as undefined; other failures as `what`. */
async function unlessMissing<T>(what: string, call: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if (NOT_THERE.has(errorCode(e) ?? '')) return undefined;
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

function addStation(out: FamilySet, device: string, s: Station): void {
  const labels = { device, mac_address: s.mac };
  out.add('node_wifi_station_connected_seconds_total', 'The total number of seconds a station has been connected to an access point.', 'counter', s.connectedSeconds, labels);
  out.add('node_wifi_station_inactive_seconds', 'The number of seconds since any wireless activity has occurred on a station.', 'gauge', s.inactiveSeconds, labels);
  out.add('node_wifi_station_receive_bits_per_second', 'The current WiFi receive bitrate of a station, in bits per second.', 'gauge', s.receiveBitrate, labels);
  out.add('node_wifi_station_transmit_bits_per_second', 'The current WiFi transmit bitrate of a station, in bits per second.', 'gauge', s.transmitBitrate, labels);
  out.add('node_wifi_station_receive_bytes_total', 'The total number of bytes received by a WiFi station.', 'counter', s.receivedBytes, labels);
  out.add('node_wifi_station_transmit_bytes_total', 'The total number of bytes transmitted by a WiFi station.', 'counter', s.transmittedBytes, labels);
  out.add('node_wifi_station_signal_dbm', 'The current WiFi signal strength, in decibel-milliwatts (dBm).', 'gauge', s.signal, labels);
  out.add('node_wifi_station_transmit_retries_total', 'The total number of times a station has had to retry while sending a packet.', 'counter', s.transmitRetries, labels);
  out.add('node_wifi_station_transmit_failed_total', 'The total number of times a station has failed to send a packet.', 'counter', s.transmitFailed, labels);
  out.add('node_wifi_station_beacon_loss_total', 'The total number of times a station has detected a beacon loss.', 'counter', s.beaconLoss, labels);
}

/** node_exporter's wifi collector over one source of answers. */
export async function collectWifi(h: HostFiles, out: FamilySet, source: WifiSource): Promise<void> {
  let interfaces: WifiInterface[];
  try {
    interfaces = await source.interfaces();
  } catch (e) {
    throw new Error(`failed to retrieve wifi interfaces: ${(e as Error).message}`);
  }
  for (const ifi of interfaces) {
    // Interfaces without a name (P2P devices) have no network device to report on.
    if (ifi.name === '') continue;
    const device = ifi.name;
    out.add('node_wifi_interface_frequency_hertz', 'The current frequency a WiFi interface is operating at, in hertz.', 'gauge', ifi.frequency * 1e6, { device });
    const bss = await unlessMissing(`failed to retrieve BSS for device ${device}`, () => source.bss(ifi));
    if (bss) {
      out.add('node_wifi_station_info', 'Labeled WiFi interface station information as provided by the operating system.', 'gauge', 1, {
        bssid: bss.bssid, device, mode: bssMode(bss.status), ssid: bss.ssid,
      });
    } else h.log?.('debug', 'BSS information not found for wifi device', { name: device });
    const stations = await unlessMissing(`failed to retrieve station info for device ${JSON.stringify(device)}`, () => source.stations(ifi));
    if (stations) for (const s of stations) addStation(out, device, s);
    else h.log?.('debug', 'station information not found for wifi device', { name: device });
  }
}

export const wifi: Collector = {
  name: 'wifi',
  enabledByDefault: false,
  flags: { 'collector.wifi.fixtures': flag.string('test fixtures to use for wifi collector metrics', '') },
  async collect(h, out, o) {
    const fixtures = flagValue<string>(o, 'collector.wifi.fixtures');
    await collectWifi(h, out, fixtures === '' ? nl80211Source(await hostCalls()) : fixtureSource(h, fixtures));
  },
};
