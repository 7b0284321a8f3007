// btrfs: filesystems under /sys/fs/btrfs/<uuid> (allocation per block group type and layout,
// device sizes); ipvs: IP Virtual Server totals and backends from /proc/net/ip_vs*.
import type { Collector } from './collector.js';
import { flagValue, parseNumber, NoDataError } from './collector.js';
import { flag } from '../../util/flags.js';

const BLOCK_GROUP_TYPES = ['data', 'metadata', 'system'];

/** Raw bytes written per byte stored, for a layout over `devices` devices. */
function allocationRatio(mode: string, devices: number): number {
  switch (mode) {
    case 'dup': case 'raid1': case 'raid10': return 2;
    case 'raid1c3': return 3;
    case 'raid1c4': return 4;
    case 'raid5': return devices / (devices - 1);
    case 'raid6': return devices / (devices - 2);
    default: return 1; // single, raid0
  }
}

export const btrfs: Collector = {
  name: 'btrfs',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('fs', 'btrfs');
    for (const uuid of (await h.list(base)).filter((e) => /^[0-9a-f-]{36}$/.test(e))) {
      const dir = `${base}/${uuid}`;
      const num = async (f: string): Promise<number> => parseNumber(await h.read(`${dir}/${f}`), `${dir}/${f}`);
      out.add('node_btrfs_info', 'Filesystem information', 'gauge', 1, { label: ((await h.readOptional(`${dir}/label`)) ?? '').trim(), uuid });
      out.add('node_btrfs_global_rsv_size_bytes', 'Size of global reserve.', 'gauge', await num('allocation/global_rsv_size'), { uuid });
      const devices = await h.list(`${dir}/devices`);
      for (const device of devices) {
        // sysfs counts block devices in 512-byte sectors.
        out.add('node_btrfs_device_size_bytes', 'Size of a device that is part of the filesystem.', 'gauge', (await num(`devices/${device}/size`)) * 512, { device, uuid });
      }
      for (const type of BLOCK_GROUP_TYPES) {
        const tdir = `allocation/${type}`;
        out.add('node_btrfs_reserved_bytes', 'Amount of space reserved for a data type', 'gauge', await num(`${tdir}/bytes_reserved`), { block_group_type: type, uuid });
        for (const mode of (await h.list(`${dir}/${tdir}`)).filter((e) => /^(single|dup|raid\w+)$/.test(e))) {
          const labels = { block_group_type: type, mode, uuid };
          out.add('node_btrfs_size_bytes', 'Amount of space allocated for a layout/data type', 'gauge', await num(`${tdir}/${mode}/total_bytes`), labels);
          out.add('node_btrfs_used_bytes', 'Amount of used space by a layout/data type', 'gauge', await num(`${tdir}/${mode}/used_bytes`), labels);
          out.add('node_btrfs_allocation_ratio', 'Data allocation ratio for a layout/data type', 'gauge', allocationRatio(mode, devices.length), labels);
        }
      }
    }
  },
};

const IPVS_LABELS = ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'];

/** "C0A80016:0CEA" -> ["192.168.0.22", "3306"] (IPv4; IPv6 as [....]). */
function hexAddress(text: string): [string, string] {
  const i = text.lastIndexOf(':');
  const addr = text.slice(0, i).replace(/^\[|\]$/g, '');
  const port = String(parseInt(text.slice(i + 1), 16));
  if (addr.length === 8) return [[0, 2, 4, 6].map((j) => parseInt(addr.slice(j, j + 2), 16)).join('.'), port];
  return [addr.toLowerCase().replace(/^0+(?=\w)/, ''), port];
}

export const ipvs: Collector = {
  name: 'ipvs',
  enabledByDefault: true,
  flags: { 'collector.ipvs.backend-labels': flag.string('Comma separated list for IPVS backend stats labels.', IPVS_LABELS.join(',')) },
  async collect(h, out, o) {
    const wantedLabels = flagValue<string>(o, 'collector.ipvs.backend-labels').split(',').filter((l) => l !== '');
    for (const l of wantedLabels) if (!IPVS_LABELS.includes(l)) throw new Error(`unknown IPVS backend label: ${JSON.stringify(l)}`);
    const stats = await h.readOptional(h.proc('net', 'ip_vs_stats'));
    if (stats === undefined) throw new NoDataError('IPVS is not loaded (no ip_vs_stats)');
    const totals = stats.split('\n')[2]?.trim().split(/\s+/) ?? [];
    if (totals.length < 5) throw new Error('ip_vs_stats: truncated totals line');
    const hex = (v: string, what: string): number => parseNumber(`0x${v}`, `ip_vs_stats ${what}`);
    out.add('node_ipvs_connections_total', 'The total number of connections made.', 'counter', hex(totals[0]!, 'conns'));
    out.add('node_ipvs_incoming_packets_total', 'The total number of incoming packets.', 'counter', hex(totals[1]!, 'in packets'));
    out.add('node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', 'counter', hex(totals[2]!, 'out packets'));
    out.add('node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', 'counter', hex(totals[3]!, 'in bytes'));
    out.add('node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', 'counter', hex(totals[4]!, 'out bytes'));
    // Backends with the same chosen labels are summed (fewer labels: coarser series).
    const sums = new Map<string, { labels: Record<string, string>; active: number; inactive: number; weight: number }>();
    let service: Record<string, string> | undefined;
    for (const line of ((await h.readOptional(h.proc('net', 'ip_vs'))) ?? '').split('\n').slice(3)) {
      const f = line.trim().split(/\s+/);
      if (f[0] === 'TCP' || f[0] === 'UDP') {
        const [address, port] = hexAddress(f[1]!);
        service = { local_address: address, local_port: port, local_mark: '', proto: f[0] };
      } else if (f[0] === 'FWM') {
        service = { local_address: '', local_port: '0', local_mark: f[1]!, proto: 'FWM' };
      } else if (f[0] === '->' && service && f.length >= 6) {
        const [address, port] = hexAddress(f[1]!);
        const all: Record<string, string> = { ...service, remote_address: address, remote_port: port };
        const labels: Record<string, string> = {};
        for (const l of wantedLabels) labels[l] = all[l]!;
        const key = JSON.stringify(wantedLabels.map((l) => labels[l]));
        const s = sums.get(key) ?? { labels, active: 0, inactive: 0, weight: 0 };
        s.weight += parseNumber(f[3]!, 'ip_vs weight');
        s.active += parseNumber(f[4]!, 'ip_vs active');
        s.inactive += parseNumber(f[5]!, 'ip_vs inactive');
        sums.set(key, s);
      }
    }
    for (const s of sums.values()) {
      out.add('node_ipvs_backend_connections_active', 'The current active connections by local and remote address.', 'gauge', s.active, s.labels);
      out.add('node_ipvs_backend_connections_inactive', 'The current inactive connections by local and remote address.', 'gauge', s.inactive, s.labels);
      out.add('node_ipvs_backend_weight', 'The current backend weight by local and remote address.', 'gauge', s.weight, s.labels);
    }
  },
};
