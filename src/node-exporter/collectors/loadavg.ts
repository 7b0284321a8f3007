// loadavg: the 1, 5 and 15 minute load averages from /proc/loadavg.
import type { Collector } from './collector.js';
import { numbers } from './collector.js';

export const loadavg: Collector = {
  name: 'loadavg',
  enabledByDefault: true,
  async collect(h, out) {
    const [l1, l5, l15] = numbers(await h.read(h.proc('loadavg')));
    if (l1 === undefined || l5 === undefined || l15 === undefined || [l1, l5, l15].some(Number.isNaN)) throw new Error(`unexpected content in ${h.proc('loadavg')}`);
    out.add('node_load1', '1m load average.', 'gauge', l1);
    out.add('node_load5', '5m load average.', 'gauge', l5);
    out.add('node_load15', '15m load average.', 'gauge', l15);
  },
};
