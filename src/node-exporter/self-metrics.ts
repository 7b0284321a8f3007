// The exporter's own families, with the names and help texts node_exporter's Go client gives them:
// process_* (from /proc/self, as Go's process collector reads them) and promhttp_* (the metrics
// handler's counters). Written by hand rather than through a metrics library: a library costs
// more memory than the whole exporter is allowed (see the footprint goal in issue 21).
import { readFileSync, readdirSync } from 'node:fs';
import { FamilySet } from './metrics.js';

/** Go reports RLIM_INFINITY as 2^64-1. */
const UNLIMITED = 18446744073709551615;

function limit(limits: string, name: string): number | undefined {
  const m = new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(limits);
  if (!m) return undefined;
  return m[1] === 'unlimited' ? UNLIMITED : Number(m[1]);
}

export class SelfMetrics {
  private readonly requests = new Map<string, number>([['200', 0], ['500', 0], ['503', 0]]);
  private readonly errors = new Map<string, number>([['encoding', 0], ['gathering', 0]]);
  private inFlight = 0;

  /** Counts a served scrape in promhttp_metric_handler_requests_total (a 500 is a gathering error too). */
  countRequest(code: number): void {
    const c = String(code);
    this.requests.set(c, (this.requests.get(c) ?? 0) + 1);
    if (code === 500) this.errors.set('gathering', (this.errors.get('gathering') ?? 0) + 1);
  }

  serving(delta: 1 | -1): void {
    this.inFlight += delta;
  }

  collect(out: FamilySet): void {
    for (const [code, n] of this.requests) out.add('promhttp_metric_handler_requests_total', 'Total number of scrapes by HTTP status code.', 'counter', n, { code });
    out.add('promhttp_metric_handler_requests_in_flight', 'Current number of scrapes being served.', 'gauge', this.inFlight);
    for (const [cause, n] of this.errors) out.add('promhttp_metric_handler_errors_total', 'Total number of internal errors encountered by the promhttp metric handler.', 'counter', n, { cause });
    const cpu = process.cpuUsage();
    out.add('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'counter', (cpu.user + cpu.system) / 1e6);
    out.add('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', process.memoryUsage.rss());
    out.add('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', Math.round(performance.timeOrigin / 10) / 100);
    try {
      // /proc/self/stat: field 23 is vsize; the command name in parentheses may hold spaces.
      const stat = readFileSync('/proc/self/stat', 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.add('process_virtual_memory_bytes', 'Virtual memory size in bytes.', 'gauge', Number(fields[20]));
      out.add('process_open_fds', 'Number of open file descriptors.', 'gauge', readdirSync('/proc/self/fd').length);
      const limits = readFileSync('/proc/self/limits', 'utf8');
      const maxFds = limit(limits, 'Max open files');
      if (maxFds !== undefined) out.add('process_max_fds', 'Maximum number of open file descriptors.', 'gauge', maxFds);
      const maxVm = limit(limits, 'Max address space');
      if (maxVm !== undefined) out.add('process_virtual_memory_max_bytes', 'Maximum amount of virtual memory available in bytes.', 'gauge', maxVm);
    } catch {
      /* not Linux: the /proc-based families stay out, as Go's process collector leaves them out */
    }
  }
}
