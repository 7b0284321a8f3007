// The collectors that need system calls (timex, ethtool, network_route, tcpstat, perf): ethtool on
// upstream's unit-test fixtures (node_exporter 1.5.0's expected output for them), the flags, and on
// this machine family by family against Debian's node_exporter 1.5; the native addon is loaded
// only when one of them runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostFiles } from '../../src/node-exporter/context.js';
import { NodeExporter } from '../../src/node-exporter/exporter.js';
import { writeText } from '../../src/node-exporter/metrics.js';
import { COLLECTORS, defaultCollectorFlags } from '../../src/node-exporter/collectors/index.js';
import { ethtoolMetricName } from '../../src/node-exporter/collectors/ethtool.js';
import { parsePerfCpus } from '../../src/node-exporter/collectors/perf.js';
import { compile } from '../../src/regex/re2.js';
import { compareWithNodeExporter } from '../../scripts/node-exporter-compat.js';
import { conformanceDir } from '../helpers/conformance.js';
import { freePort, waitFor } from '../helpers/net.js';

const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
const OURS = [process.execPath, '--import', 'tsx', cli, 'node-exporter'];
const REFERENCE = '/usr/bin/prometheus-node-exporter';

/** node_exporter 1.5.0's ethtool output over its fixtures (its unit test's expectation), sorted as we write it. */
const ETHTOOL_EXPECTED = `# HELP node_ethtool_align_errors Network interface align_errors
# TYPE node_ethtool_align_errors untyped
node_ethtool_align_errors{device="eth0"} 0
# HELP node_ethtool_info A metric with a constant '1' value labeled by bus_info, device, driver, expansion_rom_version, firmware_version, version.
# TYPE node_ethtool_info gauge
node_ethtool_info{bus_info="0000:00:1f.6",device="eth0",driver="e1000e",expansion_rom_version="",firmware_version="0.5-4",version="5.11.0-22-generic"} 1
# HELP node_ethtool_received_broadcast Network interface rx_broadcast
# TYPE node_ethtool_received_broadcast untyped
node_ethtool_received_broadcast{device="eth0"} 5792
# HELP node_ethtool_received_errors_total Number of received frames with errors
# TYPE node_ethtool_received_errors_total untyped
node_ethtool_received_errors_total{device="eth0"} 0
# HELP node_ethtool_received_missed Network interface rx_missed
# TYPE node_ethtool_received_missed untyped
node_ethtool_received_missed{device="eth0"} 401
# HELP node_ethtool_received_multicast Network interface rx_multicast
# TYPE node_ethtool_received_multicast untyped
node_ethtool_received_multicast{device="eth0"} 23973
# HELP node_ethtool_received_packets_total Network interface packets received
# TYPE node_ethtool_received_packets_total untyped
node_ethtool_received_packets_total{device="eth0"} 1.260062e+06
# HELP node_ethtool_received_unicast Network interface rx_unicast
# TYPE node_ethtool_received_unicast untyped
node_ethtool_received_unicast{device="eth0"} 1.230297e+06
# HELP node_ethtool_transmitted_aborted Network interface tx_aborted
# TYPE node_ethtool_transmitted_aborted untyped
node_ethtool_transmitted_aborted{device="eth0"} 0
# HELP node_ethtool_transmitted_errors_total Number of sent frames with errors
# TYPE node_ethtool_transmitted_errors_total untyped
node_ethtool_transmitted_errors_total{device="eth0"} 0
# HELP node_ethtool_transmitted_multi_collisions Network interface tx_multi_collisions
# TYPE node_ethtool_transmitted_multi_collisions untyped
node_ethtool_transmitted_multi_collisions{device="eth0"} 0
# HELP node_ethtool_transmitted_packets_total Network interface packets sent
# TYPE node_ethtool_transmitted_packets_total untyped
node_ethtool_transmitted_packets_total{device="eth0"} 961500
# HELP node_ethtool_transmitted_single_collisions Network interface tx_single_collisions
# TYPE node_ethtool_transmitted_single_collisions untyped
node_ethtool_transmitted_single_collisions{device="eth0"} 0
# HELP node_ethtool_transmitted_underrun Network interface tx_underrun
# TYPE node_ethtool_transmitted_underrun untyped
node_ethtool_transmitted_underrun{device="eth0"} 0
# HELP node_network_advertised_speed_bytes Combination of speeds and features offered by network device
# TYPE node_network_advertised_speed_bytes gauge
node_network_advertised_speed_bytes{device="eth0",duplex="full",mode="1000baseT"} 1.25e+08
node_network_advertised_speed_bytes{device="eth0",duplex="full",mode="100baseT"} 1.25e+07
node_network_advertised_speed_bytes{device="eth0",duplex="full",mode="10baseT"} 1.25e+06
node_network_advertised_speed_bytes{device="eth0",duplex="half",mode="100baseT"} 1.25e+07
node_network_advertised_speed_bytes{device="eth0",duplex="half",mode="10baseT"} 1.25e+06
# HELP node_network_asymmetricpause_advertised If this port device offers asymmetric pause capability
# TYPE node_network_asymmetricpause_advertised gauge
node_network_asymmetricpause_advertised{device="eth0"} 0
# HELP node_network_asymmetricpause_supported If this port device supports asymmetric pause frames
# TYPE node_network_asymmetricpause_supported gauge
node_network_asymmetricpause_supported{device="eth0"} 0
# HELP node_network_autonegotiate If this port is using autonegotiate
# TYPE node_network_autonegotiate gauge
node_network_autonegotiate{device="eth0"} 1
# HELP node_network_autonegotiate_advertised If this port device offers autonegotiate
# TYPE node_network_autonegotiate_advertised gauge
node_network_autonegotiate_advertised{device="eth0"} 1
# HELP node_network_autonegotiate_supported If this port device supports autonegotiate
# TYPE node_network_autonegotiate_supported gauge
node_network_autonegotiate_supported{device="eth0"} 1
# HELP node_network_pause_advertised If this port device offers pause capability
# TYPE node_network_pause_advertised gauge
node_network_pause_advertised{device="eth0"} 1
# HELP node_network_pause_supported If this port device supports pause frames
# TYPE node_network_pause_supported gauge
node_network_pause_supported{device="eth0"} 1
# HELP node_network_supported_port_info Type of ports or PHYs supported by network device
# TYPE node_network_supported_port_info gauge
node_network_supported_port_info{device="eth0",type="MII"} 1
node_network_supported_port_info{device="eth0",type="TP"} 1
# HELP node_network_supported_speed_bytes Combination of speeds and features supported by network device
# TYPE node_network_supported_speed_bytes gauge
node_network_supported_speed_bytes{device="eth0",duplex="full",mode="10000baseT"} 1.25e+09
node_network_supported_speed_bytes{device="eth0",duplex="full",mode="1000baseT"} 1.25e+08
node_network_supported_speed_bytes{device="eth0",duplex="full",mode="100baseT"} 1.25e+07
node_network_supported_speed_bytes{device="eth0",duplex="full",mode="10baseT"} 1.25e+06
node_network_supported_speed_bytes{device="eth0",duplex="half",mode="100baseT"} 1.25e+07
node_network_supported_speed_bytes{device="eth0",duplex="half",mode="10baseT"} 1.25e+06
`;

const ethtoolCollector = COLLECTORS.find((c) => c.name === 'ethtool')!;

/**
 * The interfaces of upstream's fixture sysfs (sys.ttar's class/net: three directories, eth0 as a
 * link to its device, bonding_masters a plain file), laid out without unpacking the whole archive.
 */
function fixtureSysfs(work: string): string {
  const net = join(work, 'sys', 'class', 'net');
  mkdirSync(net, { recursive: true });
  for (const d of ['bond0', 'dmz', 'int']) mkdirSync(join(net, d));
  mkdirSync(join(work, 'sys', 'devices', 'eth0'), { recursive: true });
  symlinkSync('../../devices/eth0', join(net, 'eth0'));
  writeFileSync(join(net, 'bonding_masters'), 'bond0 dmz int\n');
  return join(work, 'sys');
}

async function ethtoolOnFixtures(flags: Record<string, unknown>): Promise<{ text: string; logs: string[] }> {
  const work = mkdtempSync(join(tmpdir(), 'ne-ethtool-'));
  try {
    const fixtures = join(conformanceDir('node-exporter-e2e'), 'fixtures');
    const files = new HostFiles({ procfs: join(fixtures, 'proc'), sysfs: fixtureSysfs(work), rootfs: fixtures, udevData: join(work, 'udev') });
    const logs: string[] = [];
    files.log = (level, msg, fields) => logs.push(`${level} ${msg} ${JSON.stringify(fields)}`);
    const options = {
      mountPointsExclude: /^$/, fsTypesExclude: /^$/, diskstatsDeviceExclude: /^$/, netclassIgnoredDevices: /^$/,
      flags: defaultCollectorFlags({ 'collector.ethtool.fixtures': join(fixtures, 'ethtool'), ...flags }),
    };
    const failures: string[] = [];
    const exporter = new NodeExporter({ files, collectors: [ethtoolCollector], options, exporterMetrics: false, onCollectorError: (f) => failures.push(f.error.message) });
    const families = (await exporter.collectFamilies()).filter((f) => !f.name.startsWith('node_scrape_') && f.name !== 'node_exporter_build_info');
    assert.deepEqual(failures, []);
    return { text: writeText(families), logs };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test("ethtool on node_exporter's fixtures gives node_exporter 1.5.0's output, duplicates and a refusing driver included", async () => {
  const { text, logs } = await ethtoolOnFixtures({});
  assert.equal(text, ETHTOOL_EXPECTED);
  // bond0's driver refuses its statistics (errno 1): logged as an error; devices without fixtures are "not supported".
  assert.ok(logs.some((l) => l.startsWith('error ethtool stats error') && l.includes('"device":"bond0"') && l.includes('"errno":1')), logs.join('\n'));
  assert.ok(logs.some((l) => l.startsWith('debug dropping duplicate metric name') && l.includes('node_ethtool_duplicate_metric')), logs.join('\n'));
});

test('ethtool flags: metrics-include picks statistics by their own name, device-exclude drops interfaces', async () => {
  const only = await ethtoolOnFixtures({ 'collector.ethtool.metrics-include': compile('^rx_') });
  const statFamilies = [...only.text.matchAll(/^# TYPE (node_ethtool_\S+) untyped$/gm)].map((m) => m[1]);
  assert.deepEqual(statFamilies, ['node_ethtool_received_broadcast', 'node_ethtool_received_errors_total', 'node_ethtool_received_missed', 'node_ethtool_received_multicast', 'node_ethtool_received_packets_total', 'node_ethtool_received_unicast']);
  const none = await ethtoolOnFixtures({ 'collector.ethtool.device-exclude': compile('^eth') });
  assert.equal(none.text, '');
});

test('ethtool statistic names are sanitized as node_exporter names them', () => {
  const cases: [string, string][] = [
    ['rx_errors', 'node_ethtool_received_errors'],
    ['Queue[0] AllocFails', 'node_ethtool_queue_0_allocfails'],
    ['Tx LPI entry count', 'node_ethtool_transmitted_lpi_entry_count'],
    ['port.VF_admin_queue_requests', 'node_ethtool_port_vf_admin_queue_requests'],
    ['[3]: tx_bytes', 'node_ethtool_3_transmitted_bytes'],
    ['     err', 'node_ethtool_err'],
    // Matches cannot overlap: the second rx keeps its name; tx is replaced in a pass of its own.
    ['rx_rx', 'node_ethtool_received_rx'],
    ['rx_tx', 'node_ethtool_received_transmitted'],
  ];
  for (const [stat, name] of cases) assert.equal(ethtoolMetricName(stat), name, stat);
});

test('--collector.perf.cpus takes lists, ranges and strides; bad perf flags stop the start', () => {
  assert.deepEqual(parsePerfCpus('0,2'), [0, 2]);
  assert.deepEqual(parsePerfCpus('1-3'), [1, 2, 3]);
  assert.deepEqual(parsePerfCpus('1-10:5'), [1, 6]);
  assert.throws(() => parsePerfCpus('1-2-3'), /invalid flag value/);
  assert.throws(() => parsePerfCpus('x'), /invalid syntax/);
  for (const bad of ['--collector.perf.cpus=0-a', '--collector.perf.tracepoint=sched']) {
    const r = spawnSync(OURS[0]!, [...OURS.slice(1), '--collector.perf', bad, '--web.listen-address=127.0.0.1:0'], { encoding: 'utf8' });
    assert.equal(r.status, 1, bad);
    assert.match(r.stderr, bad.includes('cpus') ? /invalid syntax/ : /invalid tracepoint config sched/);
  }
});

async function start(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(OURS[0]!, [...OURS.slice(1), `--web.listen-address=127.0.0.1:${port}`, ...args], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('node exporter', async () => (child.exitCode !== null ? Promise.reject(new Error(`exited ${child.exitCode}`)) : (await fetch(`${url}/`)).ok || undefined));
  return { child, url };
}

const addonMapped = (pid: number): boolean => /promethium\.[\w-]+\.node/.test(readFileSync(`/proc/${pid}/maps`, 'utf8'));

test('the native addon is mapped only once a collector that needs it has run', { timeout: 60_000, skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const without = await start(['--no-collector.timex']);
  t.after(() => without.child.kill('SIGTERM'));
  assert.equal((await fetch(`${without.url}/metrics`)).status, 200);
  assert.equal(addonMapped(without.child.pid!), false, 'procfs/sysfs collectors alone must not load the addon');
  const withTimex = await start([]);
  t.after(() => withTimex.child.kill('SIGTERM'));
  const body = await (await fetch(`${withTimex.url}/metrics`)).text();
  assert.match(body, /^node_scrape_collector_success\{collector="timex"\} 1$/m);
  assert.equal(addonMapped(withTimex.child.pid!), true);
});

/** A scrape's series lines of these families (names and labels, values dropped where they move). */
async function series(command: string[], collectors: string[], families: RegExp, keepValues: boolean, extra: string[] = []): Promise<string[]> {
  const port = await freePort();
  const child = spawn(command[0]!, [...command.slice(1), `--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', ...collectors.map((c) => `--collector.${c}`), ...extra], { stdio: 'ignore' });
  try {
    const body = await waitFor('exporter', async () => (child.exitCode !== null ? Promise.reject(new Error(`exited ${child.exitCode}`)) : await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => (r.ok ? r.text() : undefined), () => undefined)));
    return body.split('\n').filter((l) => families.test(l)).map((l) => (keepValues ? l : l.replace(/ \S+$/, ''))).sort();
  } finally {
    child.kill('SIGTERM');
  }
}

test("timex, network_route, tcpstat, perf and ethtool match Debian's node_exporter 1.5 family by family on this machine", { timeout: 180_000 }, async () => {
  assert.ok(existsSync(REFERENCE), `${REFERENCE} is missing: apt-get install prometheus-node-exporter (.ci/run does)`);
  const results = await compareWithNodeExporter([REFERENCE], OURS, ['timex', 'network_route', 'tcpstat', 'perf', 'ethtool']);
  const rows = results.filter((r) => r.collector !== '(exporter)');
  // A connection state appears only while some socket is in it, and sockets come and go between
  // the two exporters' scrapes (this run's own HTTP connections among them): for that family the
  // number of series may differ; its type, labels and HELP may not.
  const moving = (name: string, verdict: string): boolean => name === 'node_tcp_connection_states' && verdict === 'series count differs';
  assert.deepEqual(rows.flatMap((r) => r.rows.filter((x) => x.verdict !== 'same' && !moving(x.name, x.verdict)).map((x) => `${r.collector}: ${x.name}: ${x.verdict}`)), []);
  assert.deepEqual(rows.flatMap((r) => r.extra.map((e) => `${r.collector}: ${e}`)), []);
  for (const c of ['timex', 'network_route', 'tcpstat']) assert.ok(rows.find((r) => r.collector === c)!.rows.length > 0, `${c}: no family compared`);
  // Values that do not move: the routes with every label, the clock's tick, status and constants,
  // and whether perf succeeded at all (the container may forbid it to both).
  const stable = /^(node_network_route_info|node_network_routes|node_timex_(tick_seconds|status|sync_status|loop_time_constant|tai_offset_seconds)|node_scrape_collector_success)[{ ]/;
  const collectors = ['network_route', 'timex', 'perf'];
  const [mine, theirs] = await Promise.all([series(OURS, collectors, stable, true), series([REFERENCE], collectors, stable, true)]);
  assert.deepEqual(mine, theirs);
  assert.ok(mine.some((l) => l.startsWith('node_network_route_info{')), 'no route on this machine?');
  // No counter can be opened (a CPU this machine lacks): not a failure, just no perf series, in both.
  const noCpu = [`--collector.perf.cpus=${availableParallelism() + 3}`];
  const perfOnly = /^(node_perf_|node_scrape_collector_success)/;
  const [mineNone, theirsNone] = await Promise.all([series(OURS, ['perf'], perfOnly, true, noCpu), series([REFERENCE], ['perf'], perfOnly, true, noCpu)]);
  assert.deepEqual(mineNone, ['node_scrape_collector_success{collector="perf"} 1']);
  assert.deepEqual(mineNone, theirsNone);
});
