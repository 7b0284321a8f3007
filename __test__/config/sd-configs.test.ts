// The service-discovery sections beyond static/file/DNS/HTTP/Kubernetes: read with their
// defaults and checks, the ones that give no targets reported at load, and secrets hidden from
// /api/v1/status/config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile, parseConfig, redactSecrets } from '../../src/config/index.js';
import { conformanceDir } from '../helpers/conformance.js';

const dir = conformanceDir('prometheus-config');

test('settings get Prometheus\'s defaults; relative credential files resolve against the config directory', () => {
  const c = parseConfig('scrape_configs:\n  - job_name: j\n    consul_sd_configs: [{}]\n    marathon_sd_configs: [{servers: ["http://m:8080"], auth_token_file: tok}]\n', '/etc/prometheus/p.yml');
  const [consul, marathon] = c.scrapeConfigs[0]!.otherSdConfigs;
  assert.deepEqual([consul!.mechanism, consul!.settings.server, consul!.settings.scheme, consul!.settings.allow_stale, consul!.settings.refresh_interval, consul!.settings.tag_separator], ['consul', 'localhost:8500', 'http', true, 30_000, ',']);
  assert.equal(marathon!.settings.auth_token_file, '/etc/prometheus/tok');
  assert.deepEqual(c.warnings, []);
});

test('what gives no targets is reported at every load, by job (conf.good.yml: nothing any more)', () => {
  const c = loadConfigFile(join(dir, 'conf.good.yml'));
  const silent = c.warnings.filter((w) => w.includes('_sd_configs:'));
  assert.deepEqual(silent, []);
  const partial = parseConfig('scrape_configs:\n  - job_name: j\n    aws_sd_configs: [{role: elasticache, region: eu-west-1}, {role: ec2, region: eu-west-1}]\n    oci_sd_configs: [{auth: instance_principal, region: r}]\n', 'p.yml');
  assert.deepEqual(partial.warnings, ['job "j": oci_sd_configs: discovery through oci (auth instance_principal) is not implemented by Promethium; it is validated and gives no targets']);
});

test('/api/v1/status/config shows <secret> for every secret, as Prometheus marshals them', () => {
  const shown = redactSecrets(readFileSync(join(dir, 'conf.good.yml'), 'utf8'));
  assert.equal((shown.match(/<secret>/g) ?? []).length, 29);
  assert.ok(!shown.includes('mysecret'));
  const small = redactSecrets('scrape_configs:\n  - job_name: j\n    basic_auth: {username: u, password: hunter2}\n    tls_config: {key: "-----BEGIN KEY-----", cert_file: c.pem}\n    proxy_url: http://user:pw@proxy:3128\n    http_headers: {X-Key: {secrets: [s1, s2], values: [v]}}\n');
  assert.match(small, /username: u/);
  assert.match(small, /password: <secret>/);
  assert.match(small, /key: "?<secret>"?/);
  assert.match(small, /cert_file: c\.pem/);
  assert.match(small, /proxy_url: http:\/\/user:xxxxx@proxy:3128/);
  assert.match(small, /secrets: \[ <secret>, <secret> \]|secrets:\s*\n\s*- <secret>/);
  assert.match(small, /values: \[ v \]|values:\s*\n\s*- v/);
  assert.ok(!small.includes('hunter2') && !small.includes('BEGIN KEY') && !small.includes('s1'));
});
