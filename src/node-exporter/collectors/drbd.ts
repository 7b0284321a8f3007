// drbd: DRBD replicated block devices from /proc/drbd (8.x format): per device the connection
// state, roles, disk states and the `key:value` counters (sizes in KiB).
import type { Collector } from './collector.js';
import { parseNumber } from './collector.js';

/** Counter key -> metric, help, type, multiplier. node_exporter keeps `nr` unscaled; so do we. */
const NUMERIC: Record<string, [string, string, 'counter' | 'gauge', number]> = {
  ns: ['network_sent_bytes_total', 'Total number of bytes sent via the network.', 'counter', 1024],
  nr: ['network_received_bytes_total', 'Total number of bytes received via the network.', 'counter', 1],
  dw: ['disk_written_bytes_total', 'Net data written on local hard disk; in bytes.', 'counter', 1024],
  dr: ['disk_read_bytes_total', 'Net data read from local hard disk; in bytes.', 'counter', 1024],
  al: ['activitylog_writes_total', 'Number of updates of the activity log area of the meta data.', 'counter', 1],
  bm: ['bitmap_writes_total', 'Number of updates of the bitmap area of the meta data.', 'counter', 1],
  lo: ['local_pending', 'Number of open requests to the local I/O sub-system.', 'gauge', 1],
  pe: ['remote_pending', 'Number of requests sent to the peer, but that have not yet been answered by the latter.', 'gauge', 1],
  ua: ['remote_unacknowledged', 'Number of requests received by the peer via the network connection, but that have not yet been answered.', 'gauge', 1],
  ap: ['application_pending', 'Number of block I/O requests forwarded to DRBD, but not yet answered by DRBD.', 'gauge', 1],
  ep: ['epochs', 'Number of Epochs currently on the fly.', 'gauge', 1],
  oos: ['out_of_sync_bytes', 'Amount of data known to be out of sync; in bytes.', 'gauge', 1024],
};

export const drbd: Collector = {
  name: 'drbd',
  enabledByDefault: false,
  async collect(h, out) {
    let device: string | undefined;
    for (const line of (await h.read(h.proc('drbd'))).split('\n')) {
      const head = /^\s*(\d+): (.*)$/.exec(line);
      if (head) device = `drbd${head[1]}`;
      if (device === undefined) continue;
      const labels = { device };
      for (const field of (head ? head[2]! : line).trim().split(/\s+/)) {
        const i = field.indexOf(':');
        if (i <= 0) continue;
        const key = field.slice(0, i);
        const value = field.slice(i + 1);
        const numeric = NUMERIC[key];
        if (numeric) {
          out.add(`node_drbd_${numeric[0]}`, numeric[1], numeric[2], parseNumber(value, `drbd ${device} ${key}`) * numeric[3], labels);
        } else if (key === 'cs') {
          out.add('node_drbd_connected', 'Whether DRBD is connected to the peer.', 'gauge', value === 'Connected' ? 1 : 0, labels);
        } else if (key === 'ro' || key === 'ds') {
          const [local, remote] = value.split('/');
          const [name, help, want] = key === 'ro'
            ? ['node_drbd_node_role_is_primary', 'Whether the role of the node is in the primary state.', 'Primary']
            : ['node_drbd_disk_state_is_up_to_date', 'Whether the disk of the node is up to date.', 'UpToDate'];
          out.add(name, help, 'gauge', local === want ? 1 : 0, { device, node: 'local' });
          out.add(name, help, 'gauge', remote === want ? 1 : 0, { device, node: 'remote' });
        }
      }
    }
  },
};
