// sockstat: socket counts and memory from /proc/net/sockstat and sockstat6. `mem` counts pages;
// node_exporter adds a `_mem_bytes` family in bytes next to it.
import type { Collector } from './collector.js';
import { parseNumber } from './collector.js';

const PAGE_SIZE = 4096;

export const sockstat: Collector = {
  name: 'sockstat',
  enabledByDefault: true,
  async collect(h, out) {
    const texts = [await h.read(h.proc('net', 'sockstat')), (await h.readOptional(h.proc('net', 'sockstat6'))) ?? ''];
    for (const text of texts) {
      for (const line of text.split('\n')) {
        const m = /^(\w+):\s+(.*)$/.exec(line.trim());
        if (!m) continue;
        const proto = m[1]!;
        const kv = m[2]!.split(/\s+/);
        if (kv.length % 2 !== 0) throw new Error(`sockstat: odd number of fields for ${proto}`);
        for (let i = 0; i < kv.length; i += 2) {
          const key = kv[i]!;
          const v = parseNumber(kv[i + 1]!, `sockstat ${proto} ${key}`);
          if (proto === 'sockets') {
            out.add('node_sockstat_sockets_used', 'Number of IPv4 sockets in use.', 'gauge', v);
            continue;
          }
          out.add(`node_sockstat_${proto}_${key}`, `Number of ${proto} sockets in state ${key}.`, 'gauge', v);
          if (key === 'mem') out.add(`node_sockstat_${proto}_mem_bytes`, `Number of ${proto} sockets in state mem_bytes.`, 'gauge', v * PAGE_SIZE);
        }
      }
    }
  },
};
