// The collectors on a fixture tree (--path.procfs/sysfs/rootfs pointed at files written here):
// node_exporter's units (jiffies to seconds, kB to bytes, sectors to bytes), labels, and a failing
// collector reported as such without failing the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HostFiles } from '../../src/node-exporter/context.js';
import { NodeExporter } from '../../src/node-exporter/exporter.js';
import type { Family } from '../../src/node-exporter/metrics.js';
import { formatSampleValue, writeText } from '../../src/node-exporter/metrics.js';
import { COLLECTORS, defaultCollectorFlags, DEFAULT_DISKSTATS_DEVICE_EXCLUDE, DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from '../../src/node-exporter/collectors/index.js';
import { compile } from '../../src/regex/re2.js';
import { parseText } from '../../src/exposition/index.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'promethium-ne-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const FIXTURE: Record<string, string> = {
  'proc/stat': [
    'cpu  2000 10 300 40000 50 0 20 5 0 0',
    'cpu0 1234 7 200 20000 25 0 10 3 40 6',
    'cpu1 766 3 100 20000 25 0 10 2 0 0',
    'intr 987654 0 9 0',
    'ctxt 123456789',
    'btime 1700000000',
    'processes 4242',
    'procs_running 3',
    'procs_blocked 1',
    'softirq 1 2 3',
    '',
  ].join('\n'),
  'proc/meminfo': 'MemTotal:       16384000 kB\nMemFree:         1024000 kB\nActive(anon):      2048 kB\nHugePages_Total:       4\nHugepagesize:       2048 kB\n',
  'proc/loadavg': '0.25 0.50 1.75 2/345 6789\n',
  'proc/sys/fs/file-nr': '1536\t0\t9223372036854775807\n',
  'proc/vmstat': 'nr_free_pages 1000\npgpgin 111\npgpgout 222\npswpin 3\npswpout 4\npgfault 5555\npgmajfault 66\noom_kill 0\nnuma_hit 1\n',
  'proc/net/dev': [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:    5000      50    0    0    0     0          0         0     5000      50    0    0    0     0       0          0',
    '  eth0: 1000000    2000    1    2    0     0          0         7   500000    1500    0    3    0     0       0          0',
    '',
  ].join('\n'),
  'proc/diskstats': [
    ' 254       0 vda 100 5 2048 40 200 10 4096 80 0 150 120 7 1 64 9 11 3',
    ' 254       1 vda1 90 5 2000 30 190 10 4000 70 0 140 100 0 0 0 0 0 0',
    '   7       0 loop0 1 0 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0',
    '',
  ].join('\n'),
  'proc/1/mounts': '/dev/vda / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n/dev/vdb /data\\040disk ext4 ro,relatime 0 0\ntmpfs /run tmpfs rw 0 0\n',
  'proc/pressure/cpu': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=2500000\n',
  'proc/pressure/io': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=500000\n',
  'proc/pressure/memory': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
  'proc/sys/kernel/random/entropy_avail': '256\n',
  'proc/sys/kernel/random/poolsize': '256\n',
  'proc/sys/kernel/hostname': 'fixture-host\n',
  'proc/sys/kernel/osrelease': '6.1.0-test\n',
  'proc/sys/kernel/ostype': 'Linux\n',
  'proc/sys/kernel/version': '#1 SMP test\n',
  'proc/sys/kernel/domainname': '(none)\n',
  'sys/class/net/eth0/operstate': 'up\n',
  'sys/class/net/eth0/address': '02:00:00:00:00:01\n',
  'sys/class/net/eth0/broadcast': 'ff:ff:ff:ff:ff:ff\n',
  'sys/class/net/eth0/duplex': 'full\n',
  'sys/class/net/eth0/ifalias': '\n',
  'sys/class/net/eth0/mtu': '1500\n',
  'sys/class/net/eth0/flags': '0x1003\n',
  'sys/class/net/eth0/speed': '1000\n',
  'sys/class/net/eth0/carrier': '1\n',
  'sys/class/net/eth0/ifindex': '2\n',
  'sys/class/net/eth0/statistics/rx_bytes': '1000000\n',
  'sys/class/net/eth0/statistics/rx_nohandler': '4\n',
  'sys/class/net/eth0/statistics/tx_bytes': '500000\n',
  'sys/class/net/lo/operstate': 'unknown\n',
  'sys/class/net/lo/mtu': '65536\n',
  'sys/class/net/lo/statistics/rx_bytes': '5000\n',
  'sys/devices/system/clocksource/clocksource0/available_clocksource': 'tsc hpet acpi_pm \n',
  'sys/devices/system/clocksource/clocksource0/current_clocksource': 'tsc\n',
  'root/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
  'udev/b254:0': 'S:disk/by-path/virtio-pci-0000:00:05.0\nE:ID_PATH=pci-0000:00:05.0\nE:ID_SERIAL_SHORT=SER123\nE:ID_MODEL=Virtual_disk\n',
};

/** The collectors this small tree has files for (the rest are checked on upstream's fixtures in e2e-fixtures.test.ts). */
const BASIC = new Set(['cpu', 'diskstats', 'entropy', 'filefd', 'filesystem', 'loadavg', 'meminfo', 'netclass', 'netdev', 'os', 'pressure', 'stat', 'time', 'uname', 'vmstat']);
const BASIC_COLLECTORS = COLLECTORS.filter((c) => BASIC.has(c.name));

function exporterOn(root: string, collectors = BASIC_COLLECTORS): NodeExporter {
  return new NodeExporter({
    files: new HostFiles({ procfs: join(root, 'proc'), sysfs: join(root, 'sys'), rootfs: join(root, 'root'), udevData: join(root, 'udev') }),
    collectors,
    options: {
      mountPointsExclude: compile(DEFAULT_MOUNT_POINTS_EXCLUDE),
      fsTypesExclude: compile(DEFAULT_FS_TYPES_EXCLUDE),
      diskstatsDeviceExclude: compile(DEFAULT_DISKSTATS_DEVICE_EXCLUDE),
      netdevDeviceExclude: compile('^lo$'),
      netclassIgnoredDevices: compile('^$'),
      // The fixture's /proc/net/dev, not the running kernel's interfaces (the netlink default).
      flags: defaultCollectorFlags({ 'collector.netdev.netlink': false }),
    },
    exporterMetrics: false,
  });
}

function value(families: Family[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  const s = f?.samples.find((x) => Object.keys(labels).every((k) => x.labels[k] === labels[k]) && Object.keys(x.labels).length >= Object.keys(labels).length);
  return s?.value;
}

test('collectors read a fixture tree with node_exporter units and labels', async (t) => {
  const root = tree(FIXTURE);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const fams = await exporterOn(root).collectFamilies();
  const v = (name: string, labels?: Record<string, string>): number | undefined => value(fams, name, labels);

  // cpu: USER_HZ ticks to seconds; guest time reported apart.
  assert.equal(v('node_cpu_seconds_total', { cpu: '0', mode: 'user' }), 12.34);
  assert.equal(v('node_cpu_seconds_total', { cpu: '1', mode: 'steal' }), 0.02);
  assert.equal(v('node_cpu_guest_seconds_total', { cpu: '0', mode: 'user' }), 0.4);
  assert.equal(fams.find((f) => f.name === 'node_cpu_seconds_total')?.samples.length, 16);
  // stat
  assert.equal(v('node_boot_time_seconds'), 1700000000);
  assert.equal(v('node_context_switches_total'), 123456789);
  assert.equal(v('node_intr_total'), 987654);
  assert.equal(v('node_forks_total'), 4242);
  assert.equal(v('node_procs_running'), 3);
  assert.equal(v('node_procs_blocked'), 1);
  // meminfo: kB x 1024; counts as they are; "(anon)" spelled "_anon".
  assert.equal(v('node_memory_MemTotal_bytes'), 16384000 * 1024);
  assert.equal(v('node_memory_Active_anon_bytes'), 2048 * 1024);
  assert.equal(v('node_memory_HugePages_Total'), 4);
  // loadavg, filefd, entropy, vmstat (default fields only)
  assert.deepEqual([v('node_load1'), v('node_load5'), v('node_load15')], [0.25, 0.5, 1.75]);
  assert.equal(v('node_filefd_allocated'), 1536);
  assert.equal(v('node_filefd_maximum'), 9223372036854775807);
  assert.equal(v('node_entropy_available_bits'), 256);
  assert.equal(v('node_vmstat_pgfault'), 5555);
  assert.equal(v('node_vmstat_numa_hit'), undefined);
  // diskstats: sectors x 512, ms to s; partitions and loop devices excluded by default; udev info.
  assert.equal(v('node_disk_read_bytes_total', { device: 'vda' }), 2048 * 512);
  assert.equal(v('node_disk_written_bytes_total', { device: 'vda' }), 4096 * 512);
  assert.equal(v('node_disk_io_time_seconds_total', { device: 'vda' }), 0.15);
  assert.equal(v('node_disk_discarded_sectors_total', { device: 'vda' }), 64);
  assert.equal(v('node_disk_flush_requests_total', { device: 'vda' }), 11);
  assert.equal(v('node_disk_reads_completed_total', { device: 'vda1' }), undefined);
  assert.equal(v('node_disk_reads_completed_total', { device: 'loop0' }), undefined);
  assert.equal(v('node_disk_info', { device: 'vda', major: '254', minor: '0', path: 'pci-0000:00:05.0', serial: 'SER123', model: 'Virtual_disk', wwn: '', revision: '' }), 1);
  // netdev from /proc/net/dev (lo excluded as Debian's default does); netclass for every interface.
  assert.equal(v('node_network_receive_bytes_total', { device: 'eth0' }), 1000000);
  assert.equal(v('node_network_receive_multicast_total', { device: 'eth0' }), 7);
  assert.equal(v('node_network_transmit_bytes_total', { device: 'eth0' }), 500000);
  assert.equal(v('node_network_receive_bytes_total', { device: 'lo' }), undefined);
  assert.equal(v('node_network_up', { device: 'eth0' }), 1);
  assert.equal(v('node_network_up', { device: 'lo' }), 0);
  assert.equal(v('node_network_flags', { device: 'eth0' }), 0x1003);
  assert.equal(v('node_network_speed_bytes', { device: 'eth0' }), 125_000_000);
  assert.equal(v('node_network_mtu_bytes', { device: 'lo' }), 65536);
  assert.equal(v('node_network_info', { device: 'eth0', address: '02:00:00:00:00:01', operstate: 'up', duplex: 'full' }), 1);
  // pressure: microseconds to seconds
  assert.equal(v('node_pressure_cpu_waiting_seconds_total'), 2.5);
  assert.equal(v('node_pressure_io_waiting_seconds_total'), 1);
  assert.equal(v('node_pressure_io_stalled_seconds_total'), 0.5);
  // time, uname, os
  assert.equal(v('node_time_clocksource_available_info', { clocksource: 'hpet', device: '0' }), 1);
  assert.equal(v('node_time_clocksource_current_info', { clocksource: 'tsc', device: '0' }), 1);
  assert.ok(Math.abs(v('node_time_seconds')! - Date.now() / 1000) < 60);
  assert.equal(v('node_uname_info', { nodename: 'fixture-host', release: '6.1.0-test', sysname: 'Linux' }), 1);
  assert.equal(v('node_os_info', { id: 'debian', version_id: '12', version_codename: 'bookworm', pretty_name: 'Debian GNU/Linux 12 (bookworm)' }), 1);
  assert.equal(v('node_os_version', { id: 'debian' }), 12);
  // Every collector succeeded.
  for (const c of BASIC_COLLECTORS) assert.equal(v('node_scrape_collector_success', { collector: c.name }), 1, c.name);
});

test('the filesystem collector reads the mount table, excludes by default and unescapes mount points', async (t) => {
  const root = tree(FIXTURE);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const fs = COLLECTORS.filter((c) => c.name === 'filesystem');
  const fams = await exporterOn(root, fs).collectFamilies();
  const errors = fams.find((f) => f.name === 'node_filesystem_device_error')!.samples;
  // /proc and /run are excluded; "/" is statfs'd under the fixture root; "/data disk" does not exist there.
  assert.deepEqual(errors.map((s) => s.labels['mountpoint']).sort(), ['/', '/data disk']);
  assert.equal(errors.find((s) => s.labels['mountpoint'] === '/')!.value, 0);
  assert.equal(errors.find((s) => s.labels['mountpoint'] === '/data disk')!.value, 1);
  assert.ok(value(fams, 'node_filesystem_size_bytes', { mountpoint: '/', device: '/dev/vda', fstype: 'ext4' })! > 0);
  assert.equal(value(fams, 'node_filesystem_readonly', { mountpoint: '/' }), 0);
  assert.equal(value(fams, 'node_scrape_collector_success', { collector: 'filesystem' }), 1);
});

test('a failing collector reports success 0 and the rest of the scrape goes on', async (t) => {
  const broken = { ...FIXTURE };
  delete broken['proc/loadavg'];
  broken['proc/sys/fs/file-nr'] = 'garbage\n';
  const root = tree(broken);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const fams = await exporterOn(root).collectFamilies();
  assert.equal(value(fams, 'node_scrape_collector_success', { collector: 'loadavg' }), 0);
  assert.equal(value(fams, 'node_scrape_collector_success', { collector: 'filefd' }), 0);
  assert.equal(value(fams, 'node_load1'), undefined);
  assert.equal(value(fams, 'node_filefd_allocated'), undefined);
  assert.equal(value(fams, 'node_scrape_collector_success', { collector: 'meminfo' }), 1);
  assert.equal(value(fams, 'node_memory_MemTotal_bytes'), 16384000 * 1024);
  // The whole exposition still parses.
  const body = writeText(fams);
  assert.ok([...parseText(body)].length > 50);
});

test('a kernel without PSI is not an error for the pressure collector', async (t) => {
  const noPsi = Object.fromEntries(Object.entries(FIXTURE).filter(([k]) => !k.startsWith('proc/pressure/')));
  const root = tree(noPsi);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const fams = await exporterOn(root, COLLECTORS.filter((c) => c.name === 'pressure')).collectFamilies();
  assert.equal(value(fams, 'node_scrape_collector_success', { collector: 'pressure' }), 1);
  assert.equal(fams.some((f) => f.name.startsWith('node_pressure_')), false);
});

test('sample values are written as the Go client writes them', () => {
  const cases: [number, string][] = [
    [15413248, '1.5413248e+07'], [14379.15, '14379.15'], [1e6, '1e+06'], [100000, '100000'], [3.2218e-5, '3.2218e-05'],
    [0.0001, '0.0001'], [2 ** 64, '1.8446744073709552e+19'], [-125000, '-125000'], [0, '0'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
  ];
  for (const [v, s] of cases) assert.equal(formatSampleValue(v), s, String(v));
});

test('label values and help texts are escaped in the exposition', () => {
  const text = writeText([{ name: 'x_info', help: 'a\\b\nc', type: 'gauge', samples: [{ labels: { v: 'q"uote\\n\nl' }, value: 1 }] }]);
  assert.equal(text, '# HELP x_info a\\\\b\\nc\n# TYPE x_info gauge\nx_info{v="q\\"uote\\\\n\\nl"} 1\n');
  const [s] = [...parseText(text)];
  assert.equal(s?.value, 1);
});
