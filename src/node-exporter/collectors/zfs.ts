// zfs: the ZFS on Linux kstats under /proc/spl/kstat/zfs. Each kstat file is a table
// (`name type data`) after a header line; node_exporter names every row
// node_zfs_<subsystem>_<name> with the kstat path as help, and reads each pool's io, objset-* and
// state files for the node_zfs_zpool_* families.
import type { HostFiles } from '../context.js';
import type { FamilySet } from '../metrics.js';
import type { Collector } from './collector.js';
import { parseNumber, NoDataError } from './collector.js';

/** kstat file -> metric subsystem. */
const KSTATS: [string, string][] = [
  ['abdstats', 'abd'], ['arcstats', 'arc'], ['dbuf_stats', 'dbuf'], ['dmu_tx', 'dmu_tx'], ['dnodestats', 'dnode'], ['fm', 'fm'],
  ['vdev_cache_stats', 'vdev_cache'], ['vdev_mirror_stats', 'vdev_mirror'], ['xuio_stats', 'xuio'], ['zfetchstats', 'zfetch'], ['zil', 'zil'],
];

const POOL_STATES = ['online', 'degraded', 'faulted', 'offline', 'removed', 'unavail'];

/** KSTAT_DATA_UINT64: the only row type node_exporter turns into samples. */
const KSTAT_UINT64 = '4';

/** The rows of a named kstat (`name type data` after the two header lines). */
function kstatRows(text: string, where: string): { name: string; type: string; data: string }[] {
  const lines = text.split('\n');
  if (!/^name\s+type\s+data/.test(lines[1] ?? '')) throw new Error(`${where}: not a kstat table`);
  return lines.slice(2).filter((l) => l.trim() !== '').map((l) => {
    const [name, type, data] = l.trim().split(/\s+/);
    if (name === undefined || type === undefined || data === undefined) throw new Error(`${where}: truncated line ${JSON.stringify(l)}`);
    return { name, type, data };
  });
}

async function poolStats(h: HostFiles, out: FamilySet, pool: string): Promise<void> {
  const dir = h.proc('spl', 'kstat', 'zfs', pool);
  const io = await h.readOptional(`${dir}/io`);
  if (io !== undefined) {
    const [, header, values] = io.split('\n');
    const names = (header ?? '').trim().split(/\s+/);
    const data = (values ?? '').trim().split(/\s+/);
    if (names.length !== data.length) throw new Error(`${dir}/io: ${names.length} columns but ${data.length} values`);
    names.forEach((n, i) => out.add(`node_zfs_zpool_${n}`, `kstat.zfs.misc.io.${n}`, 'untyped', parseNumber(data[i]!, `${dir}/io`), { zpool: pool }));
  }
  for (const file of (await h.list(dir)).filter((f) => f.startsWith('objset-'))) {
    const rows = kstatRows(await h.read(`${dir}/${file}`), `${dir}/${file}`);
    const dataset = rows.find((r) => r.name === 'dataset_name')?.data ?? '';
    for (const r of rows) {
      if (r.type !== KSTAT_UINT64) continue;
      out.add(`node_zfs_zpool_dataset_${r.name}`, `kstat.zfs.misc.objset.${r.name}`, 'untyped', parseNumber(r.data, `${dir}/${file}`), { dataset, zpool: pool });
    }
  }
  const state = await h.readOptional(`${dir}/state`);
  if (state !== undefined) {
    const s = state.trim().toLowerCase();
    for (const st of POOL_STATES) out.add('node_zfs_zpool_state', 'kstat.zfs.misc.state', 'gauge', st === s ? 1 : 0, { state: st, zpool: pool });
  }
}

export const zfs: Collector = {
  name: 'zfs',
  enabledByDefault: true,
  async collect(h, out) {
    const base = h.proc('spl', 'kstat', 'zfs');
    const texts = await Promise.all(KSTATS.map(([file]) => h.readOptional(`${base}/${file}`)));
    if (texts.every((t) => t === undefined)) throw new NoDataError(`no ZFS kstats under ${base} (ZFS is not loaded)`);
    KSTATS.forEach(([file, subsystem], i) => {
      const text = texts[i];
      if (text === undefined) return;
      for (const r of kstatRows(text, `${base}/${file}`)) {
        if (r.type !== KSTAT_UINT64) continue;
        const name = r.name.replace(/-/g, '_');
        out.add(`node_zfs_${subsystem}_${name}`, `kstat.zfs.misc.${file}.${r.name}`, 'untyped', parseNumber(r.data, `${base}/${file}`), {});
      }
    });
    const pools = [];
    for (const entry of await h.list(base)) if ((await h.readOptional(`${base}/${entry}/state`)) !== undefined || (await h.readOptional(`${base}/${entry}/io`)) !== undefined) pools.push(entry);
    for (const pool of pools) await poolStats(h, out, pool);
  },
};
