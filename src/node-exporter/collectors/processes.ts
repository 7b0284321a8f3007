// processes: process and thread counts by state from /proc/<pid>/stat, with the kernel's limits.
import type { Collector } from './collector.js';
import { parseNumber } from './collector.js';

export const processes: Collector = {
  name: 'processes',
  enabledByDefault: false,
  async collect(h, out) {
    const states = new Map<string, number>();
    let pids = 0;
    let threads = 0;
    for (const entry of await h.list(h.proc())) {
      if (!/^\d+$/.test(entry)) continue;
      // A process may exit between the listing and the read: skip it, as node_exporter does.
      const stat = await h.readOptional(h.proc(entry, 'stat'));
      if (stat === undefined) continue;
      // The command name is in parentheses and may hold spaces: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
      const state = fields[0];
      const numThreads = fields[17];
      if (state === undefined || numThreads === undefined) throw new Error(`${h.proc(entry, 'stat')}: truncated`);
      pids++;
      threads += parseNumber(numThreads, `${h.proc(entry, 'stat')} num_threads`);
      states.set(state, (states.get(state) ?? 0) + 1);
    }
    out.add('node_processes_threads', 'Allocated threads in system', 'gauge', threads);
    out.add('node_processes_max_threads', 'Limit of threads in the system', 'gauge', parseNumber(await h.read(h.proc('sys', 'kernel', 'threads-max')), 'threads-max'));
    out.add('node_processes_max_processes', 'Number of max PIDs limit', 'gauge', parseNumber(await h.read(h.proc('sys', 'kernel', 'pid_max')), 'pid_max'));
    for (const [state, n] of states) out.add('node_processes_state', 'Number of processes in each state.', 'gauge', n, { state });
    out.add('node_processes_pids', 'Number of PIDs', 'gauge', pids);
  },
};
