// perf: hardware, software and cache event counts per CPU from perf_event_open(2), counted
// system-wide, plus optional kernel tracepoints, as node_exporter 1.5 reports them. Counters are
// opened once (at the first scrape) and stay open; an event the machine lacks (no PMU in a VM) is
// left out, a read that fails fails the collector.
import { availableParallelism } from 'node:os';
import type { HostCalls } from './host-calls.js';
import type { NativePerfCounters } from '../../storage/native.js';
import type { FlagSpec } from '../../util/flags.js';
import type { Collector } from './collector.js';
import { flagValue } from './collector.js';
import { hostCalls } from './host-calls.js';
import type { HostFiles } from '../context.js';

/** [metric suffix, help, perf_event_attr type, config]. */
type EventSpec = [string, string, number, number];
const HW = 0;
const SW = 1;
const CACHE = 3;
/** A cache event's config: cache id | operation << 8 | result << 16. */
const cache = (id: number, op: number, miss: boolean): number => id | (op << 8) | ((miss ? 1 : 0) << 16);
const [L1D, L1I, LL, ITLB, BPU] = [0, 1, 2, 4, 5];
const [READ, WRITE] = [0, 1];

const EVENTS: EventSpec[] = [
  ['cpucycles_total', 'Number of CPU cycles (frequency scaled)', HW, 0],
  ['instructions_total', 'Number of CPU instructions', HW, 1],
  ['branch_instructions_total', 'Number of CPU branch instructions', HW, 4],
  ['branch_misses_total', 'Number of CPU branch misses', HW, 5],
  ['cache_refs_total', 'Number of cache references (non frequency scaled)', HW, 2],
  ['cache_misses_total', 'Number of cache misses', HW, 3],
  ['ref_cpucycles_total', 'Number of CPU cycles', HW, 9],
  ['stalled_cycles_backend_total', 'Number of stalled backend CPU cycles', HW, 8],
  ['stalled_cycles_frontend_total', 'Number of stalled frontend CPU cycles', HW, 7],
  ['page_faults_total', 'Number of page faults', SW, 2],
  ['context_switches_total', 'Number of context switches', SW, 3],
  ['cpu_migrations_total', 'Number of CPU process migrations', SW, 4],
  ['minor_faults_total', 'Number of minor page faults', SW, 5],
  ['major_faults_total', 'Number of major page faults', SW, 6],
  ['cache_l1d_read_hits_total', 'Number L1 data cache read hits', CACHE, cache(L1D, READ, false)],
  ['cache_l1d_read_misses_total', 'Number L1 data cache read misses', CACHE, cache(L1D, READ, true)],
  ['cache_l1d_write_hits_total', 'Number L1 data cache write hits', CACHE, cache(L1D, WRITE, false)],
  ['cache_l1_instr_read_misses_total', 'Number instruction L1 instruction read misses', CACHE, cache(L1I, READ, true)],
  ['cache_tlb_instr_read_hits_total', 'Number instruction TLB read hits', CACHE, cache(ITLB, READ, false)],
  ['cache_tlb_instr_read_misses_total', 'Number instruction TLB read misses', CACHE, cache(ITLB, READ, true)],
  ['cache_ll_read_hits_total', 'Number last level read hits', CACHE, cache(LL, READ, false)],
  ['cache_ll_read_misses_total', 'Number last level read misses', CACHE, cache(LL, READ, true)],
  ['cache_ll_write_hits_total', 'Number last level write hits', CACHE, cache(LL, WRITE, false)],
  ['cache_ll_write_misses_total', 'Number last level write misses', CACHE, cache(LL, WRITE, true)],
  ['cache_bpu_read_hits_total', 'Number BPU read hits', CACHE, cache(BPU, READ, false)],
  ['cache_bpu_read_misses_total', 'Number BPU read misses', CACHE, cache(BPU, READ, true)],
];

function integer(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

/** `--collector.perf.cpus`: "0,2", ranges "1-4" and strided ranges "0-10:5" (0, 5, 10). */
export function parsePerfCpus(text: string): number[] {
  const cpus: number[] = [];
  for (const subset of text.split(',')) {
    if (!subset.includes('-')) {
      cpus.push(integer(subset));
      continue;
    }
    const strideSet = subset.split(':');
    const stride = strideSet.length === 2 ? integer(strideSet[1]!) : 1;
    if (stride <= 0) throw new Error(`invalid stride ${stride} in ${JSON.stringify(text)}`);
    const range = strideSet[0]!.split('-');
    if (range.length !== 2) throw new Error(`invalid flag value ${JSON.stringify(text)}`);
    const [start, end] = [integer(range[0]!), integer(range[1]!)];
    for (let i = start; i <= end; i += stride) cpus.push(i);
  }
  return cpus;
}

const cpusFlag: FlagSpec<number[] | undefined> = {
  help: 'List of CPUs from which perf metrics should be collected',
  default: undefined,
  takesValue: true,
  repeatable: false,
  parse: (s) => (s === '' ? undefined : parsePerfCpus(s)),
};

const tracepointFlag: FlagSpec<string[]> = {
  help: 'perf tracepoint that should be collected',
  default: [],
  takesValue: true,
  repeatable: true,
  parse: (s, prev) => {
    if (s.split(':').length !== 2) throw new Error(`invalid tracepoint config ${s}`);
    return [...prev, s];
  },
};

/** Where the kernel numbers its tracepoints (the path node_exporter's perf library reads). */
const TRACING_EVENTS = '/sys/kernel/debug/tracing/events';

interface Open {
  cpus: number[];
  tracepoints: string[];
  counters: NativePerfCounters;
}

/** Counters stay open for the process's life, one set per configuration. */
const opened = new Map<string, Open>();

async function open(h: HostFiles, host: HostCalls, cpus: number[], tracepoints: string[]): Promise<Open> {
  const key = JSON.stringify([cpus, tracepoints]);
  const existing = opened.get(key);
  if (existing) return existing;
  const ids: number[] = [];
  for (const t of tracepoints) {
    const [subsystem, event] = t.split(':') as [string, string];
    const text = await h.read(`${TRACING_EVENTS}/${subsystem}/${event}/id`);
    ids.push(integer(text.trim()));
  }
  const events = new Float64Array(EVENTS.flatMap(([, , type, config]) => [type, config]));
  const counters = new host.NativePerfCounters(new Int32Array(cpus), events, new Float64Array(ids));
  const errors = counters.openErrors();
  const missing = EVENTS.filter((_, j) => cpus.some((_, i) => errors[i * EVENTS.length + j] !== 0)).map(([name]) => name);
  if (missing.length > 0) h.log?.('debug', 'perf events this machine does not count', { events: missing.join(','), errno: errors.find((e) => e !== 0) });
  const o = { cpus, tracepoints, counters };
  opened.set(key, o);
  return o;
}

export const perf: Collector = {
  name: 'perf',
  enabledByDefault: false,
  flags: { 'collector.perf.cpus': cpusFlag, 'collector.perf.tracepoint': tracepointFlag },
  async collect(h, out, o) {
    // As Go's runtime.NumCPU: the CPUs this process may run on, numbered from 0.
    const cpus = flagValue<number[] | undefined>(o, 'collector.perf.cpus') ?? Array.from({ length: availableParallelism() }, (_, i) => i);
    const tracepoints = flagValue<string[]>(o, 'collector.perf.tracepoint');
    const host = await hostCalls();
    const { counters } = await open(h, host, cpus, tracepoints);
    const v = counters.read();
    cpus.forEach((cpu, i) => {
      EVENTS.forEach(([name, help], j) => {
        const x = v[i * EVENTS.length + j]!;
        if (!Number.isNaN(x)) out.add(`node_perf_${name}`, help, 'counter', x, { cpu: String(cpu) });
      });
    });
    const base = cpus.length * EVENTS.length;
    cpus.forEach((cpu, i) => {
      tracepoints.forEach((t, j) => {
        out.add(`node_perf_${t.replace(':', '_')}`, `Perf tracepoint ${t}`, 'counter', v[base + i * tracepoints.length + j]!, { cpu: String(cpu) });
      });
    });
  },
};
