// runit (disabled by default): the state of each service under the service directory, read from
// the 20-byte `supervise/status` file runsv keeps (TAI64 timestamp, pid, want, state), with
// node_exporter 1.5's names and its supervisor="runit" label.
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Collector } from './collector.js';
import { flagValue } from './collector.js';
import { flag } from '../../util/flags.js';

const STATUS_BYTES = 20;
/** TAI64's label for 1970 (2^62 + 10: TAI ran 10 s ahead of UTC then). */
const TAI64_UNIX_EPOCH = 4611686018427387914n;
const WANT_UP = 1;
const WANT_DOWN = 0;

export interface RunitStatus {
  state: number;
  want: number;
  /** Unix seconds of the last state change. */
  changed: number;
  pid: number;
}

/**
 * The status file's fields. A file shorter than 20 bytes reads as if padded with zeros, as
 * upstream's reader has it; an empty one is no status at all.
 */
export function parseRunitStatus(bytes: Buffer): RunitStatus {
  if (bytes.length === 0) throw new Error('empty status file');
  const b = Buffer.alloc(STATUS_BYTES);
  bytes.copy(b, 0, 0, Math.min(bytes.length, STATUS_BYTES));
  const want = b[17] === 0x75 /* 'u' */ ? WANT_UP : WANT_DOWN;
  return { state: b[19]!, want, changed: Number(b.readBigUInt64BE(0) - TAI64_UNIX_EPOCH), pid: b.readUInt32LE(12) };
}

function readStatus(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(STATUS_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, STATUS_BYTES, null));
  } finally {
    closeSync(fd);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

export const runit: Collector = {
  name: 'runit',
  enabledByDefault: false,
  flags: {
    'collector.runit.servicedir': flag.string('Path to runit service directory.', '/etc/service'),
  },
  async collect(h, out, o) {
    const dir = flagValue<string>(o, 'collector.runit.servicedir');
    // Directories and symbolic links (the usual /etc/service/x -> /etc/sv/x), by name as Go lists them.
    const services = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name)
      .sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
    for (const service of services) {
      const supervise = join(dir, service, 'supervise');
      let status: RunitStatus;
      try {
        status = parseRunitStatus(readStatus(join(supervise, 'status')));
      } catch (e) {
        h.log?.('debug', "Couldn't get status", { service, err: e as Error });
        continue;
      }
      h.log?.('debug', 'duration', { service, status: status.state, pid: status.pid, duration_seconds: Math.floor(Date.now() / 1000) - status.changed });
      const labels = { service, supervisor: 'runit' };
      out.add('node_service_state', 'State of runit service.', 'gauge', status.state, labels);
      out.add('node_service_desired_state', 'Desired state of runit service.', 'gauge', status.want, labels);
      out.add('node_service_state_last_change_timestamp_seconds', 'Unix timestamp of the last runit service state change.', 'gauge', status.changed, labels);
      // Upstream's reader looks for `down` under supervise/ (runit keeps it in the service
      // directory itself), so a service reads as normally up unless supervise/down exists; kept
      // so the figures match node_exporter's.
      out.add('node_service_normal_state', 'Normal state of runit service.', 'gauge', exists(join(supervise, 'down')) ? 0 : 1, labels);
    }
  },
};
