// netclass: interface properties from /sys/class/net/<iface>. Files the kernel refuses to read
// (carrier, speed or duplex of a link that is down) are left out, as node_exporter does.
import { statSync } from 'node:fs';
import { flag } from '../../util/flags.js';
import type { Collector } from './collector.js';
import { flagValue } from './collector.js';

/** Metric suffix -> sysfs file. */
const PROPERTIES: [string, string][] = [
  ['address_assign_type', 'addr_assign_type'],
  ['carrier', 'carrier'],
  ['carrier_changes_total', 'carrier_changes'],
  ['carrier_up_changes_total', 'carrier_up_count'],
  ['carrier_down_changes_total', 'carrier_down_count'],
  ['device_id', 'dev_id'],
  ['dormant', 'dormant'],
  ['flags', 'flags'],
  ['iface_id', 'ifindex'],
  ['iface_link', 'iflink'],
  ['iface_link_mode', 'link_mode'],
  ['mtu_bytes', 'mtu'],
  ['name_assign_type', 'name_assign_type'],
  ['net_dev_group', 'netdev_group'],
  ['transmit_queue_length', 'tx_queue_len'],
  ['protocol_type', 'type'],
];

/** sysfs writes some of these in hex ("0x1003"). */
function parseNumber(text: string): number {
  const t = text.trim();
  return /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : Number(t);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export const netclass: Collector = {
  name: 'netclass',
  enabledByDefault: true,
  flags: { 'collector.netclass.ignore-invalid-speed': flag.bool('Ignore devices where the speed is invalid. This will be the default behavior in 2.x.') },
  async collect(h, out, o) {
    const base = h.sys('class', 'net');
    const devices = await h.list(base);
    if (devices.length === 0) throw new Error(`no network interfaces under ${base}`);
    const ignoreInvalidSpeed = flagValue<boolean>(o, 'collector.netclass.ignore-invalid-speed');
    await Promise.all(devices.map(async (device) => {
      if (o.netclassIgnoredDevices.test(device)) return;
      // /sys/class/net also holds plain files (bonding_masters): only interfaces are directories.
      if (!isDirectory(`${base}/${device}`)) return;
      const read = (f: string): Promise<string | undefined> => h.readOptional(`${base}/${device}/${f}`);
      const text = async (f: string): Promise<string> => (await read(f))?.trim() ?? '';
      const operstate = await text('operstate');
      out.add('node_network_info', 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', 'gauge', 1, {
        address: await text('address'), broadcast: await text('broadcast'), device, duplex: await text('duplex'), ifalias: await text('ifalias'), operstate,
      });
      out.add('node_network_up', "Value is 1 if operstate is 'up', 0 otherwise.", 'gauge', operstate === 'up' ? 1 : 0, { device });
      for (const [metric, file] of PROPERTIES) {
        const t = await read(file);
        if (t === undefined || t.trim() === '') continue;
        const v = parseNumber(t);
        if (Number.isNaN(v)) continue;
        out.add(`node_network_${metric}`, `Network device property: ${metric}`, metric.endsWith('_total') ? 'counter' : 'gauge', v, { device });
      }
      const speed = await read('speed');
      // Mbit/s to bytes/s; a link of unknown speed reports -1, which node_exporter passes on.
      if (speed !== undefined && speed.trim() !== '' && !Number.isNaN(Number(speed.trim())) && !(ignoreInvalidSpeed && Number(speed.trim()) < 0)) {
        out.add('node_network_speed_bytes', 'Network device property: speed_bytes', 'gauge', Number(speed.trim()) * 125000, { device });
      }
    }));
  },
};
