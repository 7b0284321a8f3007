// bcache: cache sets under /sys/fs/bcache/<uuid>, their backing devices (bdevN) and cache
// devices (cacheN). bcache prints sizes "human readable" (`20.4G`, `427.5k`): the digit after the
// point counts tenths of 1000 units of the next smaller power of 1024, which is how
// node_exporter's parser reads them, so the numbers here come out the same.
import type { HostFiles } from '../context.js';
import type { FamilySet, FamilyType } from '../metrics.js';
import type { Collector } from './collector.js';
import { flagValue, parseNumber, NoDataError } from './collector.js';
import { flag } from '../../util/flags.js';

const UNITS: Record<string, number> = { k: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50, E: 2 ** 60 };

/** "20.4G" -> 20 GiB + 4 x 100 MiB; "-321.5k" -> negative. */
export function dehumanize(text: string, where: string): number {
  const m = /^(-?)(\d+)(?:\.(\d))?([kMGTPE]?)$/.exec(text.trim());
  if (!m) throw new Error(`${where}: not a bcache size: ${JSON.stringify(text.trim())}`);
  const unit = m[4] === '' ? 1 : UNITS[m[4]!]!;
  const tenths = m[3] === undefined ? 0 : Number(m[3]) * (unit / 1024) * 100;
  const v = Number(m[2]) * unit + (m[4] === '' ? 0 : tenths);
  return m[1] === '-' ? -v : v;
}

const STATS_TOTAL: [string, string, string, boolean][] = [
  ['bypassed', 'bypassed_bytes_total', 'Amount of IO (both reads and writes) that has bypassed the cache.', true],
  ['cache_hits', 'cache_hits_total', 'Hits counted per individual IO as bcache sees them.', false],
  ['cache_misses', 'cache_misses_total', 'Misses counted per individual IO as bcache sees them.', false],
  ['cache_bypass_hits', 'cache_bypass_hits_total', 'Hits for IO intended to skip the cache.', false],
  ['cache_bypass_misses', 'cache_bypass_misses_total', 'Misses for IO intended to skip the cache.', false],
  ['cache_miss_collisions', 'cache_miss_collisions_total', 'Instances where data insertion from cache miss raced with write (data already present).', false],
  ['cache_readaheads', 'cache_readaheads_total', 'Count of times readahead occurred.', false],
];

/** writeback_rate_debug key -> metric and help. */
const WRITEBACK: Record<string, [string, string]> = {
  rate: ['writeback_rate', 'Current writeback rate for this backing device in bytes.'],
  target: ['dirty_target_bytes', 'Current dirty data target threshold for this backing device in bytes.'],
  proportional: ['writeback_rate_proportional_term', 'Current result of proportional controller, part of writeback rate'],
  integral: ['writeback_rate_integral_term', 'Current result of integral controller, part of writeback rate'],
  change: ['writeback_change', 'Last writeback rate change step for this backing device.'],
};

async function cacheSet(h: HostFiles, out: FamilySet, dir: string, uuid: string, priorityStats: boolean): Promise<void> {
  const add = (name: string, help: string, type: FamilyType, v: number, labels: Record<string, string> = {}): void => out.add(`node_bcache_${name}`, help, type, v, { uuid, ...labels });
  const num = async (f: string): Promise<number> => parseNumber(await h.read(`${dir}/${f}`), `${dir}/${f}`);
  const size = async (f: string): Promise<number> => dehumanize(await h.read(`${dir}/${f}`), `${dir}/${f}`);
  add('average_key_size_sectors', 'Average data per key in the btree (sectors).', 'gauge', await size('average_key_size'));
  add('btree_cache_size_bytes', 'Amount of memory currently used by the btree cache.', 'gauge', await size('btree_cache_size'));
  add('cache_available_percent', 'Percentage of cache device without dirty data, usable for writeback (may contain clean cached data).', 'gauge', await num('cache_available_percent'));
  add('congested', 'Congestion.', 'gauge', await num('congested'));
  add('root_usage_percent', 'Percentage of the root btree node in use (tree depth increases if too high).', 'gauge', await num('root_usage_percent'));
  add('tree_depth', 'Depth of the btree.', 'gauge', await num('tree_depth'));
  add('active_journal_entries', 'Number of journal entries that are newer than the index.', 'gauge', await num('internal/active_journal_entries'));
  add('btree_nodes', 'Total nodes in the btree.', 'gauge', await num('internal/btree_nodes'));
  // node_exporter scales this microsecond file by 1e-9; kept so the numbers agree.
  add('btree_read_average_duration_seconds', 'Average btree read duration.', 'gauge', (await num('internal/btree_read_average_duration_us')) * 1e-9);
  add('cache_read_races_total', 'Counts instances where while data was being read from the cache, the bucket was reused and invalidated - i.e. where the pointer was stale after the read completed.', 'counter', await num('internal/cache_read_races'));
  for (const entry of await h.list(dir)) {
    if (/^bdev\d+$/.test(entry)) {
      const labels = { backing_device: entry };
      add('dirty_data_bytes', 'Amount of dirty data for this backing device in the cache.', 'gauge', await size(`${entry}/dirty_data`), labels);
      for (const line of (await h.read(`${dir}/${entry}/writeback_rate_debug`)).split('\n')) {
        const m = /^([a-z ]+):\s+(\S+?)(\/sec)?$/.exec(line.trim());
        const w = m ? WRITEBACK[m[1]!] : undefined;
        if (w) add(w[0], w[1], 'gauge', dehumanize(m![2]!, `${dir}/${entry}/writeback_rate_debug ${m![1]}`), labels);
      }
      for (const [file, name, help, human] of STATS_TOTAL) {
        const f = `${entry}/stats_total/${file}`;
        add(name, help, 'counter', human ? await size(f) : await num(f), labels);
      }
    } else if (/^cache\d+$/.test(entry)) {
      const labels = { cache_device: entry };
      add('io_errors', 'Number of errors that have occurred, decayed by io_error_halflife.', 'gauge', await num(`${entry}/io_errors`), labels);
      add('metadata_written_bytes_total', 'Sum of all non data writes (btree writes and all other metadata).', 'counter', await size(`${entry}/metadata_written`), labels);
      add('written_bytes_total', 'Sum of all data that has been written to the cache.', 'counter', await size(`${entry}/written`), labels);
      if (priorityStats) {
        const text = await h.read(`${dir}/${entry}/priority_stats`);
        const pct = (key: string): number => parseNumber(new RegExp(`^${key}:\\s*(\\d+)%`, 'm').exec(text)?.[1] ?? '', `${dir}/${entry}/priority_stats ${key}`);
        add('priority_stats_unused_percent', "The percentage of the cache that doesn't contain any data.", 'gauge', pct('Unused'), labels);
        add('priority_stats_metadata_percent', "Bcache's metadata overhead.", 'gauge', pct('Metadata'), labels);
      }
    }
  }
}

export const bcache: Collector = {
  name: 'bcache',
  enabledByDefault: true,
  flags: { 'collector.bcache.priorityStats': flag.bool('Expose expensive priority stats.') },
  async collect(h, out, o) {
    const base = h.sys('fs', 'bcache');
    const sets = (await h.list(base)).filter((e) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(e));
    if (sets.length === 0) throw new NoDataError(`no bcache cache sets under ${base}`);
    for (const uuid of sets) await cacheSet(h, out, `${base}/${uuid}`, uuid, flagValue<boolean>(o, 'collector.bcache.priorityStats'));
  },
};
