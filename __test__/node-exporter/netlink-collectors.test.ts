// The qdisc and wifi collectors, which read the kernel over netlink (an rtnetlink qdisc dump,
// nl80211 over generic netlink) through the native addon: on this machine against Debian's
// node_exporter 1.5 (families, labels, series, counters between two of its scrapes, the device
// flags, and wifi's "no data" on a machine without WiFi), and on fixture files for what this
// machine cannot show (stations, BSS modes, non-root qdiscs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostFiles } from '../../src/node-exporter/context.js';
import { NodeExporter } from '../../src/node-exporter/exporter.js';
import { writeText } from '../../src/node-exporter/metrics.js';
import { defaultCollectorFlags } from '../../src/node-exporter/collectors/index.js';
import { decodeQdiscs, qdisc } from '../../src/node-exporter/collectors/qdisc.js';
import { collectWifi, nl80211Source, wifi } from '../../src/node-exporter/collectors/wifi.js';
import type { WifiHostCalls } from '../../src/node-exporter/collectors/wifi.js';
import { FamilySet } from '../../src/node-exporter/metrics.js';
import { NoDataError } from '../../src/node-exporter/collectors/collector.js';
import type { Collector } from '../../src/node-exporter/collectors/collector.js';
import { compile } from '../../src/regex/re2.js';
import { compareWithNodeExporter } from '../../scripts/node-exporter-compat.js';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const OURS = [process.execPath, '--import', 'tsx', cli, 'node-exporter'];
const REFERENCE = '/usr/bin/prometheus-node-exporter';
const onLinuxWithReference = process.platform !== 'linux' ? 'netlink is Linux only' : !existsSync(REFERENCE) ? `${REFERENCE} is missing: apt-get install prometheus-node-exporter (.ci/run does)` : false;

interface Running {
  scrape(): Promise<string>;
  stop(): void;
}

/** An exporter with only these collectors, up and answering. */
async function run(command: string[], collectors: string[], extra: string[] = []): Promise<Running> {
  const port = await freePort();
  const child = spawn(command[0]!, [...command.slice(1), `--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', ...collectors.map((c) => `--collector.${c}`), ...extra], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/metrics`;
  const scrape = async (): Promise<string> => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`${url}: ${r.status}`);
    return r.text();
  };
  try {
    await waitFor('exporter', async () => (child.exitCode !== null ? Promise.reject(new Error(`exited ${child.exitCode}`)) : await scrape().catch(() => undefined)));
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }
  return { scrape, stop: () => child.kill('SIGTERM') };
}

/** Series lines of the families `families` matches: series (name and labels) to value. */
function seriesOf(body: string, families: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (!families.test(line)) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const QDISC = /^node_qdisc_/;
const COUNTER = /^node_qdisc_\w+_total\{/;

test("qdisc and wifi have node_exporter 1.5's families, labels and HELP on this machine", { timeout: 120_000, skip: onLinuxWithReference }, async () => {
  const results = await compareWithNodeExporter([REFERENCE], OURS, ['qdisc', 'wifi']);
  const rows = results.filter((r) => r.collector !== '(exporter)');
  assert.deepEqual(rows.flatMap((r) => r.rows.filter((x) => x.verdict !== 'same').map((x) => `${r.collector}: ${x.name}: ${x.verdict}`)), []);
  assert.deepEqual(rows.flatMap((r) => r.extra.map((e) => `${r.collector}: ${e}`)), []);
  assert.ok(rows.find((r) => r.collector === 'qdisc')!.rows.length > 0, 'qdisc: no family compared (no qdisc on loopback?)');
});

test("live qdisc series are node_exporter's, each counter between two of its scrapes", { timeout: 120_000, skip: onLinuxWithReference }, async (t) => {
  const [theirs, mine] = await Promise.all([run([REFERENCE], ['qdisc']), run(OURS, ['qdisc'])]);
  t.after(() => {
    theirs.stop();
    mine.stop();
  });
  const before = seriesOf(await theirs.scrape(), QDISC);
  const ours = seriesOf(await mine.scrape(), QDISC);
  const after = seriesOf(await theirs.scrape(), QDISC);
  assert.deepEqual([...ours.keys()].sort(), [...before.keys()].sort());
  assert.ok([...ours.keys()].some((s) => s.startsWith('node_qdisc_packets_total{device="lo",')), [...ours.keys()].join('\n'));
  for (const [series, v] of ours) {
    assert.ok(Number.isInteger(v) && v >= 0, `${series} ${v}`);
    // Counters only grow; the queue gauges move too fast to pin, but are counts all the same.
    if (COUNTER.test(series)) assert.ok(before.get(series)! <= v && v <= after.get(series)!, `${series}: ${before.get(series)} <= ${v} <= ${after.get(series)}`);
  }
});

test("the qdisk device flags do what node_exporter 1.5's do: any exclude drops every device, include changes nothing", { timeout: 120_000, skip: onLinuxWithReference }, async (t) => {
  for (const flag of ['--collector.qdisk.device-exclude=^lo$', '--collector.qdisk.device-include=^lo$']) {
    const [theirs, mine] = await Promise.all([run([REFERENCE], ['qdisc'], [flag]), run(OURS, ['qdisc'], [flag])]);
    t.after(() => {
      theirs.stop();
      mine.stop();
    });
    const shape = /^(node_qdisc_|node_scrape_collector_success)/;
    const [a, b] = [await theirs.scrape(), await mine.scrape()];
    assert.deepEqual([...seriesOf(b, shape).keys()].sort(), [...seriesOf(a, shape).keys()].sort(), flag);
    assert.equal(seriesOf(b, /^node_scrape_collector_success/).get('node_scrape_collector_success{collector="qdisc"}'), 1, flag);
    if (flag.includes('exclude')) assert.equal(seriesOf(b, QDISC).size, 0);
  }
});

test("wifi on this machine: the same series and success as node_exporter 1.5 (without nl80211: none, success 0, no error)", { timeout: 60_000, skip: onLinuxWithReference }, async (t) => {
  const [theirs, mine] = await Promise.all([run([REFERENCE], ['wifi']), run(OURS, ['wifi'])]);
  t.after(() => {
    theirs.stop();
    mine.stop();
  });
  const shape = /^(node_wifi_|node_scrape_collector_success)/;
  const [a, b] = [seriesOf(await theirs.scrape(), shape), seriesOf(await mine.scrape(), shape)];
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  assert.equal(b.get('node_scrape_collector_success{collector="wifi"}'), a.get('node_scrape_collector_success{collector="wifi"}'));
});

/** One collector over fixture files; the text of its families, its failures and what it logged. */
async function onFixtures(collector: Collector, flags: Record<string, unknown>): Promise<{ text: string; failures: string[]; logs: string[] }> {
  const files = new HostFiles({ procfs: '/nonexistent/proc', sysfs: '/nonexistent/sys', rootfs: '/', udevData: '/nonexistent/udev' });
  const logs: string[] = [];
  files.log = (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  const options = { mountPointsExclude: /^$/, fsTypesExclude: /^$/, diskstatsDeviceExclude: /^$/, netclassIgnoredDevices: /^$/, flags: defaultCollectorFlags(flags) };
  const failures: string[] = [];
  const exporter = new NodeExporter({ files, collectors: [collector], options, exporterMetrics: false, onCollectorError: (f) => failures.push(f.error.message) });
  const families = (await exporter.collectFamilies()).filter((f) => !f.name.startsWith('node_scrape_') && f.name !== 'node_exporter_build_info');
  return { text: writeText(families), failures, logs };
}

function fixtureDir(t: { after(f: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ne-netlink-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('wifi fixtures: the mode comes from the BSS status, a zero frequency is still reported, a broken BSS fails the collector', async (t) => {
  const base64 = (bytes: number[]): string => Buffer.from(bytes).toString('base64');
  const dir = fixtureDir(t, {
    'interfaces.json': JSON.stringify([{ name: 'wlan0', type: 2, frequency: 5180 }, { name: 'mesh0', type: 7 }, { type: 10 }]),
    'wlan0/bss.json': JSON.stringify({ ssid: 'Lab', bssid: base64([0, 0x11, 0x22, 0x33, 0x44, 0x55]), status: 2 }),
    'wlan0/stationinfo.json': JSON.stringify([{ hardwareaddr: base64([1, 2, 3, 4, 5, 6]), connected: 5e9, inactive: 25e7, signal: -40, receivedbytes: 10, transmittedbytes: 20 }]),
  });
  const { text, failures, logs } = await onFixtures(wifi, { 'collector.wifi.fixtures': dir });
  assert.deepEqual(failures, []);
  assert.match(text, /^node_wifi_station_info\{bssid="00:11:22:33:44:55",device="wlan0",mode="ad-hoc",ssid="Lab"\} 1$/m);
  assert.match(text, /^node_wifi_interface_frequency_hertz\{device="mesh0"\} 0$/m);
  assert.match(text, /^node_wifi_interface_frequency_hertz\{device="wlan0"\} 5\.18e\+09$/m);
  assert.match(text, /^node_wifi_station_connected_seconds_total\{device="wlan0",mac_address="01:02:03:04:05:06"\} 5$/m);
  assert.match(text, /^node_wifi_station_inactive_seconds\{device="wlan0",mac_address="01:02:03:04:05:06"\} 0\.25$/m);
  assert.match(text, /^node_wifi_station_transmit_bytes_total\{device="wlan0",mac_address="01:02:03:04:05:06"\} 20$/m);
  assert.ok(logs.some((l) => l.startsWith('debug station information not found') && l.includes('mesh0')), logs.join('\n'));
  writeFileSync(join(dir, 'wlan0', 'bss.json'), '{');
  const broken = await onFixtures(wifi, { 'collector.wifi.fixtures': dir });
  assert.equal(broken.failures.length, 1);
  assert.match(broken.failures[0]!, /^failed to retrieve BSS for device wlan0: /);
});

test('qdisc fixtures: only root qdiscs are reported; both device flags at once fail the collector', async (t) => {
  const dir = fixtureDir(t, {
    'results.json': JSON.stringify([
      { IfaceName: 'eth0', Kind: 'mq', Bytes: 9, Packets: 3, Qlen: 2, Backlog: 100 },
      { IfaceName: 'eth0', Kind: 'fq_codel', Parent: 65537, Bytes: 5, Packets: 1 },
    ]),
  });
  const { text, failures } = await onFixtures(qdisc, { 'collector.qdisc.fixtures': dir });
  assert.deepEqual(failures, []);
  assert.doesNotMatch(text, /fq_codel/);
  assert.match(text, /^node_qdisc_bytes_total\{device="eth0",kind="mq"\} 9$/m);
  assert.match(text, /^node_qdisc_backlog\{device="eth0",kind="mq"\} 100$/m);
  const both = await onFixtures(qdisc, { 'collector.qdisc.fixtures': dir, 'collector.qdisk.device-include': compile('eth'), 'collector.qdisk.device-exclude': compile('lo') });
  assert.match(both.failures.join('\n'), /mutaly exclusive/);
});

/** An error as the addon throws it: a message and the errno name as its code. */
function hostError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A stand-in for the addon's nl80211 calls, answering in its layout (crates/tsdb-node/src/host.rs). */
function fakeNl80211(overrides: Partial<WifiHostCalls> = {}): WifiHostCalls & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    hostWifiInterfaces: () => ({
      openError: '', openMessage: '',
      names: 'wlan0\0\0wlan1',
      // index, type, frequency, address length: wlan0 has an address, the P2P device none, wlan1 a short one.
      values: new Float64Array([3, 2, 2412, 6, 9, 10, 0, -1, 4, 3, 5180, 2]),
      macs: new Uint8Array([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02]),
    }),
    hostWifiBss: (index, mac) => {
      asked.push(`bss ${index} ${mac ? Buffer.from(mac).toString('hex') : 'none'}`);
      if (index === 4) throw hostError('ENOENT', 'nl80211 scan dump: No such file or directory');
      return { bssid: '00:11:22:33:44:55', ssid: 'Lab\u{fffd}', status: 1 };
    },
    hostWifiStations: (index) => {
      if (index === 4) return null;
      return { macs: '01:02:03:04:05:06\0' + '0a:0b:0c:0d:0e:0f', values: new Float64Array([30, 0.4, 128e6, 164e6, 10, 20, -52, 1, 2, 3, 60, 0.8, 256e6, 328e6, 30, 40, -26, 4, 5, 6]) };
    },
    ...overrides,
  };
}

async function wifiText(host: WifiHostCalls): Promise<{ text: string; logs: string[] }> {
  const files = new HostFiles({ procfs: '/nonexistent/proc', sysfs: '/nonexistent/sys', rootfs: '/', udevData: '/nonexistent/udev' });
  const logs: string[] = [];
  files.log = (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  const out = new FamilySet();
  await collectWifi(files, out, nl80211Source(host));
  return { text: writeText(out.families.values()), logs };
}

test("nl80211's answers become node_exporter's series: addresses go back with each request, missing parts are skipped", async () => {
  const host = fakeNl80211();
  const { text, logs } = await wifiText(host);
  assert.deepEqual(host.asked, ['bss 3 aabbccddeeff', 'bss 4 0102']);
  assert.match(text, /^node_wifi_interface_frequency_hertz\{device="wlan1"\} 5\.18e\+09$/m);
  assert.doesNotMatch(text, /device=""/);
  assert.match(text, /^node_wifi_station_info\{bssid="00:11:22:33:44:55",device="wlan0",mode="client",ssid="Lab\u{fffd}"\} 1$/mu);
  assert.match(text, /^node_wifi_station_signal_dbm\{device="wlan0",mac_address="0a:0b:0c:0d:0e:0f"\} -26$/m);
  assert.match(text, /^node_wifi_station_inactive_seconds\{device="wlan0",mac_address="01:02:03:04:05:06"\} 0\.4$/m);
  assert.match(text, /^node_wifi_station_beacon_loss_total\{device="wlan0",mac_address="0a:0b:0c:0d:0e:0f"\} 6$/m);
  assert.equal(text.match(/^node_wifi_station_transmit_failed_total\{/gm)?.length, 2);
  assert.ok(logs.some((l) => l.startsWith('debug BSS information not found') && l.includes('wlan1')), logs.join('\n'));
  assert.ok(logs.some((l) => l.startsWith('debug station information not found') && l.includes('wlan1')), logs.join('\n'));
});

test('nl80211 missing or denied is no data; other failures are the collector failing with their reason', async () => {
  const closed = (openError: string): WifiHostCalls => fakeNl80211({ hostWifiInterfaces: () => ({ openError, openMessage: `nl80211 family lookup: ${openError}`, names: '', values: new Float64Array(), macs: new Uint8Array() }) });
  for (const code of ['ENOENT', 'EPERM', 'EACCES']) await assert.rejects(wifiText(closed(code)), (e) => e instanceof NoDataError, code);
  await assert.rejects(wifiText(closed('ESYSCALL')), (e) => !(e instanceof NoDataError) && /^failed to access wifi data: nl80211 family lookup: ESYSCALL$/.test((e as Error).message));
  const dumpFails = fakeNl80211({ hostWifiInterfaces: () => { throw hostError('ENOBUFS', 'nl80211 interface dump: no buffer space'); } });
  await assert.rejects(wifiText(dumpFails), /^Error: failed to retrieve wifi interfaces: nl80211 interface dump: no buffer space$/);
  const stationsFail = fakeNl80211({ hostWifiStations: () => { throw hostError('ESYSCALL', 'nl80211 station dump: I/O error'); } });
  await assert.rejects(wifiText(stationsFail), /failed to retrieve station info for device "wlan0": nl80211 station dump: I\/O error/);
});

test("the qdisc dump's layout decodes to root and child qdiscs by device", () => {
  const root = 0xffffffff;
  const qdiscs = decodeQdiscs({
    hostQdiscs: () => ({ names: 'eth0\0mq\0eth0\0fq_codel\0\0noqueue', values: new Float64Array([root, 0, 2 ** 40, 5, 1, 2, 3, 4, 600, 0x10000, 0x8001, 7, 1, 0, 0, 0, 0, 0, root, 0, 0, 0, 0, 0, 0, 0, 0]) }),
  });
  assert.deepEqual(qdiscs.map((q) => [q.device, q.kind, q.parent]), [['eth0', 'mq', 0], ['eth0', 'fq_codel', 0x10000], ['', 'noqueue', 0]]);
  assert.deepEqual(qdiscs[0], { device: 'eth0', kind: 'mq', parent: 0, bytes: 2 ** 40, packets: 5, drops: 1, requeues: 2, overlimits: 3, qlen: 4, backlog: 600 });
});
