// stat: kernel/system counters from /proc/stat.
import type { Collector } from './collector.js';
import { flagValue } from './collector.js';
import { flag } from '../../util/flags.js';

/** The softirq line's columns after the total, in the kernel's order. */
const SOFTIRQ_VECTORS = ['hi', 'timer', 'net_tx', 'net_rx', 'block', 'block_iopoll', 'tasklet', 'sched', 'hrtimer', 'rcu'];

export const stat: Collector = {
  name: 'stat',
  enabledByDefault: true,
  flags: { 'collector.stat.softirq': flag.bool('Export softirq calls per vector') },
  async collect(h, out, o) {
    const softirq = flagValue<boolean>(o, 'collector.stat.softirq');
    for (const line of (await h.read(h.proc('stat'))).split('\n')) {
      const [k, v] = line.split(/\s+/);
      const n = Number(v);
      if (k === 'intr') out.add('node_intr_total', 'Total number of interrupts serviced.', 'counter', n);
      else if (k === 'ctxt') out.add('node_context_switches_total', 'Total number of context switches.', 'counter', n);
      else if (k === 'btime') out.add('node_boot_time_seconds', 'Node boot time, in unixtime.', 'gauge', n);
      else if (k === 'processes') out.add('node_forks_total', 'Total number of forks.', 'counter', n);
      else if (k === 'procs_running') out.add('node_procs_running', 'Number of processes in runnable state.', 'gauge', n);
      else if (k === 'softirq' && softirq) {
        const counts = line.trim().split(/\s+/).slice(2);
        SOFTIRQ_VECTORS.forEach((vector, i) => {
          if (counts[i] !== undefined) out.add('node_softirqs_total', 'Number of softirq calls.', 'counter', Number(counts[i]), { vector });
        });
      } else if (k === 'procs_blocked') out.add('node_procs_blocked', 'Number of processes blocked waiting for I/O to complete.', 'gauge', n);
    }
  },
};
