// mountstats: NFS client statistics per mount from /proc/self/mountstats (bytes, events, RPC
// transport and per-operation counters), labelled with the server address from the matching
// /proc/self/mountinfo entry (both files list mounts in the same order). A mount of the same export
// over the same protocol and address is counted once, as node_exporter counts it.
import type { FamilySet } from '../metrics.js';
import type { Collector } from './collector.js';
import { parseNumber } from './collector.js';

const P = 'node_mountstats_nfs_';
/** Go keeps the millisecond counters below 2^53 before scaling them, so they stay exact as floats. */
const FLOAT64_MANTISSA = 9007199254740992n;

const BYTES: [string, string][] = [
  ['read_bytes_total', 'Number of bytes read using the read() syscall.'],
  ['write_bytes_total', 'Number of bytes written using the write() syscall.'],
  ['direct_read_bytes_total', 'Number of bytes read using the read() syscall in O_DIRECT mode.'],
  ['direct_write_bytes_total', 'Number of bytes written using the write() syscall in O_DIRECT mode.'],
  ['total_read_bytes_total', 'Number of bytes read from the NFS server, in total.'],
  ['total_write_bytes_total', 'Number of bytes written to the NFS server, in total.'],
  ['read_pages_total', "Number of pages read directly via mmap()'d files."],
  ['write_pages_total', "Number of pages written directly via mmap()'d files."],
];

/** The events line's columns; undefined: not exported (congestion waits). */
const EVENTS: ([string, string] | undefined)[] = [
  ['inode_revalidate', 'Number of times cached inode attributes are re-validated from the server.'],
  ['dnode_revalidate', 'Number of times cached dentry nodes are re-validated from the server.'],
  ['data_invalidate', 'Number of times an inode cache is cleared.'],
  ['attribute_invalidate', 'Number of times cached inode attributes are invalidated.'],
  ['vfs_open', 'Number of times cached inode attributes are invalidated.'],
  ['vfs_lookup', 'Number of times a directory lookup has occurred.'],
  ['vfs_access', 'Number of times permissions have been checked.'],
  ['vfs_update_page', 'Number of updates (and potential writes) to pages.'],
  ['vfs_read_page', "Number of pages read directly via mmap()'d files."],
  ['vfs_read_pages', 'Number of times a group of pages have been read.'],
  ['vfs_write_page', "Number of pages written directly via mmap()'d files."],
  ['vfs_write_pages', 'Number of times a group of pages have been written.'],
  ['vfs_getdents', 'Number of times directory entries have been read with getdents().'],
  ['vfs_setattr', 'Number of times directory entries have been read with getdents().'],
  ['vfs_flush', 'Number of pending writes that have been forcefully flushed to the server.'],
  ['vfs_fsync', 'Number of times fsync() has been called on directories and files.'],
  ['vfs_lock', 'Number of times locking has been attempted on a file.'],
  ['vfs_file_release', 'Number of times files have been closed and released.'],
  undefined,
  ['truncation', 'Number of times files have been truncated.'],
  ['write_extension', 'Number of times a file has been grown due to writes beyond its existing end.'],
  ['silly_rename', 'Number of times a file was removed while still open by another process.'],
  ['short_read', 'Number of times the NFS server gave less data than expected while reading.'],
  ['short_write', 'Number of times the NFS server wrote less data than expected while writing.'],
  ['jukebox_delay', 'Number of times the NFS server indicated EJUKEBOX; retrieving data from offline storage.'],
  ['pnfs_read', 'Number of NFS v4.1+ pNFS reads.'],
  ['pnfs_write', 'Number of NFS v4.1+ pNFS writes.'],
];

/** xprt columns after the protocol, per protocol (statvers 1.1). */
const XPRT_COLUMNS: Record<string, string[]> = {
  tcp: ['port', 'bind', 'connect', 'connect_idle', 'idle', 'sends', 'receives', 'bad_xids', 'req', 'backlog', 'max_slots', 'sending', 'pending'],
  udp: ['port', 'bind', 'sends', 'receives', 'bad_xids', 'req', 'backlog', 'max_slots', 'sending', 'pending'],
};
const TRANSPORT: [string, string, 'counter' | 'gauge', string][] = [
  ['bind', 'transport_bind_total', 'counter', 'Number of times the client has had to establish a connection from scratch to the NFS server.'],
  ['connect', 'transport_connect_total', 'counter', 'Number of times the client has made a TCP connection to the NFS server.'],
  ['idle', 'transport_idle_time_seconds', 'gauge', 'Duration since the NFS mount last saw any RPC traffic, in seconds.'],
  ['sends', 'transport_sends_total', 'counter', 'Number of RPC requests for this mount sent to the NFS server.'],
  ['receives', 'transport_receives_total', 'counter', 'Number of RPC responses for this mount received from the NFS server.'],
  ['bad_xids', 'transport_bad_transaction_ids_total', 'counter', 'Number of times the NFS server sent a response with a transaction ID unknown to this client.'],
  ['backlog', 'transport_backlog_queue_total', 'counter', 'Total number of items added to the RPC backlog queue.'],
  ['max_slots', 'transport_maximum_rpc_slots', 'gauge', 'Maximum number of simultaneously active RPC requests ever used.'],
  ['sending', 'transport_sending_queue_total', 'counter', 'Total number of items added to the RPC transmission sending queue.'],
  ['pending', 'transport_pending_queue_total', 'counter', 'Total number of items added to the RPC transmission pending queue.'],
];

const OPERATIONS: [string, string, boolean][] = [
  ['operations_requests_total', 'Number of requests performed for a given operation.', false],
  ['operations_transmissions_total', 'Number of times an actual RPC request has been transmitted for a given operation.', false],
  ['operations_major_timeouts_total', 'Number of times a request has had a major timeout for a given operation.', false],
  ['operations_sent_bytes_total', 'Number of bytes sent for a given operation, including RPC headers and payload.', false],
  ['operations_received_bytes_total', 'Number of bytes received for a given operation, including RPC headers and payload.', false],
  ['operations_queue_time_seconds_total', 'Duration all requests spent queued for transmission for a given operation before they were sent, in seconds.', true],
  ['operations_response_time_seconds_total', 'Duration all requests took to get a reply back after a request for a given operation was transmitted, in seconds.', true],
  ['operations_request_time_seconds_total', 'Duration all requests took from when a request was enqueued to when it was completely handled for a given operation, in seconds.', true],
];

interface NfsMount {
  device: string;
  lines: string[];
}

/** Each mount's device and statistics lines; only NFS mounts with statvers=1.1 have them. */
function mounts(text: string): { device: string; nfs?: NfsMount }[] {
  const out: { device: string; nfs?: NfsMount }[] = [];
  for (const line of text.split('\n')) {
    const m = /^device (\S+) mounted on \S+ with fstype (\S+)(?: statvers=(\S+))?/.exec(line);
    if (m) {
      out.push({ device: m[1]!, nfs: /^nfs4?$/.test(m[2]!) && m[3] === '1.1' ? { device: m[1]!, lines: [] } : undefined });
      continue;
    }
    out[out.length - 1]?.nfs?.lines.push(line.trim());
  }
  return out;
}

function emitNfs(out: FamilySet, m: NfsMount, where: string, address: string): string | undefined {
  const field = (key: string): string[] | undefined => {
    const l = m.lines.find((x) => x.startsWith(`${key}:`));
    return l?.slice(key.length + 1).trim().split(/\s+/);
  };
  const xprt = field('xprt');
  const protocol = xprt?.[0] ?? '';
  const labels = { export: m.device, mountaddr: address, protocol };
  const n = (v: string | undefined, what: string): number => parseNumber(v ?? '', `${where} ${m.device} ${what}`);
  out.add(`${P}age_seconds_total`, 'The age of the NFS mount in seconds.', 'counter', n(field('age')?.[0], 'age'), labels);
  const bytes = field('bytes') ?? [];
  BYTES.forEach(([name, help], i) => out.add(`${P}${name}`, help, 'counter', n(bytes[i], 'bytes'), labels));
  const events = field('events') ?? [];
  EVENTS.forEach((e, i) => {
    if (e) out.add(`${P}event_${e[0]}_total`, e[1], 'counter', n(events[i], 'events'), labels);
  });
  const columns = XPRT_COLUMNS[protocol];
  if (!columns || !xprt || xprt.length - 1 < columns.length) throw new Error(`${where} ${m.device}: unexpected xprt line`);
  const values = new Map(columns.map((c, i) => [c, xprt[i + 1]!]));
  for (const [key, name, type, help] of TRANSPORT) out.add(`${P}${name}`, help, type, values.has(key) ? n(values.get(key), `xprt ${key}`) : 0, labels);
  const opsStart = m.lines.indexOf('per-op statistics');
  for (const line of opsStart < 0 ? [] : m.lines.slice(opsStart + 1)) {
    const op = /^([A-Z_0-9]+):\s+(.*)$/.exec(line);
    if (!op) continue;
    const v = op[2]!.trim().split(/\s+/);
    if (v.length < 8) throw new Error(`${where} ${m.device}: ${op[1]} has ${v.length} counters`);
    OPERATIONS.forEach(([name, help, milliseconds], i) => {
      const value = milliseconds ? Number(BigInt(v[i]!) % FLOAT64_MANTISSA) / 1000 : n(v[i], op[1]!);
      out.add(`${P}${name}`, help, 'counter', value, { ...labels, operation: op[1]! });
    });
  }
  return protocol;
}

export const mountstats: Collector = {
  name: 'mountstats',
  enabledByDefault: false,
  async collect(h, out) {
    const statsPath = h.proc('self', 'mountstats');
    const list = mounts(await h.read(statsPath));
    const info = ((await h.readOptional(h.proc('self', 'mountinfo'))) ?? '').split('\n').filter((l) => l.trim() !== '');
    const seen = new Set<string>();
    list.forEach((mount, i) => {
      if (!mount.nfs) return;
      // The super options after " - <fstype> <source> " carry the server address.
      const superOptions = info[i]?.split(' - ')[1]?.split(' ')[2] ?? '';
      const address = /(?:^|,)addr=([^,]*)/.exec(superOptions)?.[1] ?? '';
      const protocol = mount.nfs.lines.find((l) => l.startsWith('xprt:'))?.split(/\s+/)[1] ?? '';
      const key = `${mount.device}\0${protocol}\0${address}`;
      if (seen.has(key)) return;
      seen.add(key);
      emitNfs(out, mount.nfs, statsPath, address);
    });
  },
};
