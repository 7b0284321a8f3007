// netdev: per-interface traffic counters. node_exporter 1.5 reads them over rtnetlink, whose
// counters are the ones the kernel publishes in /sys/class/net/<dev>/statistics (the same struct);
// /proc/net/dev folds several error counters together, so it is only the fallback.
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';
import type { Collector, CollectorOptions } from './collector.js';
import { flagValue, numbers } from './collector.js';
import { flag } from '../../util/flags.js';

/** Metric suffix -> statistics file, in node_exporter's netlink naming. */
const RECEIVE: [string, string][] = [
  ['bytes', 'rx_bytes'], ['packets', 'rx_packets'], ['errs', 'rx_errors'], ['drop', 'rx_dropped'], ['fifo', 'rx_fifo_errors'],
  ['frame', 'rx_frame_errors'], ['compressed', 'rx_compressed'], ['multicast', 'multicast'], ['nohandler', 'rx_nohandler'],
];
const TRANSMIT: [string, string][] = [
  ['bytes', 'tx_bytes'], ['packets', 'tx_packets'], ['errs', 'tx_errors'], ['drop', 'tx_dropped'], ['fifo', 'tx_fifo_errors'],
  ['colls', 'collisions'], ['carrier', 'tx_carrier_errors'], ['compressed', 'tx_compressed'],
];

function wanted(device: string, o: CollectorOptions): boolean {
  if (o.netdevDeviceExclude?.test(device)) return false;
  if (o.netdevDeviceInclude && !o.netdevDeviceInclude.test(device)) return false;
  return true;
}

function emit(out: FamilySet, device: string, direction: 'receive' | 'transmit', stat: string, value: number): void {
  out.add(`node_network_${direction}_${stat}_total`, `Network device statistic ${direction}_${stat}.`, 'counter', value, { device });
}

async function fromSysfs(h: HostFiles, out: FamilySet, o: CollectorOptions, devices: string[]): Promise<void> {
  await Promise.all(devices.map(async (device) => {
    if (!wanted(device, o)) return;
    const dir = `${LIVE_SYSFS_NET}/${device}`;
    const read = async ([stat, file]: [string, string]): Promise<[string, number | undefined]> => {
      const t = await h.readOptional(`${dir}/statistics/${file}`);
      return [stat, t === undefined ? undefined : Number(t.trim())];
    };
    const [rx, tx] = await Promise.all([Promise.all(RECEIVE.map(read)), Promise.all(TRANSMIT.map(read))]);
    for (const [stat, v] of rx) if (v !== undefined) emit(out, device, 'receive', stat, v);
    for (const [stat, v] of tx) if (v !== undefined) emit(out, device, 'transmit', stat, v);
  }));
}

async function fromProcNetDev(h: HostFiles, out: FamilySet, o: CollectorOptions): Promise<void> {
  const lines = (await h.read(h.proc('net', 'dev'))).split('\n');
  const header = lines[1]?.split('|') ?? [];
  const rx = (header[1] ?? '').trim().split(/\s+/);
  const tx = (header[2] ?? '').trim().split(/\s+/);
  for (const line of lines.slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const device = m[1]!.trim();
    if (!wanted(device, o)) continue;
    const v = numbers(m[2]!);
    rx.forEach((f, i) => emit(out, device, 'receive', f, v[i] ?? 0));
    tx.forEach((f, i) => emit(out, device, 'transmit', f, v[rx.length + i] ?? 0));
  }
}

/**
 * The running kernel's interfaces, as rtnetlink answers them. Netlink does not go through the file
 * system, so node_exporter's netlink mode ignores --path.sysfs; so does this (its fixture runs
 * report the host's `lo`). `--no-collector.netdev.netlink` reads <procfs>/net/dev instead.
 */
const LIVE_SYSFS_NET = '/sys/class/net';

export const netdev: Collector = {
  name: 'netdev',
  enabledByDefault: true,
  flags: { 'collector.netdev.netlink': flag.bool('Use netlink to gather stats instead of /proc/net/dev.', true) },
  async collect(h, out, o) {
    if (!flagValue<boolean>(o, 'collector.netdev.netlink')) return fromProcNetDev(h, out, o);
    const devices = await h.list(LIVE_SYSFS_NET);
    if (devices.length > 0) await fromSysfs(h, out, o, devices);
    else await fromProcNetDev(h, out, o);
  },
};
