// netstat: protocol counters from /proc/net/netstat and /proc/net/snmp (header line, value line per
// protocol) and /proc/net/snmp6 (one `Ip6InReceives 7` pair per line), kept by
// --collector.netstat.fields as node_exporter keeps them.
import type { FamilySet } from '../metrics.js';
import type { Collector } from './collector.js';
import { flagValue, parseNumber, regexpFlag } from './collector.js';

const FIELDS = 'collector.netstat.fields';
const DEFAULT_FIELDS = '^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$';

/** `Proto: a b c` / `Proto: 1 2 3` line pairs. */
function pairedTables(text: string, where: string, into: Map<string, string>): void {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const proto = names[0]!.replace(/:$/, '');
    if (values[0] !== names[0] || names.length !== values.length) throw new Error(`${where}: mismatched header and values for ${proto}`);
    for (let j = 1; j < names.length; j++) into.set(`${proto}_${names[j]}`, values[j]!);
  }
}

/** snmp6: `Ip6InReceives 7`, split after the protocol prefix (Ip6, Icmp6, Udp6, UdpLite6). */
function snmp6(text: string, into: Map<string, string>): void {
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (!key || value === undefined) continue;
    const m = /^([A-Za-z]+6)(.+)$/.exec(key);
    if (m) into.set(`${m[1]}_${m[2]}`, value);
  }
}

export const netstat: Collector = {
  name: 'netstat',
  enabledByDefault: true,
  flags: { [FIELDS]: regexpFlag('Regexp of fields to return for netstat collector.', DEFAULT_FIELDS) },
  async collect(h, out: FamilySet, o) {
    const fields = flagValue<RegExp>(o, FIELDS);
    const stats = new Map<string, string>();
    pairedTables(await h.read(h.proc('net', 'netstat')), h.proc('net', 'netstat'), stats);
    pairedTables(await h.read(h.proc('net', 'snmp')), h.proc('net', 'snmp'), stats);
    const six = await h.readOptional(h.proc('net', 'snmp6'));
    if (six !== undefined) snmp6(six, stats);
    for (const [key, value] of stats) {
      if (!fields.test(key)) continue;
      out.add(`node_netstat_${key}`, `Statistic ${key.replace('_', '')}.`, 'untyped', parseNumber(value, `netstat ${key}`));
    }
  },
};
