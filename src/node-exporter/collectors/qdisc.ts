// qdisc: the root queueing discipline of every network device, as node_exporter 1.5 reports it.
// Live, the qdiscs come from an rtnetlink RTM_GETQDISC dump through the native addon
// (crates/sysinfo-linux/src/qdisc.rs); with upstream's fixture hook (--collector.qdisc.fixtures)
// from its results.json, the JSON of what that dump would have given.
import { join } from 'node:path';
import type { HostFiles } from '../context.js';
import type { Collector } from './collector.js';
import { flagValue, optionalRegexpFlag } from './collector.js';
import { hostCalls } from './host-calls.js';
import { fixtureField, fixtureNumber, readFixtureJson } from './fixture-json.js';
import type { HostCalls } from './host-calls.js';
import { flag } from '../../util/flags.js';

/** One qdisc, as github.com/ema/qdisc's QdiscInfo holds it. */
export interface QdiscInfo {
  device: string;
  kind: string;
  /** 0 for a root qdisc (the library turns TC_H_ROOT into 0). */
  parent: number;
  bytes: number;
  packets: number;
  drops: number;
  requeues: number;
  overlimits: number;
  qlen: number;
  backlog: number;
}

/** The parent of a root qdisc as the kernel gives it. */
const TC_H_ROOT = 0xffffffff;
/** hostQdiscs' numbers per qdisc: parent, handle, bytes, packets, drops, requeues, overlimits, qlen, backlog. */
const LIVE_STRIDE = 9;

/** The qdisc dump, decoded from the addon's layout (crates/tsdb-node/src/host.rs). */
export function decodeQdiscs(host: Pick<HostCalls, 'hostQdiscs'>): QdiscInfo[] {
  const { names, values } = host.hostQdiscs();
  const text = names.split('\0');
  const out: QdiscInfo[] = [];
  for (let i = 0; i * LIVE_STRIDE < values.length; i++) {
    const v = values.subarray(i * LIVE_STRIDE, (i + 1) * LIVE_STRIDE);
    out.push({
      device: text[2 * i] ?? '', kind: text[2 * i + 1] ?? '', parent: v[0] === TC_H_ROOT ? 0 : v[0]!,
      bytes: v[2]!, packets: v[3]!, drops: v[4]!, requeues: v[5]!, overlimits: v[6]!, qlen: v[7]!, backlog: v[8]!,
    });
  }
  return out;
}

async function fixtureQdiscs(h: HostFiles, fixtures: string): Promise<QdiscInfo[]> {
  const list = await readFixtureJson(h, join(fixtures, 'results.json'));
  if (!Array.isArray(list)) throw new Error(`${fixtures}/results.json: not a list`);
  return (list as unknown[]).map((entry) => {
    const field = (name: string): unknown => fixtureField(entry, name);
    return {
      device: String(field('IfaceName') ?? ''), kind: String(field('Kind') ?? ''), parent: fixtureNumber(field('Parent')),
      bytes: fixtureNumber(field('Bytes')), packets: fixtureNumber(field('Packets')), drops: fixtureNumber(field('Drops')), requeues: fixtureNumber(field('Requeues')),
      overlimits: fixtureNumber(field('Overlimits')), qlen: fixtureNumber(field('Qlen')), backlog: fixtureNumber(field('Backlog')),
    };
  });
}

export const qdisc: Collector = {
  name: 'qdisc',
  enabledByDefault: false,
  flags: {
    'collector.qdisc.fixtures': flag.string('test fixtures to use for qdisc collector end-to-end testing', ''),
    // node_exporter 1.5 spells these "qdisk"; the same names keep its command lines working.
    'collector.qdisk.device-include': optionalRegexpFlag('Regexp of qdisk devices to include (mutually exclusive to device-exclude).'),
    'collector.qdisk.device-exclude': optionalRegexpFlag('Regexp of qdisk devices to exclude (mutually exclusive to device-include).'),
  },
  async collect(h, out, o) {
    const fixtures = flagValue<string>(o, 'collector.qdisc.fixtures');
    const include = flagValue<RegExp | undefined>(o, 'collector.qdisk.device-include');
    const exclude = flagValue<RegExp | undefined>(o, 'collector.qdisk.device-exclude');
    // node_exporter refuses to start with both; here the collector fails instead of the process.
    if (include && exclude) throw new Error('collector.qdisk.device-include and collector.qdisk.device-exclude are mutaly exclusive');
    const qdiscs = fixtures === '' ? decodeQdiscs(await hostCalls()) : await fixtureQdiscs(h, fixtures);
    for (const q of qdiscs) {
      // Only root qdiscs are reported.
      if (q.parent !== 0) continue;
      // node_exporter 1.5 builds its device filter from device-exclude twice, as the pattern to
      // ignore and as the one to accept, and never reads device-include: any device-exclude
      // drops every device (matching or not), and device-include changes nothing. Debian's
      // node_exporter 1.5 does exactly that; the live test holds us to it.
      if (exclude) continue;
      const labels = { device: q.device, kind: q.kind };
      out.add('node_qdisc_packets_total', 'Number of packets sent.', 'counter', q.packets, labels);
      out.add('node_qdisc_bytes_total', 'Number of bytes sent.', 'counter', q.bytes, labels);
      out.add('node_qdisc_drops_total', 'Number of packets dropped.', 'counter', q.drops, labels);
      out.add('node_qdisc_requeues_total', 'Number of packets dequeued, not transmitted, and requeued.', 'counter', q.requeues, labels);
      out.add('node_qdisc_overlimits_total', 'Number of overlimit packets.', 'counter', q.overlimits, labels);
      out.add('node_qdisc_current_queue_length', 'Number of packets currently in queue to be sent.', 'gauge', q.qlen, labels);
      out.add('node_qdisc_backlog', 'Number of bytes currently in queue to be sent.', 'gauge', q.backlog, labels);
    }
  },
};
