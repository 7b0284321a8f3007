// mdadm: Linux software RAID arrays from /proc/mdstat: state, disks by state, size and sync progress.
import type { Collector } from './collector.js';
import { parseNumber, NoDataError } from './collector.js';

interface Array {
  name: string;
  state: string;
  active: number;
  failed: number;
  spare: number;
  total: number;
  blocks: number;
  synced: number;
}

/** The array's disk counts from its device line and the status line after it. */
function diskCounts(deviceLine: string, statusLine: string): { active: number; total: number; blocks: number } {
  const blocks = parseNumber(statusLine.trim().split(/\s+/)[0] ?? '', `mdstat size of ${JSON.stringify(deviceLine)}`);
  if (/\b(raid0|linear)\b/.test(deviceLine)) {
    // Only member disks carry a [n] on the device line of a striped or linear array.
    const total = (deviceLine.match(/\[/g) ?? []).length;
    return { active: total, total, blocks };
  }
  if (deviceLine.includes('inactive')) return { active: 0, total: 0, blocks };
  const m = /(\d+) blocks .*\[(\d+)\/(\d+)\] \[([U_]+)\]/.exec(statusLine);
  if (!m) throw new Error(`mdstat: no [total/active] in ${JSON.stringify(statusLine.trim())}`);
  return { active: Number(m[3]), total: Number(m[2]), blocks };
}

function parseMdstat(text: string): Array[] {
  const lines = text.split('\n');
  const arrays: Array[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.startsWith(' ') || line.startsWith('\t') || line.startsWith('Personalities') || line.startsWith('unused')) return;
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3) throw new Error(`mdstat: too few fields in ${JSON.stringify(line)}`);
    if (lines.length <= i + 3) throw new Error(`mdstat: too few lines for ${fields[0]}`);
    let state = fields[2]!;
    const { active, total, blocks } = diskCounts(line, lines[i + 1]!);
    const syncLine = lines[lines[i + 2]!.includes('bitmap') ? i + 3 : i + 2] ?? '';
    let synced = blocks;
    const recovering = syncLine.includes('recovery');
    const resyncing = syncLine.includes('resync');
    const checking = syncLine.includes('check');
    if (recovering || resyncing || checking) {
      state = recovering ? 'recovering' : checking ? 'checking' : 'resyncing';
      if (syncLine.includes('PENDING') || syncLine.includes('DELAYED')) synced = 0;
      else {
        const m = /\((\d+)\/\d+\)/.exec(syncLine);
        if (!m) throw new Error(`mdstat: no progress in ${JSON.stringify(syncLine.trim())}`);
        synced = Number(m[1]);
      }
    }
    arrays.push({
      name: fields[0]!, state, active, total, blocks, synced,
      failed: (line.match(/\(F\)/g) ?? []).length, spare: (line.match(/\(S\)/g) ?? []).length,
    });
  });
  return arrays;
}

/** node_md_state's label values and the parsed state each stands for. */
const STATES: [string, string][] = [['active', 'active'], ['inactive', 'inactive'], ['recovering', 'recovering'], ['resync', 'resyncing'], ['check', 'checking']];

export const mdadm: Collector = {
  name: 'mdadm',
  enabledByDefault: true,
  async collect(h, out) {
    const text = await h.readOptional(h.proc('mdstat'));
    if (text === undefined) throw new NoDataError(`no ${h.proc('mdstat')}: no software RAID`);
    for (const a of parseMdstat(text)) {
      const device = a.name;
      for (const [label, state] of STATES) out.add('node_md_state', 'Indicates the state of md-device.', 'gauge', a.state === state ? 1 : 0, { device, state: label });
      out.add('node_md_disks', 'Number of active/failed/spare disks of device.', 'gauge', a.active, { device, state: 'active' });
      out.add('node_md_disks', 'Number of active/failed/spare disks of device.', 'gauge', a.failed, { device, state: 'failed' });
      out.add('node_md_disks', 'Number of active/failed/spare disks of device.', 'gauge', a.spare, { device, state: 'spare' });
      out.add('node_md_disks_required', 'Total number of disks of device.', 'gauge', a.total, { device });
      out.add('node_md_blocks', 'Total number of blocks on device.', 'gauge', a.blocks, { device });
      out.add('node_md_blocks_synced', 'Number of blocks synced on device.', 'gauge', a.synced, { device });
    }
  },
};
