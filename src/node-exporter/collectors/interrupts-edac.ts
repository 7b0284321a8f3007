// interrupts: /proc/interrupts per CPU and interrupt; edac: memory controller error counts.
import type { Collector } from './collector.js';
import { parseNumber } from './collector.js';

export const interrupts: Collector = {
  name: 'interrupts',
  enabledByDefault: false,
  async collect(h, out) {
    const [header, ...lines] = (await h.read(h.proc('interrupts'))).split('\n');
    const cpus = (header ?? '').trim().split(/\s+/).filter((c) => c !== '').length;
    for (const line of lines) {
      const parts = line.trim().split(/\s+/);
      // ERR and MIS carry one total, not one count per CPU.
      if (parts.length < cpus + 2) continue;
      const type = parts[0]!.replace(/:$/, '');
      const numbered = /^\d+$/.test(type);
      const info = numbered ? parts[cpus + 1]! : parts.slice(cpus + 1).join(' ');
      const devices = numbered ? parts.slice(cpus + 2).join(' ') : '';
      for (let cpu = 0; cpu < cpus; cpu++) {
        out.add('node_interrupts_total', 'Interrupt details.', 'counter', parseNumber(parts[cpu + 1]!, `interrupts ${type}`), { cpu: String(cpu), devices, info, type });
      }
    }
  },
};

export const edac: Collector = {
  name: 'edac',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.sys('devices', 'system', 'edac', 'mc');
    for (const mc of (await h.list(base)).filter((d) => /^mc\d+$/.test(d))) {
      const dir = `${base}/${mc}`;
      const controller = mc.slice(2);
      const n = async (f: string): Promise<number> => parseNumber(await h.read(`${dir}/${f}`), `${dir}/${f}`);
      out.add('node_edac_correctable_errors_total', 'Total correctable memory errors.', 'counter', await n('ce_count'), { controller });
      out.add('node_edac_uncorrectable_errors_total', 'Total uncorrectable memory errors.', 'counter', await n('ue_count'), { controller });
      // Errors the controller could not attribute to a csrow.
      out.add('node_edac_csrow_correctable_errors_total', 'Total correctable memory errors for this csrow.', 'counter', await n('ce_noinfo_count'), { controller, csrow: 'unknown' });
      out.add('node_edac_csrow_uncorrectable_errors_total', 'Total uncorrectable memory errors for this csrow.', 'counter', await n('ue_noinfo_count'), { controller, csrow: 'unknown' });
      for (const row of (await h.list(dir)).filter((d) => /^csrow\d+$/.test(d))) {
        const csrow = row.slice('csrow'.length);
        out.add('node_edac_csrow_correctable_errors_total', 'Total correctable memory errors for this csrow.', 'counter', await n(`${row}/ce_count`), { controller, csrow });
        out.add('node_edac_csrow_uncorrectable_errors_total', 'Total uncorrectable memory errors for this csrow.', 'counter', await n(`${row}/ue_count`), { controller, csrow });
      }
    }
  },
};
