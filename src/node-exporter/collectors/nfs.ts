// nfs and nfsd: NFS client and server statistics from /proc/net/rpc/nfs and /proc/net/rpc/nfsd.
// Each procN line is a count followed by one counter per procedure, in the kernel's order.
import type { FamilySet } from '../metrics.js';
import type { Collector } from './collector.js';
import { parseNumber, NoDataError } from './collector.js';

const V2 = ['Null', 'GetAttr', 'SetAttr', 'Root', 'Lookup', 'ReadLink', 'Read', 'WrCache', 'Write', 'Create', 'Remove', 'Rename', 'Link', 'SymLink', 'MkDir', 'RmDir', 'ReadDir', 'FsStat'];
const V3 = ['Null', 'GetAttr', 'SetAttr', 'Lookup', 'Access', 'ReadLink', 'Read', 'Write', 'Create', 'MkDir', 'SymLink', 'MkNod', 'Remove', 'RmDir', 'Rename', 'Link', 'ReadDir', 'ReadDirPlus', 'FsStat', 'FsInfo', 'PathConf', 'Commit'];
const CLIENT_V4 = [
  'Null', 'Read', 'Write', 'Commit', 'Open', 'OpenConfirm', 'OpenNoattr', 'OpenDowngrade', 'Close', 'Setattr', 'FsInfo', 'Renew', 'SetClientID', 'SetClientIDConfirm',
  'Lock', 'Lockt', 'Locku', 'Access', 'Getattr', 'Lookup', 'LookupRoot', 'Remove', 'Rename', 'Link', 'Symlink', 'Create', 'Pathconf', 'StatFs', 'ReadLink', 'ReadDir',
  'ServerCaps', 'DelegReturn', 'GetACL', 'SetACL', 'FsLocations', 'ReleaseLockowner', 'Secinfo', 'FsidPresent', 'ExchangeID', 'CreateSession', 'DestroySession',
  'Sequence', 'GetLeaseTime', 'ReclaimComplete', 'LayoutGet', 'GetDeviceInfo', 'LayoutCommit', 'LayoutReturn', 'SecinfoNoName', 'TestStateID', 'FreeStateID',
  'GetDeviceList', 'BindConnToSession', 'DestroyClientID', 'Seek', 'Allocate', 'DeAllocate', 'LayoutStats', 'Clone',
];
/** proc4ops columns; undefined: operations node_exporter does not report. */
const SERVER_V4_OPS: (string | undefined)[] = [
  undefined, undefined, undefined, 'Access', 'Close', 'Commit', 'Create', 'DelegPurge', 'DelegReturn', 'GetAttr', 'GetFH', 'Link', 'Lock', 'Lockt', 'Locku', 'Lookup',
  'LookupRoot', 'Nverify', 'Open', 'OpenAttr', 'OpenConfirm', 'OpenDgrd', 'PutFH', undefined, undefined, 'Read', 'ReadDir', 'ReadLink', 'Remove', 'Rename', 'Renew',
  'RestoreFH', 'SaveFH', 'SecInfo', 'SetAttr', 'Verify', 'Write', 'RelLockOwner',
];

/** The lines of an rpc statistics file by their first word. */
function rpcLines(text: string, where: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (!key) continue;
    out.set(key, rest.map((v) => parseNumber(v, `${where} ${key}`)));
  }
  return out;
}

/** A procN line: the count, then the counters; missing trailing counters (older kernels) are 0. */
function procedures(out: FamilySet, name: string, help: string, line: number[] | undefined, names: readonly (string | undefined)[], proto: string, skipNull: boolean): void {
  if (!line) return;
  const values = line.slice(1);
  names.forEach((method, i) => {
    if (method === undefined || (skipNull && method === 'Null')) return;
    out.add(name, help, 'counter', values[i] ?? 0, { method, proto });
  });
}

export const nfs: Collector = {
  name: 'nfs',
  enabledByDefault: true,
  async collect(h, out) {
    const path = h.proc('net', 'rpc', 'nfs');
    const text = await h.readOptional(path);
    if (text === undefined) throw new NoDataError(`no ${path}: the NFS client is not loaded`);
    const l = rpcLines(text, path);
    const net = l.get('net');
    const rpc = l.get('rpc');
    if (!net || net.length < 4 || !rpc || rpc.length < 3) throw new Error(`${path}: missing or truncated net/rpc lines`);
    out.add('node_nfs_packets_total', 'Total NFSd network packets (sent+received) by protocol type.', 'counter', net[1]!, { protocol: 'udp' });
    out.add('node_nfs_packets_total', 'Total NFSd network packets (sent+received) by protocol type.', 'counter', net[2]!, { protocol: 'tcp' });
    out.add('node_nfs_connections_total', 'Total number of NFSd TCP connections.', 'counter', net[3]!);
    out.add('node_nfs_rpcs_total', 'Total number of RPCs performed.', 'counter', rpc[0]!);
    out.add('node_nfs_rpc_retransmissions_total', 'Number of RPC transmissions performed.', 'counter', rpc[1]!);
    out.add('node_nfs_rpc_authentication_refreshes_total', 'Number of RPC authentication refreshes performed.', 'counter', rpc[2]!);
    const help = 'Number of NFS procedures invoked.';
    procedures(out, 'node_nfs_requests_total', help, l.get('proc2'), V2, '2', false);
    procedures(out, 'node_nfs_requests_total', help, l.get('proc3'), V3, '3', false);
    procedures(out, 'node_nfs_requests_total', help, l.get('proc4'), CLIENT_V4, '4', false);
  },
};

export const nfsd: Collector = {
  name: 'nfsd',
  enabledByDefault: true,
  async collect(h, out) {
    const path = h.proc('net', 'rpc', 'nfsd');
    const text = await h.readOptional(path);
    if (text === undefined) throw new NoDataError(`no ${path}: the NFS server is not loaded`);
    const l = rpcLines(text, path);
    const need = (key: string, n: number): number[] => {
      const v = l.get(key);
      if (!v || v.length < n) throw new Error(`${path}: missing or truncated ${key} line`);
      return v;
    };
    const [rc, fh, io, th, ra, net, rpc] = [need('rc', 3), need('fh', 1), need('io', 2), need('th', 1), need('ra', 12), need('net', 4), need('rpc', 5)];
    out.add('node_nfsd_reply_cache_hits_total', 'Total number of NFSd Reply Cache hits (client lost server response).', 'counter', rc[0]!);
    out.add('node_nfsd_reply_cache_misses_total', 'Total number of NFSd Reply Cache an operation that requires caching (idempotent).', 'counter', rc[1]!);
    out.add('node_nfsd_reply_cache_nocache_total', 'Total number of NFSd Reply Cache non-idempotent operations (rename/delete/…).', 'counter', rc[2]!);
    out.add('node_nfsd_file_handles_stale_total', 'Total number of NFSd stale file handles', 'counter', fh[0]!);
    out.add('node_nfsd_disk_bytes_read_total', 'Total NFSd bytes read.', 'counter', io[0]!);
    out.add('node_nfsd_disk_bytes_written_total', 'Total NFSd bytes written.', 'counter', io[1]!);
    out.add('node_nfsd_server_threads', 'Total number of NFSd kernel threads that are running.', 'gauge', th[0]!);
    out.add('node_nfsd_read_ahead_cache_size_blocks', 'How large the read ahead cache is in blocks.', 'gauge', ra[0]!);
    out.add('node_nfsd_read_ahead_cache_not_found_total', 'Total number of NFSd read ahead cache not found.', 'counter', ra[11]!);
    out.add('node_nfsd_packets_total', 'Total NFSd network packets (sent+received) by protocol type.', 'counter', net[1]!, { proto: 'udp' });
    out.add('node_nfsd_packets_total', 'Total NFSd network packets (sent+received) by protocol type.', 'counter', net[2]!, { proto: 'tcp' });
    out.add('node_nfsd_connections_total', 'Total number of NFSd TCP connections.', 'counter', net[3]!);
    out.add('node_nfsd_server_rpcs_total', 'Total number of NFSd RPCs.', 'counter', rpc[0]!);
    out.add('node_nfsd_rpc_errors_total', 'Total number of NFSd RPC errors by error type.', 'counter', rpc[2]!, { error: 'fmt' });
    out.add('node_nfsd_rpc_errors_total', 'Total number of NFSd RPC errors by error type.', 'counter', rpc[3]!, { error: 'auth' });
    out.add('node_nfsd_rpc_errors_total', 'Total number of NFSd RPC errors by error type.', 'counter', rpc[4]!, { error: 'cInt' });
    const help = 'Total number NFSd Requests by method and protocol.';
    procedures(out, 'node_nfsd_requests_total', help, l.get('proc2'), V2, '2', true);
    procedures(out, 'node_nfsd_requests_total', help, l.get('proc3'), V3, '3', true);
    procedures(out, 'node_nfsd_requests_total', help, l.get('proc4ops'), SERVER_V4_OPS, '4', true);
  },
};
