// meminfo: every field of /proc/meminfo; kB fields become `_bytes` (x 1024), counts stay as they are.
import type { Collector } from './collector.js';

export const meminfo: Collector = {
  name: 'meminfo',
  enabledByDefault: true,
  async collect(h, out) {
    for (const line of (await h.read(h.proc('meminfo'))).split('\n')) {
      const m = /^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+(kB))?/.exec(line);
      if (!m) continue;
      // "Active(anon)" is spelled "Active_anon" in metric names.
      const key = m[1]!.replace(/\((.*)\)/, '_$1');
      const bytes = m[3] === 'kB';
      const field = `${key}${bytes ? '_bytes' : ''}`;
      out.add(`node_memory_${field}`, `Memory information field ${field}.`, 'gauge', Number(m[2]) * (bytes ? 1024 : 1));
    }
  },
};
