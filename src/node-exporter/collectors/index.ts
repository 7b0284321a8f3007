// The collectors this exporter has, and the default filters of node_exporter 1.5 as Debian ships it
// (Debian leaves out /run, /mnt and /media mounts and the loopback interface's traffic).
import type { Collector } from './collector.js';
import { cpu } from './cpu.js';
import { diskstats } from './diskstats.js';
import { entropy } from './entropy.js';
import { filefd } from './filefd.js';
import { filesystem } from './filesystem.js';
import { loadavg } from './loadavg.js';
import { meminfo } from './meminfo.js';
import { netclass } from './netclass.js';
import { netdev } from './netdev.js';
import { osRelease } from './os.js';
import { pressure } from './pressure.js';
import { stat } from './stat.js';
import { time } from './time.js';
import { uname } from './uname.js';
import { vmstat } from './vmstat.js';
import { zfs } from './zfs.js';
import { netstat } from './netstat.js';
import { sockstat } from './sockstat.js';
import { conntrack } from './conntrack.js';
import { arp, ksmd, schedstat, selinux, softnet, udpQueues } from './small-proc.js';
import { processes } from './processes.js';
import { textfile } from './textfile.js';
import { hwmon } from './hwmon.js';
import { xfs } from './xfs.js';
import { zoneinfo } from './zoneinfo.js';
import { meminfoNuma } from './meminfo-numa.js';
import { lnstat } from './lnstat.js';
import { infiniband } from './infiniband.js';
import { fibrechannel, powersupplyclass, tapestats } from './sysfs-classes.js';
import { bonding, buddyinfo, cgroups, dmi, nvme, rapl, slabinfo, thermalZone } from './small-sys.js';
import { sysctl } from './sysctl.js';
import { cpufreq } from './cpufreq.js';
import { mdadm } from './mdadm.js';
import { edac, interrupts } from './interrupts-edac.js';
import { bcache } from './bcache.js';
import { mountstats } from './mountstats.js';
import { nfs, nfsd } from './nfs.js';
import { drbd } from './drbd.js';
import { btrfs, ipvs } from './btrfs-ipvs.js';
import { qdisc } from './qdisc.js';
import { wifi } from './wifi.js';
import { timex } from './timex.js';
import { ethtool } from './ethtool.js';
import { networkRoute } from './network-route.js';
import { tcpstat } from './tcpstat.js';
import { perf } from './perf.js';
import { systemd } from './systemd.js';
import { logind } from './logind.js';
import { ntp } from './ntp.js';
import { runit } from './runit.js';
import { supervisord } from './supervisord.js';

export type { Collector, CollectorOptions } from './collector.js';

export const COLLECTORS: readonly Collector[] = [cpu, diskstats, entropy, filefd, filesystem, loadavg, meminfo, netclass, netdev, osRelease, pressure, stat, time, uname, vmstat, zfs, netstat, sockstat, conntrack, arp, ksmd, schedstat, selinux, softnet, udpQueues, processes, textfile, hwmon, xfs, zoneinfo, meminfoNuma, lnstat, infiniband, fibrechannel, powersupplyclass, tapestats, bonding, buddyinfo, cgroups, dmi, nvme, rapl, slabinfo, thermalZone, sysctl, cpufreq, mdadm, edac, interrupts, bcache, mountstats, nfs, nfsd, drbd, btrfs, ipvs, qdisc, wifi, timex, ethtool, networkRoute, tcpstat, perf, systemd, logind, ntp, runit, supervisord].sort((a, b) => (a.name < b.name ? -1 : 1));

export const DEFAULT_MOUNT_POINTS_EXCLUDE = '^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)';
export const DEFAULT_FS_TYPES_EXCLUDE = '^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$';
export const DEFAULT_DISKSTATS_DEVICE_EXCLUDE = '^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';
export const DEFAULT_NETCLASS_IGNORED_DEVICES = '^$';
export const DEFAULT_NETDEV_DEVICE_EXCLUDE = '^lo$';

/** Every collector option flag at its default (for callers that build CollectorOptions without a command line). */
export function defaultCollectorFlags(overrides: Record<string, unknown> = {}): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const c of COLLECTORS) for (const [k, spec] of Object.entries(c.flags ?? {})) m.set(k, spec.default);
  for (const [k, v] of Object.entries(overrides)) m.set(k, v);
  return m;
}
