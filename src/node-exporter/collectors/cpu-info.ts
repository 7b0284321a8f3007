// The cpu collector's extra families: /proc/cpuinfo (with --collector.cpu.info), thermal throttle
// counts per core and package, and the isolated CPU list.
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';
import type { CollectorOptions } from './collector.js';
import { flagValue, optionalRegexpFlag, parseNumber } from './collector.js';
import { flag } from '../../util/flags.js';

export const CPU_FLAGS = {
  'collector.cpu.guest': flag.bool('Enables metric node_cpu_guest_seconds_total', true),
  'collector.cpu.info': flag.bool('Enables metric cpu_info'),
  'collector.cpu.info.flags-include': optionalRegexpFlag('Filter the `flags` field in cpuInfo with a value that must be a regular expression'),
  'collector.cpu.info.bugs-include': optionalRegexpFlag('Filter the `bugs` field in cpuInfo with a value that must be a regular expression'),
};

/** "1,3-5,9" -> [1, 3, 4, 5, 9]. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',').filter((p) => p !== '')) {
    const [a, b] = part.split('-');
    const from = parseNumber(a!, 'cpu list');
    const to = b === undefined ? from : parseNumber(b, 'cpu list');
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

async function cpuInfo(h: HostFiles, out: FamilySet, o: CollectorOptions): Promise<void> {
  const blocks = (await h.read(h.proc('cpuinfo'))).split(/\n\s*\n/).filter((b) => b.trim() !== '');
  let first: Map<string, string> | undefined;
  for (const block of blocks) {
    const kv = new Map<string, string>();
    for (const line of block.split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
    if (!kv.has('processor')) continue;
    first ??= kv;
    const v = (k: string): string => kv.get(k) ?? '';
    out.add('node_cpu_info', 'CPU information from /proc/cpuinfo.', 'gauge', 1, {
      cachesize: v('cache size'), core: v('core id'), cpu: v('processor'), family: v('cpu family'), microcode: v('microcode'), model: v('model'),
      model_name: v('model name'), package: v('physical id'), stepping: v('stepping'), vendor: v('vendor_id'),
    });
  }
  if (!first) return;
  const listed = (field: string, include: RegExp | undefined, name: string, label: string, help: string): void => {
    if (!include) return;
    for (const item of [...new Set((first!.get(field) ?? '').split(/\s+/).filter((x) => x !== ''))]) {
      if (include.test(item)) out.add(name, help, 'gauge', 1, { [label]: item });
    }
  };
  listed('flags', flagValue<RegExp | undefined>(o, 'collector.cpu.info.flags-include'), 'node_cpu_flag_info', 'flag', 'The `flags` field of CPU information from /proc/cpuinfo taken from the first core.');
  listed('bugs', flagValue<RegExp | undefined>(o, 'collector.cpu.info.bugs-include'), 'node_cpu_bug_info', 'bug', 'The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.');
}

async function throttles(h: HostFiles, out: FamilySet): Promise<void> {
  const base = h.sys('devices', 'system', 'cpu');
  const cores = new Set<string>();
  const packages = new Set<string>();
  for (const cpu of (await h.list(base)).filter((d) => /^cpu\d+$/.test(d))) {
    const dir = `${base}/${cpu}`;
    const pkg = (await h.readOptional(`${dir}/topology/physical_package_id`))?.trim();
    const core = (await h.readOptional(`${dir}/topology/core_id`))?.trim();
    if (pkg === undefined || core === undefined) continue;
    // Hyperthreads share a core's counter: count each core and each package once.
    if (!cores.has(`${pkg}/${core}`)) {
      cores.add(`${pkg}/${core}`);
      const t = await h.readOptional(`${dir}/thermal_throttle/core_throttle_count`);
      if (t !== undefined) out.add('node_cpu_core_throttles_total', 'Number of times this CPU core has been throttled.', 'counter', parseNumber(t, `${dir} core_throttle_count`), { core, package: pkg });
    }
    if (!packages.has(pkg)) {
      packages.add(pkg);
      const t = await h.readOptional(`${dir}/thermal_throttle/package_throttle_count`);
      if (t !== undefined) out.add('node_cpu_package_throttles_total', 'Number of times this CPU package has been throttled.', 'counter', parseNumber(t, `${dir} package_throttle_count`), { package: pkg });
    }
  }
}

export async function cpuExtras(h: HostFiles, out: FamilySet, o: CollectorOptions): Promise<void> {
  if (flagValue<boolean>(o, 'collector.cpu.info')) await cpuInfo(h, out, o);
  await throttles(h, out);
  const isolated = await h.readOptional(h.sys('devices', 'system', 'cpu', 'isolated'));
  if (isolated !== undefined) {
    for (const cpu of parseCpuList(isolated)) out.add('node_cpu_isolated', 'Whether each core is isolated, information from /sys/devices/system/cpu/isolated.', 'gauge', 1, { cpu: String(cpu) });
  }
}
