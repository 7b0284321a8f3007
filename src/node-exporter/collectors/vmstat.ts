// vmstat: the /proc/vmstat fields node_exporter keeps by default (--collector.vmstat.fields).
import type { Collector } from './collector.js';

const DEFAULT_FIELDS = /^(oom_kill|pgpg|pswp|pg.*fault).*/;

export const vmstat: Collector = {
  name: 'vmstat',
  enabledByDefault: true,
  async collect(h, out) {
    for (const line of (await h.read(h.proc('vmstat'))).split('\n')) {
      const [k, v] = line.split(' ');
      if (k && v !== undefined && DEFAULT_FIELDS.test(k)) out.add(`node_vmstat_${k}`, `/proc/vmstat information field ${k}.`, 'untyped', Number(v));
    }
  },
};
