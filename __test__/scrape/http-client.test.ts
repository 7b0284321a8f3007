// The scrape HTTP client through proxy_url (http targets by absolute URL, https targets through a
// CONNECT tunnel with the job's TLS settings, the proxy's credentials from its URL) and with oauth2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scrapeHttp } from '../../src/common/http-config/http-get.js';
import { httpOptions } from '../../src/common/http-config/client-options.js';
import { parseConfig } from '../../src/config/index.js';
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
  const connectHeaders: (string | string[] | undefined)[] = [];
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
    connectHeaders.push(req.headers['x-tenant']);
    tunnel(req, client, head);
  });
  for (const s of [plain, secure, proxy]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of [plain, secure, proxy]) {
      s.close();
      s.closeAllConnections();
    }
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
  // no_proxy: straight to the target; proxy_connect_header: sent with CONNECT.
  await scrapeHttp({ url: new URL(`http://127.0.0.1:${port(plain)}/metrics`), timeoutMs: 5000, proxyUrl, noProxy: '127.0.0.0/8' });
  assert.equal(seen.length, 2, 'not through the proxy');
  await scrapeHttp({ url: new URL(`https://127.0.0.1:${port(secure)}/metrics`), timeoutMs: 5000, proxyUrl, proxyConnectHeader: { 'X-Tenant': 'a, b' }, tls: { caFile: join(dir, 'cert.pem'), serverName: 'target.test' } });
  assert.deepEqual(connectHeaders, [undefined, 'a, b']);
  seen.splice(2);
  // The target's certificate is still checked inside the tunnel.
  await assert.rejects(scrapeHttp({ url: new URL(`https://127.0.0.1:${port(secure)}/metrics`), timeoutMs: 5000, proxyUrl }), /self[- ]signed/i);
  // A proxy that is not there fails the scrape with Go's wording.
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = port(closed);
  closed.close();
  await assert.rejects(scrapeHttp({ url: new URL(`https://127.0.0.1:${port(secure)}/metrics`), timeoutMs: 5000, proxyUrl: `http://127.0.0.1:${deadPort}` }), /proxyconnect tcp: dial tcp 127\.0\.0\.1:\d+: connect: connection refused/);
});

test('oauth2: a client-credentials token fetched once, sent as Bearer, refreshed when expired', async (t) => {
  const tokenRequests: { auth: string | undefined; form: Record<string, string> }[] = [];
  let issued = 0;
  let refuseHeaderAuth = false;
  const tokens = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      tokenRequests.push({ auth: req.headers.authorization, form: Object.fromEntries(new URLSearchParams(body)) });
      if (refuseHeaderAuth && req.headers.authorization !== undefined) return void res.writeHead(401).end('{"error":"invalid_client"}');
      issued++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: `tok${issued}`, token_type: 'bearer', expires_in: issued === 1 ? 3600 : 5 }));
    });
  });
  const seenAuth: (string | undefined)[] = [];
  const target = http.createServer((req, res) => {
    seenAuth.push(req.headers.authorization);
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('m 1\n');
  });
  for (const s of [tokens, target]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of [tokens, target]) s.close();
  });
  const cfg = parseConfig(
    `scrape_configs:\n  - job_name: x\n    oauth2:\n      client_id: promethium\n      client_secret: s3cret\n      scopes: [metrics.read, extra]\n      token_url: http://127.0.0.1:${port(tokens)}/token\n      endpoint_params: {audience: monitoring}\n    static_configs:\n      - targets: ['127.0.0.1:${port(target)}']\n`,
    'p.yml',
  );
  const options = httpOptions(cfg.scrapeConfigs[0]!.http, 0);
  const url = new URL(`http://127.0.0.1:${port(target)}/metrics`);
  await scrapeHttp({ ...options, url, timeoutMs: 5000 });
  await scrapeHttp({ ...options, url, timeoutMs: 5000 });
  assert.deepEqual(seenAuth, ['Bearer tok1', 'Bearer tok1'], 'the token is reused while valid');
  assert.deepEqual(tokenRequests, [{ auth: `Basic ${Buffer.from('promethium:s3cret').toString('base64')}`, form: { grant_type: 'client_credentials', audience: 'monitoring', scope: 'metrics.read extra' } }]);

  // An endpoint that refuses HTTP basic auth gets the credentials as form fields (Go's auto-detection).
  refuseHeaderAuth = true;
  const fresh = httpOptions(cfg.scrapeConfigs[0]!.http, 0);
  await scrapeHttp({ ...fresh, url, timeoutMs: 5000 });
  assert.equal(seenAuth.at(-1), 'Bearer tok2');
  assert.deepEqual(tokenRequests.at(-1)!.form, { grant_type: 'client_credentials', audience: 'monitoring', scope: 'metrics.read extra', client_id: 'promethium', client_secret: 's3cret' });
  // tok2 expires within the 10 s margin: the next scrape fetches a new one.
  await scrapeHttp({ ...fresh, url, timeoutMs: 5000 });
  assert.equal(seenAuth.at(-1), 'Bearer tok3');

  // A token endpoint that fails fails the scrape with the reason.
  tokens.close();
  const broken = httpOptions(cfg.scrapeConfigs[0]!.http, 0);
  await assert.rejects(scrapeHttp({ ...broken, url, timeoutMs: 5000 }), /Get "http:\/\/127\.0\.0\.1:\d+\/metrics": .*fetch failed|ECONNREFUSED/);
});

test('oauth2 settings are validated', () => {
  const job = (o: string): string => `scrape_configs:\n  - job_name: x\n    oauth2:\n${o}`;
  assert.throws(() => parseConfig(job('      client_id: a\n'), 'p.yml'), /oauth2 token_url must be configured/);
  assert.throws(() => parseConfig(job('      client_id: a\n      client_secret: b\n      client_secret_file: c\n      token_url: http://t\n'), 'p.yml'), /at most one of oauth2 client_secret & client_secret_file must be configured/);
  assert.throws(() => parseConfig(`scrape_configs:\n  - job_name: x\n    basic_auth: {username: u}\n    oauth2: {client_id: a, token_url: 'http://t'}\n`, 'p.yml'), /at most one of basic_auth, oauth2 & authorization must be configured|at most one of basic_auth, oauth2, bearer_token/);
});

test('tls_config: an inline CA, and min_version refusing a server that cannot reach it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-scrape-tls-'));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=target.test', '-addext', 'subjectAltName=DNS:target.test,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  // A server that speaks TLS 1.2 at most.
  const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), maxVersion: 'TLSv1.2' }, (_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('x 1\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.close();
    server.closeAllConnections();
  });
  const url = new URL(`https://127.0.0.1:${port(server)}/metrics`);
  const ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const ok = await scrapeHttp({ url, timeoutMs: 5000, tls: { ca, minVersion: 'TLS12' } });
  assert.equal(ok.body.toString(), 'x 1\n');
  await assert.rejects(scrapeHttp({ url, timeoutMs: 5000, tls: { ca, minVersion: 'TLS13' } }), /version|protocol/i);
  // From a job's config: the inline CA and versions reach the request.
  const cfg = parseConfig(`scrape_configs:\n  - job_name: j\n    tls_config:\n      ca: |\n${ca.trim().split('\n').map((l) => `        ${l}`).join('\n')}\n      min_version: TLS13\n    static_configs: [{targets: ['x:1']}]\n`, 'prometheus.yml');
  const opts = httpOptions(cfg.scrapeConfigs[0]!.http, 0);
  assert.equal(opts.tls?.ca?.trim(), ca.trim());
  assert.equal(opts.tls?.minVersion, 'TLS13');
  assert.throws(() => parseConfig('scrape_configs:\n  - job_name: j\n    tls_config: {min_version: TLS14}\n', 'p.yml'), /unknown TLS version: TLS14/);
});

test('basic_auth credentials may come from files, username_file included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'basic-'));
  writeFileSync(join(dir, 'user'), 'alice\n');
  writeFileSync(join(dir, 'pass'), 'secret\n');
  const cfg = parseConfig('scrape_configs:\n  - job_name: x\n    basic_auth: {username_file: user, password_file: pass}\n', join(dir, 'p.yml'));
  assert.deepEqual(httpOptions(cfg.scrapeConfigs[0]!.http, 0).basicAuth, { username: 'alice', password: 'secret' });
});
