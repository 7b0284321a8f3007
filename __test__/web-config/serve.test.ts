// --web.config.file on a fastify server (the piece all three servers share): TLS with and without
// client certificates, basic auth, security headers, and re-reading the file without a restart.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import http from 'node:http';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { webServing } from '../../src/web-config/serve.js';
import { AuthBusyError, BasicAuthVerifier, basicCredentials } from '../../src/web-config/gate.js';
import { Logger } from '../../src/util/logger.js';
import { makePki, bcryptHash, type Pki } from './pki.js';

const logger = new Logger({ level: 'error' });
const pki: Pki = makePki();

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  alpn?: string | false | null;
  peerSerial?: string;
}

function get(url: string, o: { auth?: string; cert?: string; key?: string; ca?: string; alpn?: string[] } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, {
      ca: readFileSync(o.ca ?? pki.path('ca.crt')),
      ...(o.cert !== undefined ? { cert: readFileSync(o.cert), key: readFileSync(o.key!) } : {}),
      ...(o.auth !== undefined ? { headers: { authorization: `Basic ${Buffer.from(o.auth).toString('base64')}` } } : {}),
      agent: false,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      const socket = res.socket as import('node:tls').TLSSocket;
      const peerSerial = socket.getPeerCertificate().serialNumber;
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, alpn: socket.alpnProtocol, peerSerial }));
    });
    req.on('error', reject);
  });
}

async function serve(t: import('node:test').TestContext, configFile: string): Promise<{ app: FastifyInstance; url: string }> {
  const w = webServing(configFile, logger);
  const app = Fastify({ logger: false, ...w.fastifyOptions });
  w.attach(app);
  app.get('/hello', async () => 'hello\n');
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  const addr = app.server.address() as { port: number };
  return { app, url: `${w.scheme}://127.0.0.1:${addr.port}` };
}

function writeConfig(name: string, text: string): string {
  const file = pki.path(name);
  writeFileSync(file, text);
  return file;
}

test('HTTPS from the web config; HTTP/2 offered by default and off with http2: false', async (t) => {
  const on = await serve(t, writeConfig('tls.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n'));
  assert.match(on.url, /^https:/);
  const a = await get(`${on.url}/hello`);
  assert.equal(a.status, 200);
  assert.equal(a.body, 'hello\n');
  // An HTTP/2 client negotiates h2.
  const session = http2.connect(on.url, { ca: readFileSync(pki.path('ca.crt')) });
  t.after(() => session.close());
  const body = await new Promise<string>((resolve, reject) => {
    const s = session.request({ ':path': '/hello' });
    let b = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (b += d));
    s.on('end', () => resolve(b));
    s.on('error', reject);
  });
  assert.equal(body, 'hello\n');
  assert.equal(session.alpnProtocol, 'h2');
  const off = await serve(t, writeConfig('tls-h1.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nhttp_server_config:\n  http2: false\n'));
  const s2 = http2.connect(off.url, { ca: readFileSync(pki.path('ca.crt')) });
  await assert.rejects(new Promise((resolve, reject) => {
    s2.on('error', reject);
    s2.on('connect', resolve);
  }));
  s2.destroy();
});

test('client certificates: RequireAndVerifyClientCert refuses none and a stranger CA; VerifyClientCertIfGiven; RequireAnyClientCert; allowed SANs', async (t) => {
  const strict = await serve(t, writeConfig('mtls.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n'));
  assert.equal((await get(`${strict.url}/hello`, { cert: pki.path('client.crt'), key: pki.path('client.key') })).status, 200);
  await assert.rejects(get(`${strict.url}/hello`));
  await assert.rejects(get(`${strict.url}/hello`, { cert: pki.path('stranger-client.crt'), key: pki.path('stranger-client.key') }));

  const ifGiven = await serve(t, writeConfig('ifgiven.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n'));
  assert.equal((await get(`${ifGiven.url}/hello`)).status, 200);
  assert.equal((await get(`${ifGiven.url}/hello`, { cert: pki.path('client.crt'), key: pki.path('client.key') })).status, 200);
  await assert.rejects(get(`${ifGiven.url}/hello`, { cert: pki.path('stranger-client.crt'), key: pki.path('stranger-client.key') }));

  const any = await serve(t, writeConfig('any.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAnyClientCert\n'));
  assert.equal((await get(`${any.url}/hello`, { cert: pki.path('stranger-client.crt'), key: pki.path('stranger-client.key') })).status, 200);
  await assert.rejects(get(`${any.url}/hello`));

  const sans = await serve(t, writeConfig('sans.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [other.test]\n'));
  await assert.rejects(get(`${sans.url}/hello`, { cert: pki.path('client.crt'), key: pki.path('client.key') }));
  writeFileSync(pki.path('sans.yml'), 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [scraper.test]\n');
  assert.equal((await get(`${sans.url}/hello`, { cert: pki.path('client.crt'), key: pki.path('client.key') })).status, 200);
});

test('basic auth: right, wrong, missing and unknown user; security headers; password rotated without a restart', async (t) => {
  const file = writeConfig('auth.yml', `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=31536000\nbasic_auth_users:\n  alice: ${bcryptHash('first')}\n`);
  const { url } = await serve(t, file);
  const ok = await get(`${url}/hello`, { auth: 'alice:first' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['x-frame-options'], 'deny');
  assert.equal(ok.headers['strict-transport-security'], 'max-age=31536000');
  // Cached the second time; the answer is the same.
  assert.equal((await get(`${url}/hello`, { auth: 'alice:first' })).status, 200);
  for (const auth of ['alice:wrong', 'bob:first', undefined, 'alice']) {
    const r = await get(`${url}/hello`, auth === undefined ? {} : { auth });
    assert.equal(r.status, 401, String(auth));
    assert.equal(r.headers['www-authenticate'], 'Basic');
    assert.equal(r.body, 'Unauthorized\n');
  }
  // Unknown paths are behind the same door.
  assert.equal((await get(`${url}/nope`)).status, 401);
  writeFileSync(file, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: ${bcryptHash('second')}\n`);
  assert.equal((await get(`${url}/hello`, { auth: 'alice:first' })).status, 401);
  assert.equal((await get(`${url}/hello`, { auth: 'alice:second' })).status, 200);
  // A file broken while running: requests get 500, the process stays up; fixed, it serves again.
  writeFileSync(file, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users: [nope]\n');
  // The TLS handshake reads the file too, and refuses a broken one.
  await assert.rejects(get(`${url}/hello`, { auth: 'alice:second' }));
  writeFileSync(file, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: ${bcryptHash('second')}\n`);
  assert.equal((await get(`${url}/hello`, { auth: 'alice:second' })).status, 200);
});

test('basic auth without TLS, and a broken file answered 500 per request', async (t) => {
  const file = writeConfig('plain-auth.yml', `basic_auth_users:\n  alice: ${bcryptHash('pw')}\n`);
  const { url } = await serve(t, file);
  assert.match(url, /^http:/);
  const call = (auth?: string): Promise<number> => new Promise((resolve, reject) => {
    http.get(`${url}/hello`, { headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
  assert.equal(await call('alice:pw'), 200);
  assert.equal(await call(), 401);
  writeFileSync(file, 'basic_auth_users: [nope]\n');
  assert.equal(await call('alice:pw'), 500);
});

test('the certificate files are re-read for new connections (rotation without a restart)', async (t) => {
  copyFileSync(pki.path('server.crt'), pki.path('live.crt'));
  copyFileSync(pki.path('server.key'), pki.path('live.key'));
  const { url } = await serve(t, writeConfig('rotate.yml', 'tls_server_config:\n  cert_file: live.crt\n  key_file: live.key\n'));
  const serial = (file: string): string => new X509Certificate(readFileSync(file)).serialNumber;
  const before = await get(`${url}/hello`);
  assert.equal(before.peerSerial?.toUpperCase(), serial(pki.path('server.crt')).toUpperCase());
  copyFileSync(pki.path('server2.crt'), pki.path('live.crt'));
  copyFileSync(pki.path('server2.key'), pki.path('live.key'));
  const after = await get(`${url}/hello`);
  assert.equal(after.peerSerial?.toUpperCase(), serial(pki.path('server2.crt')).toUpperCase());
});

test('password checks queue one at a time, with a bound: past it a check is refused, not queued', async () => {
  const users = new Map([['alice', bcryptHash('pw')]]);
  const v = new BasicAuthVerifier(3);
  const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => v.check(users, 'alice', `wrong-${i}`)));
  const refused = outcomes.filter((o) => o.status === 'rejected');
  assert.ok(refused.length >= 2, JSON.stringify(outcomes.map((o) => o.status)));
  for (const o of refused) assert.ok((o as PromiseRejectedResult).reason instanceof AuthBusyError);
  for (const o of outcomes) if (o.status === 'fulfilled') assert.equal(o.value, false);
  // Afterwards checks work again, and a right password is accepted (then cached).
  assert.equal(await v.check(users, 'alice', 'pw'), true);
  assert.equal(await v.check(users, 'alice', 'pw'), true);
  assert.equal(await v.check(users, 'mallory', 'pw'), false);
});

test('Authorization header parsing as Go\'s BasicAuth', () => {
  const b = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.deepEqual(basicCredentials(b('a:b:c')), { user: 'a', password: 'b:c' });
  assert.deepEqual(basicCredentials(`basic ${Buffer.from('a:').toString('base64')}`), { user: 'a', password: '' });
  assert.equal(basicCredentials(b('nocolon')), undefined);
  assert.equal(basicCredentials('Bearer x'), undefined);
  assert.equal(basicCredentials('Basic !!!'), undefined);
  assert.equal(basicCredentials(undefined), undefined);
});

test('min_version, cipher_suites and curve_preferences reach the handshake (Go names mapped to OpenSSL\'s)', async (t) => {
  const handshake = (url: string, o: import('node:tls').ConnectionOptions): Promise<{ version: string | null; cipher: string; group: string | undefined }> => new Promise((resolve, reject) => {
    const u = new URL(url);
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca: readFileSync(pki.path('ca.crt')), ...o }, () => {
      resolve({ version: s.getProtocol(), cipher: s.getCipher().name, group: (s.getEphemeralKeyInfo() as { name?: string }).name });
      s.end();
    });
    s.on('error', reject);
  });
  const v13 = await serve(t, writeConfig('v13.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS13\n'));
  await assert.rejects(handshake(v13.url, { maxVersion: 'TLSv1.2' }));
  assert.equal((await handshake(v13.url, {})).version, 'TLSv1.3');
  const suites = await serve(t, writeConfig('suites.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n  curve_preferences: [CurveP384]\n'));
  const agreed = await handshake(suites.url, {});
  assert.equal(agreed.version, 'TLSv1.2');
  assert.equal(agreed.cipher, 'ECDHE-ECDSA-AES256-GCM-SHA384');
  // The key exchange uses the only preferred curve although the client would rather use X25519.
  assert.equal(agreed.group, 'secp384r1');
  await assert.rejects(handshake(suites.url, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
  await assert.rejects(handshake(suites.url, { ecdhCurve: 'X25519:P-256' }));
});

test('rate_limit: past the burst, 429 until a token comes back', async (t) => {
  const { url } = await serve(t, writeConfig('rate.yml', 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nrate_limit:\n  burst: 2\n  interval: 1h\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n'));
  assert.equal((await get(`${url}/hello`)).status, 200);
  assert.equal((await get(`${url}/hello`)).status, 200);
  const limited = await get(`${url}/hello`);
  assert.equal(limited.status, 429);
  assert.equal(limited.body, 'Too Many Requests\n');
});
