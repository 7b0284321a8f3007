// cpu: per-CPU time by mode from /proc/stat, in seconds (the kernel counts USER_HZ ticks).
import type { Collector } from './collector.js';
import { flagValue, numbers } from './collector.js';
import { cpuExtras, CPU_FLAGS } from './cpu-info.js';

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux node_exporter supports. */
const USER_HZ = 100;
const MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'];

export const cpu: Collector = {
  name: 'cpu',
  enabledByDefault: true,
  flags: CPU_FLAGS,
  async collect(h, out, o) {
    await cpuExtras(h, out, o);
    const guest = flagValue<boolean>(o, 'collector.cpu.guest');
    for (const line of (await h.read(h.proc('stat'))).split('\n')) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const v = numbers(m[2]!);
      const cpuId = m[1]!;
      // The kernel counts guest time inside user and nice too; node_exporter reports it apart as well.
      MODES.forEach((mode, i) => out.add('node_cpu_seconds_total', 'Seconds the CPUs spent in each mode.', 'counter', (v[i] ?? 0) / USER_HZ, { cpu: cpuId, mode }));
      if (!guest) continue;
      out.add('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', 'counter', (v[8] ?? 0) / USER_HZ, { cpu: cpuId, mode: 'user' });
      out.add('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', 'counter', (v[9] ?? 0) / USER_HZ, { cpu: cpuId, mode: 'nice' });
    }
  },
};
