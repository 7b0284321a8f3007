// `promethium check web-config` gives promtool's verdict (Debian's promtool 2.42) on the same
// files, and says where and why a file is refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { main } from '../../src/cli/check-web-config.js';
import { parseWebConfig } from '../../src/web-config/config.js';
import { makePki, bcryptHash } from './pki.js';

const pki = makePki();
const tls = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';

const cases: { name: string; text: string; valid: boolean; reason?: RegExp }[] = [
  { name: 'tls', text: tls, valid: true },
  { name: 'mtls', text: `${tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`, valid: true },
  { name: 'tuned', text: `${tls}  min_version: TLS13\n  max_version: TLS13\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [X25519, CurveP256]\n  prefer_server_cipher_suites: false\nhttp_server_config:\n  http2: false\n  headers:\n    X-Content-Type-Options: nosniff\n    Content-Security-Policy: default-src 'self'\n`, valid: true },
  { name: 'auth-only', text: `basic_auth_users:\n  alice: ${bcryptHash('pw')}\n`, valid: true },
  { name: 'empty', text: '', valid: true },
  { name: 'unknown-key', text: `${tls}  cert_files: x\n`, valid: false, reason: /:4:3: field cert_files not found/ },
  { name: 'no-key', text: 'tls_server_config:\n  cert_file: server.crt\n', valid: false, reason: /missing one of key or key_file/ },
  { name: 'bad-auth-type', text: `${tls}  client_auth_type: Sometimes\n`, valid: false, reason: /invalid ClientAuth: Sometimes/ },
  { name: 'ca-without-policy', text: `${tls}  client_ca_file: ca.crt\n`, valid: false, reason: /client CA's have been configured without a Client Auth Policy/ },
  { name: 'bad-cipher', text: `${tls}  cipher_suites: [TLS_RC4_FOREVER]\n`, valid: false, reason: /:4:19: unknown cipher: TLS_RC4_FOREVER/ },
  { name: 'bad-curve', text: `${tls}  curve_preferences: [CurveP999]\n`, valid: false, reason: /unknown curve: CurveP999/ },
  { name: 'bad-version', text: `${tls}  min_version: TLS14\n`, valid: false, reason: /unknown TLS version: TLS14/ },
  { name: 'bad-header', text: 'http_server_config:\n  headers:\n    Server: promethium\n', valid: false, reason: /HTTP header "Server" can not be configured/ },
  { name: 'bad-header-value', text: 'http_server_config:\n  headers:\n    X-Frame-Options: always\n', valid: false, reason: /invalid value for X-Frame-Options/ },
  { name: 'not-bcrypt', text: 'basic_auth_users:\n  alice: plaintext\n', valid: false, reason: /:2:10: basic_auth_users: the password of user "alice" is not a bcrypt hash/ },
  { name: 'cost-too-low', text: `basic_auth_users:\n  alice: ${bcryptHash('pw').replace(/^\$2[a-z]\$04\$/, '$2y$03$')}\n`, valid: false, reason: /not a bcrypt hash/ },
  { name: 'minor-2a', text: `basic_auth_users:\n  alice: ${bcryptHash('pw').replace(/^\$2[a-z]\$/, '$2a$')}\n`, valid: true },
  { name: 'missing-cert', text: 'tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n', valid: false, reason: /failed to read cert_file \(.*nope\.crt\)/ },
  { name: 'mismatched-key', text: 'tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n', valid: false, reason: /failed to load X509KeyPair/ },
];

test('check web-config: the same verdicts as promtool check web-config, and the reason', async () => {
  for (const c of cases) {
    const file = pki.path(`check-${c.name}.yml`);
    writeFileSync(file, c.text);
    const theirs = spawnSync('promtool', ['check', 'web-config', file], { encoding: 'utf8' });
    const lines: string[] = [];
    const code = await main([file], (s) => lines.push(s));
    assert.equal(code, theirs.status, `${c.name}: ours ${lines.join('\n')} / promtool ${theirs.stderr}`);
    assert.equal(code === 0, c.valid, c.name);
    if (c.valid) assert.equal(lines[0], `${file} SUCCESS`);
    else assert.match(lines[0]!, c.reason!, c.name);
  }
});

test('parsed values: defaults as exporter-toolkit, Go names mapped to OpenSSL\'s, relative files from the config\'s directory', () => {
  const d = parseWebConfig(tls, '/etc/promethium/web.yml');
  assert.equal(d.tls?.minVersion, 'TLSv1.2');
  assert.equal(d.tls?.maxVersion, 'TLSv1.3');
  assert.equal(d.tls?.clientAuth, 'NoClientCert');
  assert.equal(d.tls?.certFile, '/etc/promethium/server.crt');
  assert.equal(d.http2, true);
  const t = parseWebConfig(`${tls}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256]\n  curve_preferences: [CurveP384, X25519]\n`, '/x/web.yml');
  assert.deepEqual(t.tls?.ciphers, ['ECDHE-RSA-AES256-GCM-SHA384']);
  assert.deepEqual(t.tls?.curves, ['P-384', 'X25519']);
  // User names are not prototype keys.
  const u = parseWebConfig(`basic_auth_users:\n  __proto__: ${bcryptHash('x')}\n`, '/x/web.yml');
  assert.equal(u.users.size, 1);
  assert.equal(u.users.has('constructor'), false);
  assert.equal(parseWebConfig('http_server_config: {http2: false}\n', '/x/w.yml').tls, undefined);
});

test('`promethium check web-config` through the command line; other checks still reach their command', () => {
  const cli = new URL('../helpers/cli.ts', import.meta.url).pathname;
  const good = pki.path('check-tls.yml');
  const bad = pki.path('check-no-key.yml');
  writeFileSync(good, tls);
  writeFileSync(bad, 'tls_server_config:\n  cert_file: server.crt\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'check', 'web-config', good, bad], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${good} SUCCESS`));
  assert.match(r.stderr, new RegExp(`${bad} FAILED: .*missing one of key or key_file`));
  const rules = pki.path('rules.yml');
  writeFileSync(rules, 'groups: []\n');
  const other = spawnSync(process.execPath, ['--import', 'tsx', cli, 'check', 'rules', rules], { encoding: 'utf8' });
  assert.equal(other.status, 0, other.stderr);
});
