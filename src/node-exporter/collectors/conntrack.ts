// conntrack: the netfilter connection table's size and limit, and its per-CPU statistics summed.
import type { Collector } from './collector.js';
import { parseNumber, NoDataError } from './collector.js';

/** /proc/net/stat/nf_conntrack column -> metric suffix and help. */
const STATS: [string, string, string][] = [
  ['found', 'found', 'Number of searched entries which were successful.'],
  ['invalid', 'invalid', 'Number of packets seen which can not be tracked.'],
  ['ignore', 'ignore', 'Number of packets seen which are already connected to a conntrack entry.'],
  ['insert', 'insert', 'Number of entries inserted into the list.'],
  ['insert_failed', 'insert_failed', 'Number of entries for which list insertion was attempted but failed.'],
  ['drop', 'drop', 'Number of packets dropped due to conntrack failure.'],
  ['early_drop', 'early_drop', 'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.'],
  ['search_restart', 'search_restart', 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.'],
];

export const conntrack: Collector = {
  name: 'conntrack',
  enabledByDefault: true,
  async collect(h, out) {
    const count = await h.readOptional(h.proc('sys', 'net', 'netfilter', 'nf_conntrack_count'));
    if (count === undefined) throw new NoDataError('conntrack is not loaded (no nf_conntrack_count)');
    out.add('node_nf_conntrack_entries', 'Number of currently allocated flow entries for connection tracking.', 'gauge', parseNumber(count, 'nf_conntrack_count'));
    out.add('node_nf_conntrack_entries_limit', 'Maximum size of connection tracking table.', 'gauge', parseNumber(await h.read(h.proc('sys', 'net', 'netfilter', 'nf_conntrack_max')), 'nf_conntrack_max'));
    const stat = await h.readOptional(h.proc('net', 'stat', 'nf_conntrack'));
    if (stat === undefined) return;
    const [header, ...rows] = stat.split('\n').filter((l) => l.trim() !== '');
    const columns = (header ?? '').trim().split(/\s+/);
    const sums = new Map<string, number>();
    for (const row of rows) {
      const values = row.trim().split(/\s+/);
      if (values.length !== columns.length) throw new Error(`nf_conntrack stat: ${values.length} values for ${columns.length} columns`);
      columns.forEach((c, i) => sums.set(c, (sums.get(c) ?? 0) + parseNumber(`0x${values[i]}`, `nf_conntrack stat ${c}`)));
    }
    for (const [column, suffix, help] of STATS) out.add(`node_nf_conntrack_stat_${suffix}`, help, 'gauge', sums.get(column) ?? 0);
  },
};
