// ntp (disabled by default, deprecated in node_exporter 1.5 but still there): one SNTP query to
// the local NTP server per scrape, and its sanity by RFC 5905's heuristics. The arithmetic is
// done in integer nanoseconds and 64-bit NTP timestamps, rounded where upstream's client rounds,
// so the same reply gives the same figures.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { BlockList, isIPv6 } from 'node:net';
import type { FlagSpec } from '../../util/flags.js';
import { flag } from '../../util/flags.js';
import { parseGoDuration } from '../../util/go-duration.js';
import type { Collector } from './collector.js';
import { flagValue } from './collector.js';

const NS = 1_000_000_000n;
/** Seconds from the NTP epoch (1900) to the Unix one (1970). */
const NTP_TO_UNIX_NS = 2_208_988_800n * NS;
const DAY_NS = 86_400n * NS;
const MAX_STRATUM = 16;
const MAX_POLL_INTERVAL_NS = 131_072n * NS;
const MAX_DISPERSION_NS = 16n * NS;
const LEAP_ADD_SECOND = 1;
const LEAP_DEL_SECOND = 2;
const LEAP_NOT_IN_SYNC = 3;
const MODE_CLIENT = 3;
const MODE_SERVER = 4;
const PACKET_BYTES = 48;
/** As `ntpdate` waits. */
const QUERY_TIMEOUT_MS = 1000;

function intFlag(help: string, def: number): FlagSpec<number> {
  return flag.custom(help, def, String(def), (s) => {
    if (!/^[+-]?\d+$/.test(s.trim())) throw new Error(`expected an integer, got ${JSON.stringify(s)}`);
    return Number(s);
  });
}

function durationFlag(help: string, def: string): FlagSpec<number> {
  return flag.custom(help, parseGoDuration(def), def, parseGoDuration);
}

/** A 64-bit NTP timestamp as nanoseconds since 1900, rounded as upstream's client rounds. */
function ntpTimeNs(t: bigint): bigint {
  const frac = (t & 0xffffffffn) * NS;
  let ns = (t >> 32n) * NS + (frac >> 32n);
  if ((frac & 0xffffffffn) >= 0x80000000n) ns++;
  return ns;
}

/** Nanoseconds since 1900 as a 64-bit NTP timestamp. */
function toNtpTime(ns1900: bigint): bigint {
  const sec = ns1900 / NS;
  const shifted = (ns1900 - sec * NS) << 32n;
  let frac = shifted / NS;
  if (shifted % NS >= NS / 2n) frac++;
  return (sec << 32n) | frac;
}

/** A 32-bit NTP short (16.16) as nanoseconds. */
function ntpShortNs(t: number): bigint {
  const frac = BigInt(t & 0xffff) * NS;
  let ns = BigInt(t >>> 16) * NS + (frac >> 16n);
  if ((frac & 0xffffn) >= 0x8000n) ns++;
  return ns;
}

/** Go's Duration.Seconds(): whole seconds and the rest converted apart, for the same float. */
function seconds(ns: bigint): number {
  return Number(ns / NS) + Number(ns % NS) / 1e9;
}

/**
 * The wall clock in nanoseconds (since 1970), finer than Date.now()'s milliseconds: the offset and error
 * bounds are judged at a millisecond (--collector.ntp.local-offset-tolerance), so a timestamp
 * off by up to 1 ms would decide them. performance.now() is monotonic and fine-grained; its
 * distance to the wall clock is taken at the edge of a Date.now() tick, and taken again when the
 * wall clock has been stepped since.
 */
let wallMinusMonotonicMs: number | undefined;
export function wallClockNs(): bigint {
  let wall = wallMinusMonotonicMs === undefined ? NaN : wallMinusMonotonicMs + performance.now();
  const coarse = Date.now();
  if (!(wall >= coarse && wall < coarse + 1)) {
    // Spin (under a millisecond) until Date.now() ticks: that instant is a whole millisecond.
    const start = Date.now();
    let tick = start;
    let at = performance.now();
    while (tick === start) {
      at = performance.now();
      tick = Date.now();
    }
    wallMinusMonotonicMs = tick - at;
    wall = wallMinusMonotonicMs + performance.now();
  }
  return BigInt(Math.round(wall * 1e6));
}

interface SntpReply {
  stratum: number;
  leap: number;
  /** The server's transmit time, ns since 1900. */
  timeNs: bigint;
  referenceNs: bigint;
  rootDelayNs: bigint;
  rootDispersionNs: bigint;
  offsetNs: bigint;
  rttNs: bigint;
  minErrorNs: bigint;
}

async function sntpQuery(host: string, port: number, version: number, ttl: number): Promise<SntpReply> {
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (ttl !== 0) socket.setTTL(ttl);
    const request = Buffer.alloc(PACKET_BYTES);
    request[0] = (LEAP_NOT_IN_SYNC << 6) | (version << 3) | MODE_CLIENT;
    // A random transmit time, as upstream's client sends: the reply must echo it back.
    const nonce = randomBytes(8);
    nonce.copy(request, 40);
    const xmitNs = wallClockNs() + NTP_TO_UNIX_NS;
    const started = process.hrtime.bigint();
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply from ${host}:${port} in ${QUERY_TIMEOUT_MS / 1000}s`)), QUERY_TIMEOUT_MS);
      socket.once('message', (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.send(request, (e) => {
        if (e) {
          clearTimeout(timer);
          reject(e);
        }
      });
    });
    const recvNs = xmitNs + (process.hrtime.bigint() - started);
    if (reply.length < PACKET_BYTES) throw new Error(`a reply of ${reply.length} bytes, not ${PACKET_BYTES}`);
    if ((reply[0]! & 7) !== MODE_SERVER) throw new Error('invalid mode in response');
    const receive = reply.readBigUInt64BE(32);
    const transmit = reply.readBigUInt64BE(40);
    if (transmit === 0n) throw new Error('invalid transmit time in response');
    if (!reply.subarray(24, 32).equals(nonce)) throw new Error('server response mismatch');
    if (receive > transmit) throw new Error('server clock ticked backwards');
    const org = toNtpTime(xmitNs);
    const dst = toNtpTime(recvNs);
    const [orgNs, recNs, xmtNs, dstNs] = [ntpTimeNs(org), ntpTimeNs(receive), ntpTimeNs(transmit), ntpTimeNs(dst)];
    const rtt = dstNs - orgNs - (xmtNs - recNs);
    const error0 = org >= receive ? org - receive : 0n;
    const error1 = transmit >= dst ? transmit - dst : 0n;
    return {
      stratum: reply[1]!,
      leap: reply[0]! >> 6,
      timeNs: xmtNs,
      referenceNs: ntpTimeNs(reply.readBigUInt64BE(16)),
      rootDelayNs: ntpShortNs(reply.readUInt32BE(4)),
      rootDispersionNs: ntpShortNs(reply.readUInt32BE(8)),
      offsetNs: (recNs - orgNs + (xmtNs - dstNs)) / 2n,
      rttNs: rtt < 0n ? 0n : rtt,
      minErrorNs: ntpTimeNs(error0 > error1 ? error0 : error1),
    };
  } finally {
    socket.close();
  }
}

/** Why a reply is not to be trusted, or undefined (upstream's Response.Validate). */
function invalidity(r: SntpReply): string | undefined {
  if (r.stratum === 0) return 'kiss of death received';
  if (r.stratum >= MAX_STRATUM) return 'invalid stratum in response';
  if (r.leap === LEAP_NOT_IN_SYNC) return 'invalid leap second';
  if (r.timeNs - r.referenceNs > MAX_POLL_INTERVAL_NS) return 'server clock not fresh';
  if (r.rootDelayNs / 2n + r.rootDispersionNs > MAX_DISPERSION_NS) return 'invalid dispersion';
  if (r.timeNs < r.referenceNs) return 'invalid time reported';
  return undefined;
}

/**
 * The midnight (Unix ns) a leap second was announced for. The server drops the flag right after
 * that midnight, so it is remembered: a day either side of it, a smeared clock is tolerated.
 */
let leapMidnightNs: bigint | undefined;

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

function isLoopbackAddress(s: string): boolean {
  try {
    return loopback.check(s, isIPv6(s) ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}

export const ntp: Collector = {
  name: 'ntp',
  enabledByDefault: false,
  flags: {
    'collector.ntp.server': flag.string('NTP server to use for ntp collector', '127.0.0.1'),
    'collector.ntp.server-port': intFlag('UDP port number to connect to on NTP server', 123),
    'collector.ntp.protocol-version': intFlag('NTP protocol version', 4),
    'collector.ntp.server-is-local': flag.bool('Certify that collector.ntp.server address is not a public ntp server'),
    'collector.ntp.ip-ttl': intFlag('IP TTL to use while sending NTP query', 1),
    // 3.46608s ~ 1.5s + PHI * (1 << maxPoll): ntp.org's MAXDIST (RFC 5905 says 1.0), used as it is.
    'collector.ntp.max-distance': durationFlag('Max accumulated distance to the root', '3.46608s'),
    'collector.ntp.local-offset-tolerance': durationFlag('Offset between local clock and local ntpd time to tolerate', '1ms'),
  },
  async collect(h, out, o) {
    const server = flagValue<string>(o, 'collector.ntp.server');
    const port = flagValue<number>(o, 'collector.ntp.server-port');
    const version = flagValue<number>(o, 'collector.ntp.protocol-version');
    const ttl = flagValue<number>(o, 'collector.ntp.ip-ttl');
    const tolerance = flagValue<number>(o, 'collector.ntp.local-offset-tolerance');
    // Upstream refuses these when the collector is created; here each scrape reports them.
    if (!flagValue<boolean>(o, 'collector.ntp.server-is-local') && !isLoopbackAddress(server)) throw new Error('only IP address of local NTP server is valid for --collector.ntp.server');
    if (version < 2 || version > 4) throw new Error(`invalid NTP protocol version ${version}; must be 2, 3, or 4`);
    if (tolerance < 0) throw new Error('offset tolerance must be non-negative');
    if (port < 1 || port > 65535) throw new Error(`invalid NTP port number ${port}; must be between 1 and 65535 inclusive`);
    let r: SntpReply;
    try {
      r = await sntpQuery(server, port, version, ttl);
    } catch (e) {
      throw new Error(`couldn't get SNTP reply: ${e instanceof Error ? e.message : String(e)}`);
    }
    const gauge = (name: string, help: string, v: number): void => out.add(`node_ntp_${name}`, help, 'gauge', v);
    gauge('stratum', 'NTPD stratum.', r.stratum);
    gauge('leap', 'NTPD leap second indicator, 2 bits.', r.leap);
    gauge('rtt_seconds', 'RTT to NTPD.', seconds(r.rttNs));
    gauge('offset_seconds', 'ClockOffset between NTP and local clock.', seconds(r.offsetNs));
    // A reference time before 1970 (an unset one is 1900) reads as 0.
    const referenceUnixNs = r.referenceNs - NTP_TO_UNIX_NS;
    gauge('reference_timestamp_seconds', 'NTPD ReferenceTime, UNIX timestamp.', referenceUnixNs >= NS ? Number(referenceUnixNs) / 1e9 : 0);
    gauge('root_delay_seconds', 'NTPD RootDelay.', seconds(r.rootDelayNs));
    gauge('root_dispersion_seconds', 'NTPD RootDispersion.', seconds(r.rootDispersionNs));

    const timeUnixNs = r.timeNs - NTP_TO_UNIX_NS;
    let maxErrorNs = BigInt(tolerance);
    if (r.leap === LEAP_ADD_SECOND || r.leap === LEAP_DEL_SECOND) {
      const day = timeUnixNs >= 0n ? timeUnixNs / DAY_NS : (timeUnixNs - DAY_NS + 1n) / DAY_NS;
      leapMidnightNs = (day + 1n) * DAY_NS;
    }
    if (leapMidnightNs !== undefined && leapMidnightNs - DAY_NS < timeUnixNs && timeUnixNs < leapMidnightNs + DAY_NS) maxErrorNs += NS;
    const rootDistanceNs = (r.rttNs + r.rootDelayNs) / 2n + r.rootDispersionNs;
    const problem = invalidity(r);
    const sane = problem === undefined && rootDistanceNs <= BigInt(flagValue<number>(o, 'collector.ntp.max-distance')) && r.minErrorNs <= maxErrorNs;
    if (!sane) h.log?.('debug', 'NTP reply not sane', { reason: problem ?? 'root distance or error bound over the limits', root_distance_seconds: seconds(rootDistanceNs), min_error_seconds: seconds(r.minErrorNs) });
    gauge('sanity', 'NTPD sanity according to RFC5905 heuristics and configured limits.', sane ? 1 : 0);
  },
};
