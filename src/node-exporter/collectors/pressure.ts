// pressure: Pressure Stall Information (/proc/pressure/*), when the kernel has PSI. Totals are in
// microseconds; the metrics in seconds (divided twice by 1000, as node_exporter does, so the
// last digit comes out the same).
import type { Collector } from './collector.js';

function totals(text: string): { some?: number; full?: number } {
  const r: { some?: number; full?: number } = {};
  for (const line of text.split('\n')) {
    const m = /^(some|full)\b.*\btotal=(\d+)/.exec(line);
    if (m) r[m[1] as 'some' | 'full'] = Number(m[2]) / 1000 / 1000;
  }
  return r;
}

export const pressure: Collector = {
  name: 'pressure',
  enabledByDefault: true,
  async collect(h, out) {
    const [cpu, io, memory] = await Promise.all(['cpu', 'io', 'memory'].map((r) => h.readOptional(h.proc('pressure', r))));
    if (cpu === undefined && io === undefined && memory === undefined) return; // no PSI in this kernel: nothing to report, not an error
    if (cpu !== undefined) {
      const t = totals(cpu);
      if (t.some !== undefined) out.add('node_pressure_cpu_waiting_seconds_total', 'Total time in seconds that processes have waited for CPU time', 'counter', t.some);
    }
    if (io !== undefined) {
      const t = totals(io);
      if (t.some !== undefined) out.add('node_pressure_io_waiting_seconds_total', 'Total time in seconds that processes have waited due to IO congestion', 'counter', t.some);
      if (t.full !== undefined) out.add('node_pressure_io_stalled_seconds_total', 'Total time in seconds no process could make progress due to IO congestion', 'counter', t.full);
    }
    if (memory !== undefined) {
      const t = totals(memory);
      if (t.some !== undefined) out.add('node_pressure_memory_waiting_seconds_total', 'Total time in seconds that processes have waited for memory', 'counter', t.some);
      if (t.full !== undefined) out.add('node_pressure_memory_stalled_seconds_total', 'Total time in seconds no process could make progress due to memory congestion', 'counter', t.full);
    }
  },
};
