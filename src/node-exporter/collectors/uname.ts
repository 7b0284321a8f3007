// uname: what the uname system call reports. Node has no uname(2) binding beyond os.*, and the
// kernel publishes the same strings under /proc/sys/kernel, which also makes fixture trees work.
import os from 'node:os';
import type { Collector } from './collector.js';

export const uname: Collector = {
  name: 'uname',
  enabledByDefault: true,
  async collect(h, out) {
    const k = async (f: string, fallback: string): Promise<string> => (await h.readOptional(h.proc('sys', 'kernel', f)))?.trim() ?? fallback;
    out.add('node_uname_info', 'Labeled system information as provided by the uname system call.', 'gauge', 1, {
      domainname: await k('domainname', '(none)'),
      machine: (await h.readOptional(h.proc('sys', 'kernel', 'arch')))?.trim() ?? os.machine(),
      nodename: await k('hostname', os.hostname()),
      release: await k('osrelease', os.release()),
      sysname: await k('ostype', os.type()),
      version: await k('version', os.version()),
    });
  },
};
