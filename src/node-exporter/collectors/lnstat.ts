// lnstat: the kernel's network cache statistics (/proc/net/stat/*: arp_cache, ndisc_cache,
// nf_conntrack, ...), one row per CPU of hex counters under a header of column names.
import type { Collector } from './collector.js';
import { parseNumber, NoDataError } from './collector.js';

export const lnstat: Collector = {
  name: 'lnstat',
  enabledByDefault: false,
  async collect(h, out) {
    const base = h.proc('net', 'stat');
    const files = await h.list(base);
    if (files.length === 0) throw new NoDataError(`no statistics under ${base}`);
    for (const subsystem of files) {
      const [header, ...rows] = (await h.read(`${base}/${subsystem}`)).split('\n').filter((l) => l.trim() !== '');
      const columns = (header ?? '').trim().split(/\s+/);
      rows.forEach((row, cpu) => {
        const values = row.trim().split(/\s+/);
        if (values.length !== columns.length) throw new Error(`${base}/${subsystem}: row ${cpu} has ${values.length} values for ${columns.length} columns`);
        columns.forEach((c, i) => out.add(`node_lnstat_${c}_total`, 'linux network cache stats', 'counter', parseNumber(`0x${values[i]}`, `${base}/${subsystem} ${c}`), { cpu: String(cpu), subsystem }));
      });
    }
  },
};
