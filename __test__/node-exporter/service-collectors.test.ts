// The ntp, runit and supervisord collectors against things built here: an SNTP server on
// 127.0.0.1, runit service directories with supervise/status files, and an XML-RPC supervisord
// over HTTP and a unix socket. Their figures are checked, failures must report success 0 with a
// reason, and where Debian's node_exporter 1.5 is installed it scrapes the same and the lines match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wallClockNs } from '../../src/node-exporter/collectors/ntp.js';
import { parseRunitStatus } from '../../src/node-exporter/collectors/runit.js';
import { decodeMethodResponse } from '../../src/node-exporter/collectors/xmlrpc.js';
import { parseGoDuration } from '../../src/util/go-duration.js';
import { familyLines, ourScrape, referenceScrape, sampleValue } from './reference-scrape.js';

const NTP_TO_UNIX_S = 2_208_988_800n;

/** Unix nanoseconds as a 64-bit NTP timestamp (truncated: the server side needs no rounding). */
function ntpTimestamp(unixNs: bigint): bigint {
  const ns = unixNs + NTP_TO_UNIX_S * 1_000_000_000n;
  const sec = ns / 1_000_000_000n;
  return (sec << 32n) | (((ns % 1_000_000_000n) << 32n) / 1_000_000_000n);
}

interface FakeNtp {
  leap: number;
  stratum: number;
  /** How far ahead of ours the server's clock is. */
  aheadNs: bigint;
}

/** An SNTP server: answers each request with the fixed reference time and delays below. */
async function startNtp(t: { after: (f: () => void) => void }, server: FakeNtp, referenceUnixNs: bigint): Promise<number> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', (req, peer) => {
    const now = wallClockNs() + server.aheadNs;
    const r = Buffer.alloc(48);
    r[0] = (server.leap << 6) | (((req[0]! >> 3) & 7) << 3) | 4;
    r[1] = server.stratum;
    r[2] = 6;
    r[3] = 0xec;
    r.writeUInt32BE(0x00000800, 4); // root delay 2048/65536 s
    r.writeUInt32BE(0x00000c00, 8); // root dispersion 3072/65536 s
    r.write('GPS\0', 12, 'latin1');
    r.writeBigUInt64BE(ntpTimestamp(referenceUnixNs), 16);
    req.copy(r, 24, 40, 48);
    r.writeBigUInt64BE(ntpTimestamp(now), 32);
    r.writeBigUInt64BE(ntpTimestamp(now + 20_000n), 40);
    socket.send(r, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => socket.close());
  return socket.address().port;
}

test("Go's duration syntax for the ntp flags", () => {
  assert.equal(parseGoDuration('3.46608s'), 3_466_080_000);
  assert.equal(parseGoDuration('1ms'), 1_000_000);
  assert.equal(parseGoDuration('1h2m0.5s'), 3_720_500_000_000);
  assert.equal(parseGoDuration('-1.5us'), -1500);
  assert.equal(parseGoDuration('0'), 0);
  for (const bad of ['', '1', 's', '1x', '.s', '1s 2s']) assert.throws(() => parseGoDuration(bad), /invalid duration/, bad);
});

test('ntp: an SNTP query to a local server, its sanity, and the same figures as node_exporter 1.5', { timeout: 60_000 }, async (t) => {
  const referenceUnixNs = (BigInt(Date.now()) - 64_000n) * 1_000_000n;
  const server: FakeNtp = { leap: 0, stratum: 2, aheadNs: 0n };
  const port = await startNtp(t, server, referenceUnixNs);
  const flags = { 'collector.ntp.server-port': port };
  const ours = await ourScrape('ntp', flags);
  assert.deepEqual(ours.failures.map((f) => f.error.message), []);
  const v = (name: string): number | undefined => sampleValue(ours.body, `node_ntp_${name}`);
  assert.equal(v('stratum'), 2);
  assert.equal(v('leap'), 0);
  assert.equal(v('root_delay_seconds'), 0.03125);
  assert.equal(v('root_dispersion_seconds'), 0.046875);
  assert.ok(Math.abs(v('reference_timestamp_seconds')! - Number(referenceUnixNs) / 1e9) < 1e-6);
  // The server answers from this process's event loop: a request waiting in it makes the delays
  // lopsided, which the offset (half their difference) shows as a few milliseconds.
  assert.ok(Math.abs(v('offset_seconds')!) < 0.1, `offset ${v('offset_seconds')}`);
  assert.ok(v('rtt_seconds')! >= 0 && v('rtt_seconds')! < 0.5);
  assert.equal(v('sanity'), 1, ours.logs.join('\n'));

  // The figures that do not depend on when the query was made, as node_exporter gives them.
  const reference = await referenceScrape('ntp', [`--collector.ntp.server-port=${port}`]);
  if (reference !== undefined) {
    const perQuery = /^node_ntp_(rtt|offset)_seconds /;
    assert.ok(familyLines(reference, 'node_ntp_').length > 20, reference);
    assert.deepEqual(familyLines(ours.body, 'node_ntp_', perQuery), familyLines(reference, 'node_ntp_', perQuery));
  }

  // A server 250 ms ahead: the offset shows it, and the error bound (over 1 ms) makes it not sane.
  server.aheadNs = 250_000_000n;
  const ahead = await ourScrape('ntp', flags);
  assert.ok(Math.abs(sampleValue(ahead.body, 'node_ntp_offset_seconds')! - 0.25) < 0.1);
  assert.equal(sampleValue(ahead.body, 'node_ntp_sanity'), 0);
  assert.equal(sampleValue((await ourScrape('ntp', { ...flags, 'collector.ntp.local-offset-tolerance': parseGoDuration('1s') })).body, 'node_ntp_sanity'), 1);
  server.aheadNs = 0n;
  server.leap = 3;
  const unsynced = await ourScrape('ntp', flags);
  assert.equal(sampleValue(unsynced.body, 'node_ntp_leap'), 3);
  assert.equal(sampleValue(unsynced.body, 'node_ntp_sanity'), 0, 'not in sync');
  server.leap = 0;
  server.stratum = 16;
  assert.equal(sampleValue((await ourScrape('ntp', flags)).body, 'node_ntp_sanity'), 0, 'stratum 16 is unsynchronised');

  const failures = async (f: Record<string, unknown>): Promise<string[]> => {
    const s = await ourScrape('ntp', f);
    assert.equal(sampleValue(s.body, 'node_scrape_collector_success{collector="ntp"}'), 0);
    assert.doesNotMatch(s.body, /^node_ntp_/m);
    return s.failures.map((x) => x.error.message);
  };
  assert.deepEqual(await failures({ 'collector.ntp.server': '192.0.2.1' }), ['only IP address of local NTP server is valid for --collector.ntp.server']);
  assert.deepEqual(await failures({ ...flags, 'collector.ntp.protocol-version': 5 }), ['invalid NTP protocol version 5; must be 2, 3, or 4']);
  // Nothing listens there (a port just freed): no reply, or the kernel's refusal.
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  const silentPort = silent.address().port;
  silent.close();
  const [noServer] = await failures({ 'collector.ntp.server-port': silentPort });
  assert.match(noServer ?? '', /^couldn't get SNTP reply: /);
});

/** A 20-byte supervise/status: TAI64 label, nanoseconds, pid (little-endian), paused, want, term, state. */
function runitStatus(changedUnix: number, pid: number, want: 'u' | 'd', state: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(4611686018427387914n + BigInt(changedUnix), 0);
  b.writeUInt32LE(pid, 12);
  b[17] = want.charCodeAt(0);
  b[19] = state;
  return b;
}

test('runit: service states from supervise/status, as node_exporter 1.5 reads them', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ne-runit-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'service');
  const write = (path: string, data: Buffer | string): void => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, data);
  };
  write(join(dir, 'sshd/supervise/status'), runitStatus(1700000000, 1234, 'u', 1));
  // The usual layout: a link into /etc/sv. Wanted down and normally down (supervise/down, where upstream looks).
  write(join(root, 'sv/cron/supervise/status'), runitStatus(1600000000, 0, 'd', 0));
  write(join(root, 'sv/cron/supervise/down'), '');
  symlinkSync(join(root, 'sv/cron'), join(dir, 'cron'));
  write(join(dir, 'finishing/supervise/status'), runitStatus(1650000000, 99, 'u', 2));
  // Skipped: an empty status, a service not supervised yet, a file that is no service.
  write(join(dir, 'empty/supervise/status'), '');
  mkdirSync(join(dir, 'new'));
  write(join(dir, 'README'), 'not a service');

  const ours = await ourScrape('runit', { 'collector.runit.servicedir': dir });
  assert.deepEqual(ours.failures, []);
  const v = (name: string, service: string): number | undefined => sampleValue(ours.body, `node_service_${name}{service="${service}",supervisor="runit"}`);
  assert.equal(v('state', 'sshd'), 1);
  assert.equal(v('desired_state', 'sshd'), 1);
  assert.equal(v('normal_state', 'sshd'), 1);
  assert.equal(v('state_last_change_timestamp_seconds', 'sshd'), 1700000000);
  assert.equal(v('state', 'cron'), 0);
  assert.equal(v('desired_state', 'cron'), 0);
  assert.equal(v('normal_state', 'cron'), 0);
  assert.equal(v('state', 'finishing'), 2);
  assert.doesNotMatch(ours.body, /service="(empty|new|README)"/);
  assert.ok(ours.logs.some((l) => l.includes("Couldn't get status") && l.includes('"service":"empty"')), ours.logs.join('\n'));
  assert.deepEqual(parseRunitStatus(runitStatus(5, 0x01020304, 'u', 1)), { state: 1, want: 1, changed: 5, pid: 0x01020304 });

  const reference = await referenceScrape('runit', [`--collector.runit.servicedir=${dir}`]);
  if (reference !== undefined) {
    assert.ok(familyLines(reference, 'node_service_').length > 12, reference);
    assert.deepEqual(familyLines(ours.body, 'node_service_'), familyLines(reference, 'node_service_'));
  }

  const missing = await ourScrape('runit', { 'collector.runit.servicedir': join(root, 'nope') });
  assert.equal(sampleValue(missing.body, 'node_scrape_collector_success{collector="runit"}'), 0);
  assert.match(missing.failures[0]?.error.message ?? '', /ENOENT/);
});

function member(name: string, value: string): string {
  return `<member><name>${name}</name><value>${value}</value></member>`;
}

function processXml(name: string, group: string, state: number, statename: string, start: number, exitstatus: number, pid: number): string {
  return `<value><struct>${[
    member('name', `<string>${name}</string>`), member('group', `<string>${group}</string>`), member('start', `<int>${start}</int>`),
    member('stop', '<int>0</int>'), member('now', '<int>1700000500</int>'), member('state', `<int>${state}</int>`),
    member('statename', `<string>${statename}</string>`), member('spawnerr', '<string></string>'), member('exitstatus', `<int>${exitstatus}</int>`),
    member('logfile', '<string>/var/log/x.log</string>'), member('stdout_logfile', '<string>/var/log/x.log</string>'),
    member('stderr_logfile', '<string></string>'), member('pid', `<i4>${pid}</i4>`), member('description', `<string>pid ${pid}, uptime 0:01:00</string>`),
    member('__proto__', '<string>polluted</string>'),
  ].join('\n')}</struct></value>`;
}

const PROCESSES = `<?xml version='1.0'?>
<methodResponse><params><param><value><array><data>
${processXml('web', 'web', 20, 'RUNNING', 1700000000, 0, 4242)}
${processXml('worker_01', 'workers', 100, 'EXITED', 1690000000, 3, 0)}
${processXml('worker_02', 'workers', 10, 'STARTING', 1700000400, 0, 4343)}
${processXml('cron &amp; co', 'misc', 200, 'FATAL', 0, 127, 0)}
</data></array></value></param></params></methodResponse>
`;

const FAULT = `<?xml version='1.0'?><methodResponse><fault><value><struct>${member('faultCode', '<int>1</int>')}${member('faultString', '<string>UNKNOWN_METHOD</string>')}</struct></value></fault></methodResponse>`;

async function listen(server: Server, where: string | number): Promise<void> {
  await new Promise<void>((resolve) => (typeof where === 'string' ? server.listen(where, resolve) : server.listen(where, '127.0.0.1', resolve)));
}

test('supervisord: processes over XML-RPC (HTTP and a unix socket), as node_exporter 1.5 reports them', { timeout: 60_000 }, async (t) => {
  const calls: string[] = [];
  let reply = PROCESSES;
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push(`${req.method} ${req.url} ${/<methodName>(.*)<\/methodName>/.exec(body)?.[1]}`);
      res.writeHead(200, { 'Content-Type': 'text/xml' }).end(reply);
    });
  };
  const server = createServer(handler);
  await listen(server, 0);
  t.after(() => server.close());
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/RPC2`;

  const ours = await ourScrape('supervisord', { 'collector.supervisord.url': url });
  assert.deepEqual(ours.failures, []);
  assert.deepEqual(calls, ['POST /RPC2 supervisor.getAllProcessInfo']);
  const v = (name: string, labels: string): number | undefined => sampleValue(ours.body, `node_supervisord_${name}{${labels}}`);
  assert.equal(v('up', 'group="web",name="web"'), 1);
  assert.equal(v('state', 'group="web",name="web"'), 20);
  assert.equal(v('start_time_seconds', 'group="web",name="web"'), 1700000000);
  assert.equal(v('up', 'group="workers",name="worker_01"'), 0);
  assert.equal(v('exit_status', 'group="workers",name="worker_01"'), 3);
  assert.equal(v('start_time_seconds', 'group="workers",name="worker_01"'), undefined, 'only running processes have a start time');
  assert.equal(v('up', 'group="workers",name="worker_02"'), 1, 'STARTING counts as up');
  assert.equal(v('exit_status', 'group="misc",name="cron & co"'), 127);
  assert.match(ours.body, /# TYPE node_supervisord_start_time_seconds counter/);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);

  const reference = await referenceScrape('supervisord', [`--collector.supervisord.url=${url}`]);
  if (reference !== undefined) {
    assert.ok(familyLines(reference, 'node_supervisord_').length > 14, reference);
    assert.deepEqual(familyLines(ours.body, 'node_supervisord_'), familyLines(reference, 'node_supervisord_'));
  }

  // supervisord's usual unix socket, spoken to as http://unix/RPC2.
  const dir = mkdtempSync(join(tmpdir(), 'ne-supervisord-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const unixServer = createServer(handler);
  await listen(unixServer, join(dir, 'supervisor.sock'));
  t.after(() => unixServer.close());
  const overSocket = await ourScrape('supervisord', { 'collector.supervisord.url': `unix://${join(dir, 'supervisor.sock')}` });
  assert.deepEqual(overSocket.failures, []);
  assert.equal(sampleValue(overSocket.body, 'node_supervisord_up{group="web",name="web"}'), 1);
  assert.equal(calls.at(-1), 'POST /RPC2 supervisor.getAllProcessInfo');

  const failure = async (f: Record<string, unknown>): Promise<string> => {
    const s = await ourScrape('supervisord', f);
    assert.equal(sampleValue(s.body, 'node_scrape_collector_success{collector="supervisord"}'), 0);
    return s.failures[0]?.error.message ?? '';
  };
  reply = FAULT;
  assert.equal(await failure({ 'collector.supervisord.url': url }), 'unable to call supervisord: fault: UNKNOWN_METHOD');
  reply = '<html>not xml-rpc</html>';
  assert.match(await failure({ 'collector.supervisord.url': url }), /^unable to call supervisord: invalid response: missing methodResponse/);
  reply = PROCESSES.replace('<int>20</int>', '<int>twenty</int>');
  assert.match(await failure({ 'collector.supervisord.url': url }), /is not an integer/);
  assert.match(await failure({ 'collector.supervisord.url': `unix://${join(dir, 'absent.sock')}` }), /ENOENT/);
  assert.match(await failure({ 'collector.supervisord.url': 'ftp://127.0.0.1/' }), /unsupported protocol scheme "ftp"/);
});

test('XML-RPC values: types, nesting and struct members kept out of object keys', () => {
  const v = decodeMethodResponse(`<?xml version="1.0"?><methodResponse><params><param><value><struct>
    <member><name>constructor</name><value><array><data><value><boolean>1</boolean></value><value><double>2.5</double></value><value>bare</value><value><nil/></value></data></array></value></member>
  </struct></value></param></params></methodResponse>`);
  assert.ok(v instanceof Map);
  assert.deepEqual(v.get('constructor'), [true, 2.5, 'bare', null]);
});
