// Bad input: a host tree with missing, unreadable, truncated and garbage files. Each collector that
// meets one reports node_scrape_collector_success 0 and a logged reason, as node_exporter does;
// the collectors with good input next to them still report, and the scrape itself is served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostFiles } from '../../src/node-exporter/context.js';
import { NodeExporter } from '../../src/node-exporter/exporter.js';
import type { CollectorFailure } from '../../src/node-exporter/exporter.js';
import { writeText } from '../../src/node-exporter/metrics.js';
import { COLLECTORS, defaultCollectorFlags, DEFAULT_DISKSTATS_DEVICE_EXCLUDE, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from '../../src/node-exporter/collectors/index.js';
import { compile } from '../../src/regex/re2.js';
import { parseText, parseSeriesText } from '../../src/exposition/index.js';

/** Per collector: the broken input it gets, and why it must fail. */
const BROKEN: Record<string, Record<string, string>> = {
  loadavg: { 'proc/loadavg': 'garbage\n' }, // garbage numbers
  sockstat: { 'proc/net/sockstat': 'sockets: used 229\nTCP: inuse many orphan 0\n' }, // garbage number
  netstat: { 'proc/net/netstat': 'TcpExt: SyncookiesSent SyncookiesRecv\n', 'proc/net/snmp': 'Ip: Forwarding\nIp: 1 2 3\n' }, // truncated / mismatched
  mdadm: { 'proc/mdstat': 'Personalities : [raid1]\nmd0 : active raid1 sda1[0]\n' }, // truncated array
  zfs: { 'proc/spl/kstat/zfs/arcstats': 'not a kstat table\n' },
  xfs: { 'sys/fs/xfs/sda1/stats/stats': 'extent_alloc 1 2\n' }, // truncated line
  schedstat: { 'proc/schedstat': 'version 15\ncpu0 1 2 3\n' }, // truncated line
  softnet: { 'proc/net/softnet_stat': 'zz\n' },
  conntrack: { 'proc/sys/net/netfilter/nf_conntrack_count': '12\n', 'proc/sys/net/netfilter/nf_conntrack_max': 'lots\n' },
  cgroups: { 'proc/cgroups': '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t5\n' }, // truncated line
  buddyinfo: { 'proc/buddyinfo': 'Node 0, zone      DMA      1      x\n' },
  edac: { 'sys/devices/system/edac/mc/mc0/ce_count': '1\n' }, // ue_count and the rest missing
  rapl: { 'sys/class/powercap/intel-rapl:0/name': 'package-0\n', 'sys/class/powercap/intel-rapl:0/energy_uj': '-\n' },
  tapestats: { 'sys/class/scsi_tape/st0/stats/in_flight': '1\n' }, // the other stats files missing
  interrupts: { 'proc/interrupts': '  CPU0 CPU1\n  0:  18  zero  IO-APIC timer\n' },
};

/** Good input for a few collectors, which must keep working next to the broken ones. */
const GOOD: Record<string, string> = {
  'proc/sys/fs/file-nr': '1536\t0\t9223372036854775807\n',
  'proc/net/arp': 'IP address       HW type     Flags       HW address            Mask     Device\n10.0.0.1 0x1 0x2 de:ad:be:ef:00:00 * eth0\n',
};

test('collectors with missing, unreadable, truncated or garbage input report success 0 and a reason; the others keep working', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'promethium-ne-bad-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const files of Object.values(BROKEN)) for (const [p, text] of Object.entries(files)) write(p, text);
  for (const [p, text] of Object.entries(GOOD)) write(p, text);
  // Unreadable: a directory where a file should be (EISDIR; chmod 000 does not stop root).
  mkdirSync(join(root, 'proc', 'slabinfo'), { recursive: true });
  const failures: CollectorFailure[] = [];
  const names = [...Object.keys(BROKEN), 'slabinfo', 'filefd', 'arp'];
  const exporter = new NodeExporter({
    files: new HostFiles({ procfs: join(root, 'proc'), sysfs: join(root, 'sys'), rootfs: root, udevData: join(root, 'udev') }),
    collectors: COLLECTORS.filter((c) => names.includes(c.name)),
    options: {
      mountPointsExclude: compile(DEFAULT_MOUNT_POINTS_EXCLUDE),
      fsTypesExclude: compile(DEFAULT_FS_TYPES_EXCLUDE),
      diskstatsDeviceExclude: compile(DEFAULT_DISKSTATS_DEVICE_EXCLUDE),
      netclassIgnoredDevices: compile('^$'),
      flags: defaultCollectorFlags(),
    },
    exporterMetrics: true,
    onCollectorError: (f) => failures.push(f),
  });
  const body = writeText(await exporter.collectFamilies());
  const success = new Map<string, number>();
  for (const s of parseText(body)) {
    const l = parseSeriesText(s.series);
    if (l['__name__'] === 'node_scrape_collector_success') success.set(l['collector']!, s.value);
  }
  for (const name of [...Object.keys(BROKEN), 'slabinfo']) {
    assert.equal(success.get(name), 0, `${name} should fail on its broken input`);
    const failure = failures.find((f) => f.collector === name);
    assert.ok(failure, `${name}: its failure is reported for the log`);
    assert.ok(failure.error.message.length > 0, `${name}: the failure says why`);
  }
  assert.equal(success.get('filefd'), 1);
  assert.equal(success.get('arp'), 1);
  assert.match(body, /^node_filefd_allocated 1536$/m);
  assert.match(body, /^node_arp_entries\{device="eth0"\} 1$/m);
  // A failed collector's partial output is not served (sockstat had parsed a line before failing).
  assert.doesNotMatch(body, /node_sockstat_sockets_used/);
  assert.match(body, /^process_resident_memory_bytes /m);
});
