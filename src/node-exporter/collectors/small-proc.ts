// Small collectors over single /proc and /sys tables: udp_queues, softnet, schedstat, arp, ksmd, selinux.
import type { Collector } from './collector.js';
import { flagValue, optionalRegexpFlag, parseNumber, NoDataError } from './collector.js';

/** Nanoseconds in a second: schedstat counts in ns. */
const NS = 1e9;

export const udpQueues: Collector = {
  name: 'udp_queues',
  enabledByDefault: true,
  async collect(h, out) {
    let any = false;
    for (const [ip, file] of [['v4', 'udp'], ['v6', 'udp6']] as const) {
      const text = await h.readOptional(h.proc('net', file));
      if (text === undefined) continue;
      any = true;
      let tx = 0;
      let rx = 0;
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length < 5) continue;
        const [txq, rxq] = f[4]!.split(':');
        tx += parseNumber(`0x${txq}`, `${file} tx_queue`);
        rx += parseNumber(`0x${rxq}`, `${file} rx_queue`);
      }
      out.add('node_udp_queues', 'Number of allocated memory in the kernel for UDP datagrams in bytes.', 'gauge', tx, { ip, queue: 'tx' });
      out.add('node_udp_queues', 'Number of allocated memory in the kernel for UDP datagrams in bytes.', 'gauge', rx, { ip, queue: 'rx' });
    }
    if (!any) throw new NoDataError('no /proc/net/udp or udp6');
  },
};

export const softnet: Collector = {
  name: 'softnet',
  enabledByDefault: true,
  async collect(h, out) {
    const lines = (await h.read(h.proc('net', 'softnet_stat'))).split('\n').filter((l) => l.trim() !== '');
    lines.forEach((line, i) => {
      const f = line.trim().split(/\s+/);
      if (f.length < 3) throw new Error(`softnet_stat: line ${i + 1} has ${f.length} fields`);
      const cpu = String(i);
      out.add('node_softnet_processed_total', 'Number of processed packets', 'counter', parseNumber(`0x${f[0]}`, 'softnet_stat'), { cpu });
      out.add('node_softnet_dropped_total', 'Number of dropped packets', 'counter', parseNumber(`0x${f[1]}`, 'softnet_stat'), { cpu });
      out.add('node_softnet_times_squeezed_total', 'Number of times processing packets ran out of quota', 'counter', parseNumber(`0x${f[2]}`, 'softnet_stat'), { cpu });
    });
  },
};

export const schedstat: Collector = {
  name: 'schedstat',
  enabledByDefault: true,
  async collect(h, out) {
    const text = await h.readOptional(h.proc('schedstat'));
    if (text === undefined) throw new NoDataError(`no ${h.proc('schedstat')}: the kernel has no scheduler statistics`);
    for (const line of text.split('\n')) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const f = m[2]!.trim().split(/\s+/);
      if (f.length < 9) throw new Error(`schedstat: cpu${m[1]} has ${f.length} fields`);
      const cpu = m[1]!;
      out.add('node_schedstat_running_seconds_total', 'Number of seconds CPU spent running a process.', 'counter', parseNumber(f[6]!, 'schedstat') / NS, { cpu });
      out.add('node_schedstat_waiting_seconds_total', 'Number of seconds spent by processing waiting for this CPU.', 'counter', parseNumber(f[7]!, 'schedstat') / NS, { cpu });
      out.add('node_schedstat_timeslices_total', 'Number of timeslices executed by CPU.', 'counter', parseNumber(f[8]!, 'schedstat'), { cpu });
    }
  },
};

export const arp: Collector = {
  name: 'arp',
  enabledByDefault: true,
  flags: {
    'collector.arp.device-include': optionalRegexpFlag('Regexp of arp devices to include (mutually exclusive to device-exclude).'),
    'collector.arp.device-exclude': optionalRegexpFlag('Regexp of arp devices to exclude (mutually exclusive to device-include).'),
  },
  async collect(h, out, o) {
    const include = flagValue<RegExp | undefined>(o, 'collector.arp.device-include');
    const exclude = flagValue<RegExp | undefined>(o, 'collector.arp.device-exclude');
    const counts = new Map<string, number>();
    for (const line of (await h.read(h.proc('net', 'arp'))).split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 6) continue;
      const device = f[5]!;
      if (include && !include.test(device)) continue;
      if (exclude && exclude.test(device)) continue;
      counts.set(device, (counts.get(device) ?? 0) + 1);
    }
    for (const [device, n] of counts) out.add('node_arp_entries', 'ARP entries by device', 'gauge', n, { device });
  },
};

const KSMD_FILES = ['full_scans', 'merge_across_nodes', 'pages_shared', 'pages_sharing', 'pages_to_scan', 'pages_unshared', 'pages_volatile', 'run', 'sleep_millisecs'];

export const ksmd: Collector = {
  name: 'ksmd',
  enabledByDefault: false,
  async collect(h, out) {
    for (const file of KSMD_FILES) {
      const v = parseNumber(await h.read(h.sys('kernel', 'mm', 'ksm', file)), `ksm/${file}`);
      const help = `ksmd '${file}' file.`;
      if (file === 'full_scans') out.add('node_ksmd_full_scans_total', help, 'counter', v);
      else if (file === 'sleep_millisecs') out.add('node_ksmd_sleep_seconds', help, 'gauge', v / 1000);
      else out.add(`node_ksmd_${file}`, help, 'gauge', v);
    }
  },
};

export const selinux: Collector = {
  name: 'selinux',
  enabledByDefault: true,
  async collect(h, out) {
    // SELinux mounts selinuxfs at /sys/fs/selinux when it is enabled.
    const enforce = await h.readOptional(h.sys('fs', 'selinux', 'enforce'));
    if (enforce === undefined) {
      out.add('node_selinux_enabled', 'SELinux is enabled, 1 is true, 0 is false', 'gauge', 0);
      return;
    }
    out.add('node_selinux_enabled', 'SELinux is enabled, 1 is true, 0 is false', 'gauge', 1);
    // Modes as node_exporter counts them: enforcing 1, permissive 0, disabled -1.
    out.add('node_selinux_current_mode', 'Current SELinux enforcement mode', 'gauge', parseNumber(enforce, 'selinux/enforce'));
    const config = (await h.readOptional(h.root('etc', 'selinux', 'config'))) ?? '';
    const mode = /^SELINUX=(\w+)/m.exec(config)?.[1];
    if (mode !== undefined) out.add('node_selinux_config_mode', 'Configured SELinux enforcement mode', 'gauge', mode === 'enforcing' ? 1 : mode === 'permissive' ? 0 : -1);
  },
};
