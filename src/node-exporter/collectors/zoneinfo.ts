// zoneinfo: per NUMA node and memory zone page counts from /proc/zoneinfo. A family appears for a
// zone only when the kernel printed its line there (per-node stats come with the node's first zone).
import type { Collector } from './collector.js';
import { parseNumber } from './collector.js';

/** /proc/zoneinfo key -> metric suffix, type, help. */
const FIELDS: Record<string, [string, 'gauge' | 'counter', string]> = {
  nr_free_pages: ['nr_free_pages', 'gauge', 'Total number of free pages in the zone'],
  min: ['min_pages', 'gauge', 'Zone watermark pages_min'],
  low: ['low_pages', 'gauge', 'Zone watermark pages_low'],
  high: ['high_pages', 'gauge', 'Zone watermark pages_high'],
  spanned: ['spanned_pages', 'gauge', 'Total pages spanned by the zone, including holes'],
  present: ['present_pages', 'gauge', 'Physical pages existing within the zone'],
  managed: ['managed_pages', 'gauge', 'Present pages managed by the buddy system'],
  nr_active_anon: ['nr_active_anon_pages', 'gauge', 'Number of anonymous pages recently more used'],
  nr_inactive_anon: ['nr_inactive_anon_pages', 'gauge', 'Number of anonymous pages recently less used'],
  nr_isolated_anon: ['nr_isolated_anon_pages', 'gauge', 'Temporary isolated pages from anon lru'],
  nr_anon_pages: ['nr_anon_pages', 'gauge', 'Number of anonymous pages currently used by the system'],
  nr_anon_transparent_hugepages: ['nr_anon_transparent_hugepages', 'gauge', 'Number of anonymous transparent huge pages currently used by the system'],
  nr_active_file: ['nr_active_file_pages', 'gauge', 'Number of active pages with file-backing'],
  nr_inactive_file: ['nr_inactive_file_pages', 'gauge', 'Number of inactive pages with file-backing'],
  nr_isolated_file: ['nr_isolated_file_pages', 'gauge', 'Temporary isolated pages from file lru'],
  nr_file_pages: ['nr_file_pages', 'gauge', 'Number of file pages'],
  nr_slab_reclaimable: ['nr_slab_reclaimable_pages', 'gauge', 'Number of reclaimable slab pages'],
  nr_slab_unreclaimable: ['nr_slab_unreclaimable_pages', 'gauge', 'Number of unreclaimable slab pages'],
  nr_kernel_stack: ['nr_kernel_stacks', 'gauge', 'Number of kernel stacks'],
  nr_mapped: ['nr_mapped_pages', 'gauge', 'Number of mapped pages'],
  nr_dirty: ['nr_dirty_pages', 'gauge', 'Number of dirty pages'],
  nr_writeback: ['nr_writeback_pages', 'gauge', 'Number of writeback pages'],
  nr_unevictable: ['nr_unevictable_pages', 'gauge', 'Number of unevictable pages'],
  nr_shmem: ['nr_shmem_pages', 'gauge', 'Number of shmem pages (included tmpfs/GEM pages)'],
  nr_dirtied: ['nr_dirtied_total', 'counter', 'Page dirtyings since bootup'],
  nr_written: ['nr_written_total', 'counter', 'Page writings since bootup'],
  numa_hit: ['numa_hit_total', 'counter', 'Allocated in intended node'],
  numa_miss: ['numa_miss_total', 'counter', 'Allocated in non intended node'],
  numa_foreign: ['numa_foreign_total', 'counter', 'Was intended here, hit elsewhere'],
  numa_interleave: ['numa_interleave_total', 'counter', 'Interleaver preferred this zone'],
  numa_local: ['numa_local_total', 'counter', 'Allocation from local node'],
  numa_other: ['numa_other_total', 'counter', 'Allocation from other node'],
};

export const zoneinfo: Collector = {
  name: 'zoneinfo',
  enabledByDefault: false,
  async collect(h, out) {
    let labels: { node: string; zone: string } | undefined;
    for (const raw of (await h.read(h.proc('zoneinfo'))).split('\n')) {
      const line = raw.trim();
      const zone = /^Node (\d+), zone\s+(\S+)/.exec(line);
      if (zone) {
        labels = { node: zone[1]!, zone: zone[2]! };
        continue;
      }
      if (!labels) continue;
      const parts = line.split(/\s+/);
      if (parts[0] === 'protection:') {
        const values = line.slice(line.indexOf('(') + 1, line.lastIndexOf(')')).split(',');
        values.forEach((v, i) => out.add(`node_zoneinfo_protection_${i}`, `Protection array ${i}. field`, 'gauge', parseNumber(v, 'zoneinfo protection'), labels));
        continue;
      }
      // "pages free N" is the zone header; its own nr_free_pages line follows.
      const [key, value] = parts[0] === 'pages' ? [undefined, undefined] : parts;
      const f = key === undefined ? undefined : FIELDS[key];
      if (!f || value === undefined) continue;
      out.add(`node_zoneinfo_${f[0]}`, f[2], f[1], parseNumber(value, `zoneinfo ${key}`), labels);
    }
  },
};
