// infiniband: InfiniBand HCAs and their ports from /sys/class/infiniband. Counter files the
// adapter does not support read "N/A (no PMA)" and are left out, as node_exporter leaves them out.
// The *_data counters count 4-byte words.
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';
import type { Collector } from './collector.js';
import { NoDataError } from './collector.js';

/** [directory, file, metric suffix, help, multiplier] */
const COUNTERS: [string, string, string, string, number][] = [
  ['counters', 'link_downed', 'link_downed_total', 'Number of times the link failed to recover from an error state and went down', 1],
  ['counters', 'link_error_recovery', 'link_error_recovery_total', 'Number of times the link successfully recovered from an error state', 1],
  ['counters', 'multicast_rcv_packets', 'multicast_packets_received_total', 'Number of multicast packets received (including errors)', 1],
  ['counters', 'multicast_xmit_packets', 'multicast_packets_transmitted_total', 'Number of multicast packets transmitted (including errors)', 1],
  ['counters', 'port_rcv_constraint_errors', 'port_constraint_errors_received_total', 'Number of packets received on the switch physical port that are discarded', 1],
  ['counters', 'port_xmit_constraint_errors', 'port_constraint_errors_transmitted_total', 'Number of packets not transmitted from the switch physical port', 1],
  ['counters', 'port_rcv_data', 'port_data_received_bytes_total', 'Number of data octets received on all links', 4],
  ['counters', 'port_xmit_data', 'port_data_transmitted_bytes_total', 'Number of data octets transmitted on all links', 4],
  ['counters', 'port_rcv_discards', 'port_discards_received_total', 'Number of inbound packets discarded by the port because the port is down or congested', 1],
  ['counters', 'port_xmit_discards', 'port_discards_transmitted_total', 'Number of outbound packets discarded by the port because the port is down or congested', 1],
  ['counters', 'port_rcv_errors', 'port_errors_received_total', 'Number of packets containing an error that were received on this port', 1],
  ['counters', 'port_rcv_packets', 'port_packets_received_total', 'Number of packets received on all VLs by this port (including errors)', 1],
  ['counters', 'port_xmit_packets', 'port_packets_transmitted_total', 'Number of packets transmitted on all VLs from this port (including errors)', 1],
  ['counters', 'port_xmit_wait', 'port_transmit_wait_total', 'Number of ticks during which the port had data to transmit but no data was sent during the entire tick', 1],
  ['counters', 'unicast_rcv_packets', 'unicast_packets_received_total', 'Number of unicast packets received (including errors)', 1],
  ['counters', 'unicast_xmit_packets', 'unicast_packets_transmitted_total', 'Number of unicast packets transmitted (including errors)', 1],
  ['counters_ext', 'port_rcv_data_64', 'legacy_data_received_bytes_total', 'Number of data octets received on all links', 4],
  ['counters_ext', 'port_xmit_data_64', 'legacy_data_transmitted_bytes_total', 'Number of data octets transmitted on all links', 4],
  ['counters_ext', 'port_multicast_rcv_packets', 'legacy_multicast_packets_received_total', 'Number of multicast packets received', 1],
  ['counters_ext', 'port_multicast_xmit_packets', 'legacy_multicast_packets_transmitted_total', 'Number of multicast packets transmitted', 1],
  ['counters_ext', 'port_rcv_packets_64', 'legacy_packets_received_total', 'Number of data packets received on all links', 1],
  ['counters_ext', 'port_xmit_packets_64', 'legacy_packets_transmitted_total', 'Number of data packets received on all links', 1],
  ['counters_ext', 'port_unicast_rcv_packets', 'legacy_unicast_packets_received_total', 'Number of unicast packets received', 1],
  ['counters_ext', 'port_unicast_xmit_packets', 'legacy_unicast_packets_transmitted_total', 'Number of unicast packets transmitted', 1],
];

/** "4: ACTIVE" -> 4. */
function stateId(text: string | undefined, where: string): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+):/.exec(text);
  if (!m) throw new Error(`${where}: unexpected state ${JSON.stringify(text.trim())}`);
  return Number(m[1]);
}

/** "40 Gb/sec (4X QDR)" -> bytes per second. */
function rateBytes(text: string | undefined, where: string): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*([\d.]+)\s+Gb\/sec/.exec(text);
  if (!m) throw new Error(`${where}: unexpected rate ${JSON.stringify(text.trim())}`);
  return (Number(m[1]) * 1e9) / 8;
}

async function port(h: HostFiles, out: FamilySet, device: string, portDir: string, portNum: string): Promise<void> {
  const labels = { device, port: portNum };
  const state = stateId(await h.readOptional(`${portDir}/state`), `${portDir}/state`);
  if (state !== undefined) out.add('node_infiniband_state_id', 'State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)', 'gauge', state, labels);
  const phys = stateId(await h.readOptional(`${portDir}/phys_state`), `${portDir}/phys_state`);
  if (phys !== undefined) out.add('node_infiniband_physical_state_id', 'Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: phytest)', 'gauge', phys, labels);
  const rate = rateBytes(await h.readOptional(`${portDir}/rate`), `${portDir}/rate`);
  if (rate !== undefined) out.add('node_infiniband_rate_bytes_per_second', 'Maximum signal transfer rate', 'gauge', rate, labels);
  for (const [dir, file, suffix, help, multiplier] of COUNTERS) {
    const text = (await h.readOptional(`${portDir}/${dir}/${file}`))?.trim();
    if (text === undefined || !/^\d+$/.test(text)) continue; // absent or "N/A (no PMA)"
    out.add(`node_infiniband_${suffix}`, help, 'counter', Number(text) * multiplier, labels);
  }
}

export const infiniband: Collector = {
  name: 'infiniband',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('class', 'infiniband');
    const devices = await h.list(base);
    if (devices.length === 0) throw new NoDataError(`no InfiniBand devices under ${base}`);
    for (const device of devices) {
      const text = async (f: string): Promise<string> => (await h.readOptional(`${base}/${device}/${f}`))?.trim() ?? '';
      out.add('node_infiniband_info', 'Non-numeric data from /sys/class/infiniband/<device>, value is always 1.', 'gauge', 1, {
        board_id: await text('board_id'), device, firmware_version: await text('fw_ver'), hca_type: await text('hca_type'),
      });
      for (const p of await h.list(`${base}/${device}/ports`)) await port(h, out, device, `${base}/${device}/ports/${p}`, p);
    }
  },
};
