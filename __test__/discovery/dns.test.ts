// dns_sd_configs against a small DNS server on a free UDP port: SRV, A, AAAA, MX and NS records
// become targets with Prometheus's meta labels; a failing name keeps its last targets; the config
// is validated as Prometheus validates it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { DnsDiscovery } from '../../src/discovery/dns.js';
import { parseConfig } from '../../src/config/index.js';
import type { TargetGroup } from '../../src/discovery/target-group.js';
import { Logger } from '../../src/util/logger.js';

type Rr = { type: 'A'; ip: string } | { type: 'AAAA'; ip: string } | { type: 'SRV'; target: string; port: number } | { type: 'MX'; exchange: string } | { type: 'NS'; host: string };
const TYPES = { A: 1, NS: 2, MX: 15, AAAA: 28, SRV: 33 } as const;

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])), Buffer.from([0])]);
}

function rdata(r: Rr): Buffer {
  const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 255]);
  switch (r.type) {
    case 'A':
      return Buffer.from(r.ip.split('.').map(Number));
    case 'AAAA': {
      const full = r.ip === '::1' ? '0:0:0:0:0:0:0:1' : r.ip;
      return Buffer.concat(full.split(':').map((h) => u16(parseInt(h, 16))));
    }
    case 'SRV':
      return Buffer.concat([u16(10), u16(5), u16(r.port), encodeName(r.target)]);
    case 'MX':
      return Buffer.concat([u16(10), encodeName(r.exchange)]);
    case 'NS':
      return encodeName(r.host);
  }
}

/** Answers queries from `zone` (name -> records); unknown names get NXDOMAIN. */
async function dnsServer(zone: Map<string, Rr[]>): Promise<{ address: string; close: () => void }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (q, from) => {
    let pos = 12;
    const labels: string[] = [];
    while (q[pos]! !== 0) {
      labels.push(q.subarray(pos + 1, pos + 1 + q[pos]!).toString());
      pos += q[pos]! + 1;
    }
    const qtype = q.readUInt16BE(pos + 1);
    const question = q.subarray(12, pos + 5);
    const name = labels.join('.').toLowerCase();
    const records = zone.get(name);
    const answers = (records ?? []).filter((r) => TYPES[r.type] === qtype);
    const header = Buffer.alloc(12);
    q.copy(header, 0, 0, 2);
    header.writeUInt16BE(records === undefined ? 0x8183 : 0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((r) => {
      const d = rdata(r);
      const head = Buffer.alloc(12);
      head.writeUInt16BE(0xc00c, 0);
      head.writeUInt16BE(qtype, 2);
      head.writeUInt16BE(1, 4);
      head.writeUInt32BE(30, 6);
      head.writeUInt16BE(d.length, 10);
      return Buffer.concat([head, d]);
    });
    sock.send(Buffer.concat([header, question, ...rrs]), from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${(sock.address() as AddressInfo).port}`, close: () => sock.close() };
}

const quiet = new Logger({ level: 'error', write: () => undefined });

async function discover(config: ConstructorParameters<typeof DnsDiscovery>[0], logger = quiet): Promise<{ d: DnsDiscovery; last: () => TargetGroup[] }> {
  let groups: TargetGroup[] = [];
  const d = new DnsDiscovery(config, logger, (g) => (groups = g));
  await d.refresh();
  return { d, last: () => groups };
}

test('SRV, A, AAAA, MX and NS records become targets with the meta labels', async (t) => {
  const zone = new Map<string, Rr[]>([
    ['api.test', [{ type: 'SRV', target: 'a.test', port: 9100 }, { type: 'SRV', target: 'b.test', port: 9200 }]],
    ['hosts.test', [{ type: 'A', ip: '10.0.0.1' }, { type: 'A', ip: '10.0.0.2' }, { type: 'AAAA', ip: '::1' }]],
    ['mail.test', [{ type: 'MX', exchange: 'mx.test' }]],
    ['zone.test', [{ type: 'NS', host: 'ns1.test' }]],
  ]);
  const server = await dnsServer(zone);
  t.after(() => server.close());
  const servers = [server.address];

  const srv = await discover({ names: ['api.test'], type: 'SRV', port: 0, refreshIntervalMs: 60_000, servers });
  assert.deepEqual(
    srv.last().map((g) => [g.targets, g.labels]),
    [
      [['a.test:9100'], { __meta_dns_name: 'api.test', __meta_dns_srv_record_target: 'a.test.', __meta_dns_srv_record_port: '9100' }],
      [['b.test:9200'], { __meta_dns_name: 'api.test', __meta_dns_srv_record_target: 'b.test.', __meta_dns_srv_record_port: '9200' }],
    ],
  );
  const a = await discover({ names: ['hosts.test'], type: 'A', port: 9100, refreshIntervalMs: 60_000, servers });
  assert.deepEqual(a.last().flatMap((g) => g.targets), ['10.0.0.1:9100', '10.0.0.2:9100']);
  const aaaa = await discover({ names: ['hosts.test'], type: 'AAAA', port: 9100, refreshIntervalMs: 60_000, servers });
  assert.deepEqual(aaaa.last().flatMap((g) => g.targets), ['[::1]:9100']);
  const mx = await discover({ names: ['mail.test'], type: 'MX', port: 25, refreshIntervalMs: 60_000, servers });
  assert.deepEqual(mx.last().map((g) => [g.targets, g.labels.__meta_dns_mx_record_target]), [[['mx.test:25'], 'mx.test.']]);
  const ns = await discover({ names: ['zone.test'], type: 'NS', port: 53, refreshIntervalMs: 60_000, servers });
  assert.deepEqual(ns.last().map((g) => [g.targets, g.labels.__meta_dns_ns_record_target]), [[['ns1.test:53'], 'ns1.test.']]);

  // Records change: the next refresh follows. A name that stops resolving keeps its last targets.
  zone.set('api.test', [{ type: 'SRV', target: 'a.test', port: 9100 }]);
  await srv.d.refresh();
  assert.deepEqual(srv.last().flatMap((g) => g.targets), ['a.test:9100']);
  const errors: string[] = [];
  const logged = new Logger({ level: 'error', write: (l) => errors.push(l) });
  const both = await discover({ names: ['api.test', 'gone.test'], type: 'SRV', port: 0, refreshIntervalMs: 60_000, servers }, logged);
  assert.deepEqual(both.last().flatMap((g) => g.targets), ['a.test:9100']);
  assert.match(errors.join('\n'), /Error refreshing DNS targets.*name=gone\.test/);
  zone.delete('api.test');
  await both.d.refresh();
  assert.deepEqual(both.last().flatMap((g) => g.targets), ['a.test:9100'], 'the last good targets stay');
  for (const x of [srv, a, aaaa, mx, ns, both]) x.d.stop();
});

test('dns_sd_configs is validated as Prometheus validates it', () => {
  const job = (sd: string): string => `scrape_configs:\n  - job_name: x\n    dns_sd_configs:\n${sd}`;
  const cfg = parseConfig(job('      - names: [a.example]\n      - names: [b.example]\n        type: a\n        port: 9100\n        refresh_interval: 1m\n'), 'p.yml');
  assert.deepEqual(cfg.scrapeConfigs[0]!.dnsSdConfigs, [
    { names: ['a.example'], type: 'SRV', port: 0, refreshIntervalMs: 30_000 },
    { names: ['b.example'], type: 'A', port: 9100, refreshIntervalMs: 60_000 },
  ]);
  assert.throws(() => parseConfig(job('      - names: []\n'), 'p.yml'), /DNS-SD config must contain at least one SRV record name/);
  assert.throws(() => parseConfig(job('      - names: [a]\n        type: A\n'), 'p.yml'), /a port is required in DNS-SD configs for all record types except SRV/);
  assert.throws(() => parseConfig(job('      - names: [a]\n        type: TXT\n        port: 1\n'), 'p.yml'), /invalid DNS-SD records type TXT/);
});
