// The scrape HTTP client through proxy_url: http targets by absolute URL, https targets through a
// CONNECT tunnel with the job's TLS settings, and the proxy's credentials from its URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scrapeHttp } from '../../src/scrape/http-client.js';
import { tunnel } from '../helpers/net.js';

const port = (s: net.Server): number => (s.address() as AddressInfo).port;

test('proxy_url: http targets by absolute URL, https targets through CONNECT, proxy credentials sent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-scrape-proxy-'));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=target.test', '-addext', 'subjectAltName=DNS:target.test,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const body = 'up_metric 1\n';
  const plain = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(body));
  const secure = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(body));
  // A forwarding proxy that records what it was asked for and with which credentials.
  const seen: { kind: string; target: string; auth: string | undefined }[] = [];
  const proxy = http.createServer((req, res) => {
    seen.push({ kind: 'GET', target: req.url ?? '', auth: req.headers['proxy-authorization'] });
    const upstream = http.request(req.url ?? '', { headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    upstream.end();
  });
  proxy.on('connect', (req, client, head) => {
    seen.push({ kind: 'CONNECT', target: req.url ?? '', auth: req.headers['proxy-authorization'] });
    tunnel(req, client, head);
  });
  for (const s of [plain, secure, proxy]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of [plain, secure, proxy]) s.close();
  });
  const proxyUrl = `http://scraper:s3cret@127.0.0.1:${port(proxy)}`;
  const auth = `Basic ${Buffer.from('scraper:s3cret').toString('base64')}`;

  const viaHttp = await scrapeHttp({ url: new URL(`http://127.0.0.1:${port(plain)}/metrics`), timeoutMs: 5000, proxyUrl });
  assert.equal(viaHttp.body.toString(), body);
  const viaTunnel = await scrapeHttp({ url: new URL(`https://127.0.0.1:${port(secure)}/metrics`), timeoutMs: 5000, proxyUrl, tls: { caFile: join(dir, 'cert.pem'), serverName: 'target.test' } });
  assert.equal(viaTunnel.body.toString(), body);
  assert.deepEqual(seen, [
    { kind: 'GET', target: `http://127.0.0.1:${port(plain)}/metrics`, auth },
    { kind: 'CONNECT', target: `127.0.0.1:${port(secure)}`, auth },
  ]);
  // The target's certificate is still checked inside the tunnel.
  await assert.rejects(scrapeHttp({ url: new URL(`https://127.0.0.1:${port(secure)}/metrics`), timeoutMs: 5000, proxyUrl }), /self[- ]signed/i);
  // A proxy that is not there fails the scrape with Go's wording.
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = port(closed);
  closed.close();
  await assert.rejects(scrapeHttp({ url: new URL(`https://127.0.0.1:${port(secure)}/metrics`), timeoutMs: 5000, proxyUrl: `http://127.0.0.1:${deadPort}` }), /proxyconnect tcp: dial tcp 127\.0\.0\.1:\d+: connect: connection refused/);
});
