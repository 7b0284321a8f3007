// The systemd and logind collectors against a real dbus-daemon (a private bus started here) on
// which this test exports fake org.freedesktop.systemd1 and org.freedesktop.login1 services with
// the same D-Bus library; what they report is checked, and held line by line against Debian's
// node_exporter 1.5 scraping the same bus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import type { MessageBus } from 'dbus-native';
import { unitObjectPath } from '../../src/node-exporter/collectors/systemd.js';
import { familyLines, ourScrape, referenceScrape, sampleValue } from './reference-scrape.js';

const MAX_UINT64 = 18446744073709551615n;
const hasDaemon = spawnSync('dbus-daemon', ['--version']).status === 0;

/** A bus of our own: dbus-daemon with a config that lets this user own any name. */
async function startBus(dir: string): Promise<{ address: string; stop: () => void }> {
  const config = join(dir, 'bus.conf');
  writeFileSync(config, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${join(dir, 'bus.sock')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
`);
  // Its stderr is not inherited: a pipe held by the daemon would keep a caller's pipeline open.
  const daemon = spawn('dbus-daemon', [`--config-file=${config}`, '--print-address', '--nofork'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: daemon.stdout! }).once('line', resolve);
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
  });
  return { address: address.trim(), stop: () => daemon.kill('SIGTERM') };
}

interface FakeUnit {
  name: string;
  load: string;
  active: string;
  /** Interfaces besides Unit, by short name, with their properties. */
  ifaces: Record<string, Record<string, unknown>>;
  activeEnter?: bigint;
}

const UNITS: FakeUnit[] = [
  { name: 'sshd.service', load: 'loaded', active: 'active', activeEnter: 1700000000123456n, ifaces: { Service: { Type: 'notify', NRestarts: 2, TasksCurrent: 3n, TasksMax: 4915n } } },
  { name: 'cron.service', load: 'loaded', active: 'inactive', ifaces: { Service: { Type: 'forking', NRestarts: 0, TasksCurrent: MAX_UINT64, TasksMax: MAX_UINT64 } } },
  // No Service interface: its type reads as "" and it has no restart or task series.
  { name: 'broken.service', load: 'loaded', active: 'failed', activeEnter: 5n, ifaces: {} },
  { name: 'getty@tty1.service', load: 'loaded', active: 'activating', ifaces: { Service: { Type: 'idle', NRestarts: 7, TasksCurrent: 1n, TasksMax: 100n } } },
  { name: 'reload.service', load: 'loaded', active: 'reloading', ifaces: { Service: { Type: 'simple', NRestarts: 0, TasksCurrent: 0n, TasksMax: 10n } } },
  // Excluded: a .mount by the default exclude, a unit whose file is missing by its load state.
  { name: 'home.mount', load: 'loaded', active: 'active', activeEnter: 9n, ifaces: { Mount: { Type: 'ext4' } } },
  { name: 'ghost.service', load: 'not-found', active: 'inactive', ifaces: {} },
  { name: 'logrotate.timer', load: 'loaded', active: 'active', activeEnter: 1700000050000000n, ifaces: { Timer: { LastTriggerUSec: 1700000100500000n } } },
  { name: 'dbus.socket', load: 'loaded', active: 'active', activeEnter: 1600000000000001n, ifaces: { Socket: { NAccepted: 10, NConnections: 1, NRefused: 4 } } },
  // A systemd before 239: no NRefused.
  { name: 'old.socket', load: 'loaded', active: 'active', activeEnter: 1600000000000002n, ifaces: { Socket: { NAccepted: 5, NConnections: 0 } } },
];

const PROPERTY_TYPES: Record<string, Record<string, string>> = {
  Service: { Type: 's', NRestarts: 'u', TasksCurrent: 't', TasksMax: 't' },
  Mount: { Type: 's' },
  Timer: { LastTriggerUSec: 't' },
  Socket: { NAccepted: 'u', NConnections: 'u', NRefused: 'u' },
};

interface Sessions {
  seats: string[];
  sessions: { id: string; seat: string; props?: { Remote: boolean; Type: string; Class: string } }[];
}

const SESSIONS: Sessions = {
  seats: ['seat0'],
  sessions: [
    { id: '1', seat: 'seat0', props: { Remote: false, Type: 'x11', Class: 'user' } },
    { id: '2', seat: '', props: { Remote: true, Type: 'tty', Class: 'user' } },
    { id: '3', seat: '', props: { Remote: true, Type: 'tty', Class: 'user' } },
    // Unknown type: counted as "other".
    { id: '4', seat: '', props: { Remote: false, Type: 'teletype', Class: 'background' } },
    // A seat ListSeats does not name: counted, but no series has it.
    { id: '5', seat: 'seat9', props: { Remote: false, Type: 'wayland', Class: 'greeter' } },
    // No Session object: not counted.
    { id: '6', seat: 'seat0' },
  ],
};

/** The fake services, exported by one connection that owns both names. */
async function exportServices(address: string, state: { listUnitsFails: boolean; systemState: string }): Promise<MessageBus> {
  const dbus = (await import('dbus-native')).default;
  const bus = dbus.createClient({ busAddress: address });
  await bus.requestName('org.freedesktop.systemd1', 4);
  await bus.requestName('org.freedesktop.login1', 4);
  const manager = {
    ListUnits(): unknown[] {
      if (state.listUnitsFails) throw new Error('fake ListUnits failure');
      return UNITS.map((u) => [u.name, 'desc', u.load, u.active, 'sub', '', unitObjectPath(u.name), 0, '', '/']);
    },
    Version: '252.36-1~deb12u1',
    get SystemState(): string {
      return state.systemState;
    },
  };
  bus.exportInterface(manager, '/org/freedesktop/systemd1', {
    name: 'org.freedesktop.systemd1.Manager',
    methods: { ListUnits: ['', 'a(ssssssouso)', [], ['units']] },
    properties: { Version: { type: 's', access: 'read' }, SystemState: { type: 's', access: 'read' } },
  });
  for (const u of UNITS) {
    const path = unitObjectPath(u.name);
    bus.exportInterface({ ActiveEnterTimestamp: u.activeEnter ?? 0n }, path, { name: 'org.freedesktop.systemd1.Unit', properties: { ActiveEnterTimestamp: { type: 't', access: 'read' } } });
    for (const [iface, props] of Object.entries(u.ifaces)) {
      const types = Object.fromEntries(Object.keys(props).map((p) => [p, { type: PROPERTY_TYPES[iface]![p]!, access: 'read' as const }]));
      bus.exportInterface({ ...props }, path, { name: `org.freedesktop.systemd1.${iface}`, properties: types });
    }
  }
  const login = {
    ListSeats: (): unknown[] => SESSIONS.seats.map((s) => [s, `/org/freedesktop/login1/seat/${s}`]),
    ListSessions: (): unknown[] => SESSIONS.sessions.map((s) => [s.id, 1000, 'user', s.seat, `/org/freedesktop/login1/session/_3${s.id}`]),
  };
  bus.exportInterface(login, '/org/freedesktop/login1', {
    name: 'org.freedesktop.login1.Manager',
    methods: { ListSeats: ['', 'a(so)', [], ['seats']], ListSessions: ['', 'a(susso)', [], ['sessions']] },
  });
  for (const s of SESSIONS.sessions) {
    if (s.props === undefined) continue;
    bus.exportInterface({ ...s.props }, `/org/freedesktop/login1/session/_3${s.id}`, {
      name: 'org.freedesktop.login1.Session',
      properties: { Remote: { type: 'b', access: 'read' }, Type: { type: 's', access: 'read' }, Class: { type: 's', access: 'read' } },
    });
  }
  return bus;
}

test('the D-Bus library is loaded by the first scrape that needs it, not with the exporter', async () => {
  const loaded = (): boolean => Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes('/dbus-native/'));
  assert.equal(loaded(), false, 'importing the collectors loads no D-Bus code');
  const saved = process.env['DBUS_SYSTEM_BUS_ADDRESS'];
  process.env['DBUS_SYSTEM_BUS_ADDRESS'] = `unix:path=${join(tmpdir(), 'ne-no-bus-here.sock')}`;
  try {
    const s = await ourScrape('logind');
    assert.equal(sampleValue(s.body, 'node_scrape_collector_success{collector="logind"}'), 0);
  } finally {
    if (saved === undefined) delete process.env['DBUS_SYSTEM_BUS_ADDRESS'];
    else process.env['DBUS_SYSTEM_BUS_ADDRESS'] = saved;
  }
  assert.equal(loaded(), true);
});

test('systemd and logind over D-Bus: the figures, the failures, and the same lines as node_exporter 1.5', { skip: !hasDaemon && 'dbus-daemon is not installed (Debian package dbus-daemon; .ci/run installs it)', timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ne-dbus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const daemon = await startBus(dir);
  t.after(daemon.stop);
  const state = { listUnitsFails: false, systemState: 'running' };
  const services = await exportServices(daemon.address, state);
  t.after(() => services.close());
  const savedAddress = process.env['DBUS_SYSTEM_BUS_ADDRESS'];
  process.env['DBUS_SYSTEM_BUS_ADDRESS'] = daemon.address;
  t.after(() => (savedAddress === undefined ? delete process.env['DBUS_SYSTEM_BUS_ADDRESS'] : (process.env['DBUS_SYSTEM_BUS_ADDRESS'] = savedAddress)));

  const optional = { 'collector.systemd.enable-task-metrics': true, 'collector.systemd.enable-restarts-metrics': true, 'collector.systemd.enable-start-time-metrics': true };
  const sd = await ourScrape('systemd', optional);
  assert.deepEqual(sd.failures.map((f) => f.error.message), []);
  const v = (series: string): number | undefined => sampleValue(sd.body, series);
  assert.equal(v('node_scrape_collector_success{collector="systemd"}'), 1);
  assert.equal(v('node_systemd_version{version="252.36-1~deb12u1"}'), 252.36);
  assert.equal(v('node_systemd_system_running'), 1);
  // The summary counts every unit, excluded or not, and a state beyond the five has its own series.
  assert.equal(v('node_systemd_units{state="active"}'), 5);
  assert.equal(v('node_systemd_units{state="inactive"}'), 2);
  assert.equal(v('node_systemd_units{state="reloading"}'), 1);
  assert.equal(v('node_systemd_units{state="deactivating"}'), 0);
  assert.equal(v('node_systemd_unit_state{name="sshd.service",state="active",type="notify"}'), 1);
  assert.equal(v('node_systemd_unit_state{name="sshd.service",state="failed",type="notify"}'), 0);
  assert.equal(v('node_systemd_unit_state{name="broken.service",state="failed",type=""}'), 1);
  // Escaped object path (getty_40tty1_2eservice) reached: its type is known.
  assert.equal(v('node_systemd_unit_state{name="getty@tty1.service",state="activating",type="idle"}'), 1);
  assert.equal(v('node_systemd_unit_state{name="logrotate.timer",state="active",type=""}'), 1);
  assert.doesNotMatch(sd.body, /name="home\.mount"/);
  assert.doesNotMatch(sd.body, /name="ghost\.service"/);
  assert.equal(v('node_systemd_service_restart_total{name="getty@tty1.service"}'), 7);
  assert.equal(v('node_systemd_service_restart_total{name="broken.service"}'), undefined);
  assert.equal(v('node_systemd_unit_tasks_current{name="sshd.service"}'), 3);
  assert.equal(v('node_systemd_unit_tasks_max{name="sshd.service"}'), 4915);
  assert.equal(v('node_systemd_unit_tasks_max{name="cron.service"}'), undefined, 'the largest uint64 means "no value"');
  assert.equal(v('node_systemd_unit_start_time_seconds{name="sshd.service"}'), 1700000000.123456);
  assert.equal(v('node_systemd_unit_start_time_seconds{name="broken.service"}'), 0, 'not active: 0');
  assert.equal(v('node_systemd_timer_last_trigger_seconds{name="logrotate.timer"}'), 1700000100.5);
  assert.equal(v('node_systemd_socket_accepted_connections_total{name="dbus.socket"}'), 10);
  assert.equal(v('node_systemd_socket_refused_connections_total{name="dbus.socket"}'), 4);
  assert.equal(v('node_systemd_socket_current_connections{name="old.socket"}'), 0);
  assert.equal(v('node_systemd_socket_refused_connections_total{name="old.socket"}'), undefined);
  assert.match(sd.body, /# TYPE node_systemd_socket_refused_connections_total gauge/);

  const filtered = await ourScrape('systemd', { 'collector.systemd.unit-include': '.+\\.service', 'collector.systemd.unit-exclude': 'cron.*' });
  assert.match(filtered.body, /name="sshd\.service"/);
  assert.doesNotMatch(filtered.body, /name="cron\.service"|name="dbus\.socket"/);
  assert.doesNotMatch(filtered.body, /node_systemd_service_restart_total|node_systemd_unit_tasks|node_systemd_unit_start_time/, 'the optional families stay off by default');

  const ld = await ourScrape('logind');
  assert.deepEqual(ld.failures.map((f) => f.error.message), []);
  const l = (labels: string): number | undefined => sampleValue(ld.body, `node_logind_sessions{${labels}}`);
  assert.equal(l('class="user",remote="true",seat="",type="tty"'), 2);
  assert.equal(l('class="user",remote="false",seat="seat0",type="x11"'), 1);
  assert.equal(l('class="background",remote="false",seat="",type="other"'), 1);
  assert.equal(l('class="greeter",remote="false",seat="seat0",type="wayland"'), 0);
  assert.doesNotMatch(ld.body, /seat="seat9"/);
  // Every combination: 2 remote values x 7 types x 5 classes x (seat0 and the empty seat).
  assert.equal(ld.body.split('\n').filter((x) => x.startsWith('node_logind_sessions{')).length, 2 * 7 * 5 * 2);

  const env = { DBUS_SYSTEM_BUS_ADDRESS: daemon.address };
  const reference = await referenceScrape('systemd', Object.keys(optional).map((k) => `--${k}`), env);
  if (reference === undefined) t.diagnostic('Debian node_exporter is not installed: no side-by-side comparison');
  else {
    assert.ok(familyLines(reference, 'node_systemd_').length > 60, `node_exporter's scrape has the systemd families:\n${reference}`);
    assert.deepEqual(familyLines(sd.body, 'node_systemd_'), familyLines(reference, 'node_systemd_'));
  }
  const referenceLogind = await referenceScrape('logind', [], env);
  if (referenceLogind !== undefined) {
    assert.ok(familyLines(referenceLogind, 'node_logind_').length > 100, `node_exporter's scrape has the logind family:\n${referenceLogind}`);
    assert.deepEqual(familyLines(ld.body, 'node_logind_'), familyLines(referenceLogind, 'node_logind_'));
  }

  state.systemState = 'degraded';
  assert.equal(sampleValue((await ourScrape('systemd')).body, 'node_systemd_system_running'), 0);

  // Failures: success 0 and the reason, for the exporter's log line; the other collectors go on.
  state.listUnitsFails = true;
  const failed = await ourScrape('systemd');
  assert.equal(sampleValue(failed.body, 'node_scrape_collector_success{collector="systemd"}'), 0);
  assert.match(failed.failures[0]?.error.message ?? '', /^couldn't get units: .*fake ListUnits failure/);
  process.env['DBUS_SYSTEM_BUS_ADDRESS'] = `unix:path=${join(dir, 'nothing-here.sock')}`;
  const noBus = await ourScrape('logind');
  assert.equal(sampleValue(noBus.body, 'node_scrape_collector_success{collector="logind"}'), 0);
  assert.match(noBus.failures[0]?.error.message ?? '', /^unable to connect to dbus: connecting to unix:path=.*nothing-here\.sock: .*ENOENT/);
});
