// meminfo_numa: each NUMA node's meminfo (kB fields in bytes, named without a unit suffix as
// node_exporter names them) and its allocation counters from numastat.
import type { Collector } from './collector.js';
import { parseNumber, NoDataError } from './collector.js';

export const meminfoNuma: Collector = {
  name: 'meminfo_numa',
  enabledByDefault: false,
  async collect(h, out) {
    const base = h.sys('devices', 'system', 'node');
    const nodes = (await h.list(base)).filter((d) => /^node\d+$/.test(d));
    if (nodes.length === 0) throw new NoDataError(`no NUMA nodes under ${base}`);
    for (const dir of nodes) {
      const node = dir.slice('node'.length);
      for (const line of (await h.read(`${base}/${dir}/meminfo`)).split('\n')) {
        const m = /^Node \d+ ([A-Za-z0-9_()]+):\s+(\S+)(?:\s+(kB))?/.exec(line.trim());
        if (!m) continue;
        const field = m[1]!.replace(/\((.*)\)/, '_$1');
        const v = parseNumber(m[2]!, `${dir}/meminfo ${field}`) * (m[3] === 'kB' ? 1024 : 1);
        out.add(`node_memory_numa_${field}`, `Memory information field ${field}.`, 'gauge', v, { node });
      }
      const numastat = await h.readOptional(`${base}/${dir}/numastat`);
      for (const line of (numastat ?? '').split('\n')) {
        const [key, value] = line.trim().split(/\s+/);
        if (!key || value === undefined) continue;
        const field = `${key}_total`;
        out.add(`node_memory_numa_${field}`, `Memory information field ${field}.`, 'counter', parseNumber(value, `${dir}/numastat ${key}`), { node });
      }
    }
  },
};
