// qdisc and wifi: node_exporter reads these over netlink (rtnetlink traffic control, nl80211),
// which Node cannot open without a native addon. Both collectors take upstream's fixture hook
// (--collector.qdisc.fixtures, --collector.wifi.fixtures: JSON files of what netlink would answer)
// and report exactly what node_exporter reports from them; without fixtures they fail with the
// reason (both are off by default in node_exporter too).
import { join } from 'node:path';
import type { HostFiles } from '../context.js';
import type { Collector } from './collector.js';
import { flagValue, optionalRegexpFlag } from './collector.js';
import { flag } from '../../util/flags.js';

async function json(h: HostFiles, path: string): Promise<unknown> {
  const text = await h.read(path);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

export const qdisc: Collector = {
  name: 'qdisc',
  enabledByDefault: false,
  flags: {
    'collector.qdisc.fixtures': flag.string('test fixtures to use for qdisc collector end-to-end testing', ''),
    // node_exporter 1.5 spells these "qdisk"; the same names keep its command lines working.
    'collector.qdisk.device-include': optionalRegexpFlag('Regexp of qdisk devices to include (mutually exclusive to device-exclude).'),
    'collector.qdisk.device-exclude': optionalRegexpFlag('Regexp of qdisk devices to exclude (mutually exclusive to device-include).'),
  },
  async collect(h, out, o) {
    const fixtures = flagValue<string>(o, 'collector.qdisc.fixtures');
    if (fixtures === '') throw new Error('qdisc statistics come over rtnetlink, which this exporter cannot open; only --collector.qdisc.fixtures is supported');
    const include = flagValue<RegExp | undefined>(o, 'collector.qdisk.device-include');
    const exclude = flagValue<RegExp | undefined>(o, 'collector.qdisk.device-exclude');
    const list = await json(h, join(fixtures, 'results.json'));
    if (!Array.isArray(list)) throw new Error(`${fixtures}/results.json: not a list`);
    for (const q of list as Record<string, unknown>[]) {
      const device = String(q['IfaceName'] ?? '');
      if ((include && !include.test(device)) || (exclude && exclude.test(device))) continue;
      const labels = { device, kind: String(q['Kind'] ?? '') };
      out.add('node_qdisc_packets_total', 'Number of packets sent.', 'counter', num(q['Packets']), labels);
      out.add('node_qdisc_bytes_total', 'Number of bytes sent.', 'counter', num(q['Bytes']), labels);
      out.add('node_qdisc_drops_total', 'Number of packets dropped.', 'counter', num(q['Drops']), labels);
      out.add('node_qdisc_requeues_total', 'Number of packets dequeued, not transmitted, and requeued.', 'counter', num(q['Requeues']), labels);
      out.add('node_qdisc_overlimits_total', 'Number of overlimit packets.', 'counter', num(q['Overlimits']), labels);
      out.add('node_qdisc_current_queue_length', 'Number of packets currently in queue to be sent.', 'gauge', num(q['Qlen']), labels);
      out.add('node_qdisc_backlog', 'Number of bytes currently in queue to be sent.', 'gauge', num(q['Backlog']), labels);
    }
  },
};

/** nl80211 interface types by number, named as node_exporter names them. */
const WIFI_MODES: Record<number, string> = { 1: 'ad-hoc', 2: 'client', 3: 'access point', 6: 'monitor', 7: 'mesh point', 8: 'P2P client', 9: 'P2P group owner' };

function mac(base64: unknown): string {
  return [...Buffer.from(String(base64 ?? ''), 'base64')].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export const wifi: Collector = {
  name: 'wifi',
  enabledByDefault: false,
  flags: { 'collector.wifi.fixtures': flag.string('test fixtures to use for wifi collector metrics', '') },
  async collect(h, out, o) {
    const fixtures = flagValue<string>(o, 'collector.wifi.fixtures');
    if (fixtures === '') throw new Error('WiFi statistics come over nl80211 netlink, which this exporter cannot open; only --collector.wifi.fixtures is supported');
    const interfaces = await json(h, join(fixtures, 'interfaces.json'));
    if (!Array.isArray(interfaces)) throw new Error(`${fixtures}/interfaces.json: not a list`);
    for (const ifi of interfaces as Record<string, unknown>[]) {
      const device = typeof ifi['name'] === 'string' ? ifi['name'] : '';
      // Interfaces without a name (P2P devices) have no network device to report on.
      if (device === '') continue;
      const freq = num(ifi['frequency']);
      if (freq !== 0) out.add('node_wifi_interface_frequency_hertz', 'The current frequency a WiFi interface is operating at, in hertz.', 'gauge', freq * 1e6, { device });
      const bssPath = join(fixtures, device, 'bss.json');
      if ((await h.readOptional(bssPath)) !== undefined) {
        const bss = (await json(h, bssPath)) as Record<string, unknown>;
        out.add('node_wifi_station_info', 'Labeled WiFi interface station information as provided by the operating system.', 'gauge', 1, {
          bssid: mac(bss['bssid']), device, mode: WIFI_MODES[num(ifi['type'])] ?? 'other', ssid: String(bss['ssid'] ?? ''),
        });
      }
      const stationsPath = join(fixtures, device, 'stationinfo.json');
      if ((await h.readOptional(stationsPath)) === undefined) continue;
      const stations = await json(h, stationsPath);
      for (const s of (Array.isArray(stations) ? stations : []) as Record<string, unknown>[]) {
        const labels = { device, mac_address: mac(s['hardwareaddr']) };
        out.add('node_wifi_station_connected_seconds_total', 'The total number of seconds a station has been connected to an access point.', 'counter', num(s['connected']) / 1e9, labels);
        out.add('node_wifi_station_inactive_seconds', 'The number of seconds since any wireless activity has occurred on a station.', 'gauge', num(s['inactive']) / 1e9, labels);
        out.add('node_wifi_station_receive_bits_per_second', 'The current WiFi receive bitrate of a station, in bits per second.', 'gauge', num(s['receivebitrate']), labels);
        out.add('node_wifi_station_transmit_bits_per_second', 'The current WiFi transmit bitrate of a station, in bits per second.', 'gauge', num(s['transmitbitrate']), labels);
        out.add('node_wifi_station_receive_bytes_total', 'The total number of bytes received by a WiFi station.', 'counter', num(s['receivedbytes']), labels);
        out.add('node_wifi_station_transmit_bytes_total', 'The total number of bytes transmitted by a WiFi station.', 'counter', num(s['transmittedbytes']), labels);
        out.add('node_wifi_station_signal_dbm', 'The current WiFi signal strength, in decibel-milliwatts (dBm).', 'gauge', num(s['signal']), labels);
        out.add('node_wifi_station_transmit_retries_total', 'The total number of times a station has had to retry while sending a packet.', 'counter', num(s['transmitretries']), labels);
        out.add('node_wifi_station_transmit_failed_total', 'The total number of times a station has failed to send a packet.', 'counter', num(s['transmitfailed']), labels);
        out.add('node_wifi_station_beacon_loss_total', 'The total number of times a station has detected a beacon loss.', 'counter', num(s['beaconloss']), labels);
      }
    }
  },
};
