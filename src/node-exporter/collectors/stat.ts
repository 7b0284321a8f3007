// stat: kernel/system counters from /proc/stat.
import type { Collector } from './collector.js';

export const stat: Collector = {
  name: 'stat',
  enabledByDefault: true,
  async collect(h, out) {
    for (const line of (await h.read(h.proc('stat'))).split('\n')) {
      const [k, v] = line.split(/\s+/);
      const n = Number(v);
      if (k === 'intr') out.add('node_intr_total', 'Total number of interrupts serviced.', 'counter', n);
      else if (k === 'ctxt') out.add('node_context_switches_total', 'Total number of context switches.', 'counter', n);
      else if (k === 'btime') out.add('node_boot_time_seconds', 'Node boot time, in unixtime.', 'gauge', n);
      else if (k === 'processes') out.add('node_forks_total', 'Total number of forks.', 'counter', n);
      else if (k === 'procs_running') out.add('node_procs_running', 'Number of processes in runnable state.', 'gauge', n);
      else if (k === 'procs_blocked') out.add('node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.', 'gauge', n);
    }
  },
};
