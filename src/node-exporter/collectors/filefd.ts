// filefd: allocated and maximum file handles from /proc/sys/fs/file-nr.
import type { Collector } from './collector.js';
import { numbers } from './collector.js';

export const filefd: Collector = {
  name: 'filefd',
  enabledByDefault: true,
  async collect(h, out) {
    const [allocated, , maximum] = numbers(await h.read(h.proc('sys', 'fs', 'file-nr')));
    if (allocated === undefined || maximum === undefined || Number.isNaN(allocated) || Number.isNaN(maximum)) throw new Error(`unexpected content in ${h.proc('sys', 'fs', 'file-nr')}`);
    out.add('node_filefd_allocated', 'File descriptor statistics: allocated.', 'gauge', allocated);
    out.add('node_filefd_maximum', 'File descriptor statistics: maximum.', 'gauge', maximum);
  },
};
