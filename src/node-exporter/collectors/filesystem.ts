// filesystem: size, free space and inodes of each mounted filesystem (statfs under the root
// filesystem), from the mount table of PID 1 so that a containerised exporter sees the host's mounts.
import { statfs } from 'node:fs/promises';
import type { StatsFs } from 'node:fs';
import type { Collector } from './collector.js';

/** A mount that does not answer (a dead NFS server) must not hold up the scrape. */
const STATFS_TIMEOUT_MS = 5000;

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function statfsWithTimeout(path: string): Promise<StatsFs> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`statfs ${path} did not answer within ${STATFS_TIMEOUT_MS} ms`)), STATFS_TIMEOUT_MS);
  });
  return Promise.race([statfs(path), timeout]).finally(() => clearTimeout(timer));
}

const ERROR_HELP = 'Whether an error occurred while getting statistics for the given device.';

export const filesystem: Collector = {
  name: 'filesystem',
  enabledByDefault: true,
  async collect(h, out, o) {
    const text = (await h.readOptional(h.proc('1', 'mounts'))) ?? (await h.read(h.proc('mounts')));
    const seen = new Set<string>();
    const mounts: { device: string; fstype: string; mountpoint: string; readonly: number }[] = [];
    for (const line of text.split('\n')) {
      const [device, rawMount, fstype, options] = line.split(' ');
      if (!device || !rawMount || !fstype) continue;
      const mountpoint = unescapeMount(rawMount);
      if (o.mountPointsExclude.test(mountpoint) || o.fsTypesExclude.test(fstype)) continue;
      const key = `${device}\0${fstype}\0${mountpoint}`;
      if (seen.has(key)) continue;
      seen.add(key);
      mounts.push({ device, fstype, mountpoint, readonly: (options ?? '').split(',').includes('ro') ? 1 : 0 });
    }
    await Promise.all(mounts.map(async ({ device, fstype, mountpoint, readonly }) => {
      const labels = { device, fstype, mountpoint };
      let st: StatsFs;
      try {
        st = await statfsWithTimeout(h.root(mountpoint));
      } catch {
        out.add('node_filesystem_device_error', ERROR_HELP, 'gauge', 1, labels);
        return;
      }
      out.add('node_filesystem_device_error', ERROR_HELP, 'gauge', 0, labels);
      out.add('node_filesystem_size_bytes', 'Filesystem size in bytes.', 'gauge', st.blocks * st.bsize, labels);
      out.add('node_filesystem_free_bytes', 'Filesystem free space in bytes.', 'gauge', st.bfree * st.bsize, labels);
      out.add('node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', 'gauge', st.bavail * st.bsize, labels);
      out.add('node_filesystem_files', 'Filesystem total file nodes.', 'gauge', st.files, labels);
      out.add('node_filesystem_files_free', 'Filesystem total free file nodes.', 'gauge', st.ffree, labels);
      out.add('node_filesystem_readonly', 'Filesystem read-only status.', 'gauge', readonly, labels);
    }));
  },
};
