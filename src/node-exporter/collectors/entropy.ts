// entropy: the kernel's random pool.
import type { Collector } from './collector.js';

export const entropy: Collector = {
  name: 'entropy',
  enabledByDefault: true,
  async collect(h, out) {
    const available = Number((await h.read(h.proc('sys', 'kernel', 'random', 'entropy_avail'))).trim());
    out.add('node_entropy_available_bits', 'Bits of available entropy.', 'gauge', available);
    const pool = await h.readOptional(h.proc('sys', 'kernel', 'random', 'poolsize'));
    if (pool !== undefined) out.add('node_entropy_pool_size_bits', 'Bits of entropy pool.', 'gauge', Number(pool.trim()));
  },
};
