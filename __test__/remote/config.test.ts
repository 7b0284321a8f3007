// remote_write's keys, Prometheus's defaults, and errors that name the key and where it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.js';

const rw = (body: string) => parseConfig(`remote_write:\n  - url: http://rw.example:9201/api/v1/write\n${body}`, 'p.yml').remoteWrite;

test('defaults are Prometheus 3.x queue and metadata defaults', () => {
  const [c] = rw('');
  assert.ok(c);
  assert.equal(c.remoteTimeoutMs, 30_000);
  assert.equal(c.protobufMessage, 'prometheus.WriteRequest');
  assert.deepEqual(c.queueConfig, { capacity: 10000, minShards: 1, maxShards: 50, maxSamplesPerSend: 2000, batchSendDeadlineMs: 5000, minBackoffMs: 30, maxBackoffMs: 5000, retryOnHttp429: false, sampleAgeLimitMs: 0 });
  assert.deepEqual(c.metadataConfig, { send: true, sendIntervalMs: 60_000, maxSamplesPerSend: 2000 });
  assert.equal(parseConfig('remote_write:\n  - url: http://a/\n    queue_config: { retry_on_http_429: true }\n', 'p.yml').remoteWrite[0]!.queueConfig.retryOnHttp429, true);
  assert.equal(c.sendExemplars, false);
  assert.equal(c.sendNativeHistograms, false);
  assert.match(c.name, /^[0-9a-f]{6}$/, 'an unnamed queue is named by its hash, as Prometheus does');
  assert.equal(c.hash.slice(0, 6), c.name);
});

test('every key is read', () => {
  const [c] = rw(`    name: mimir
    remote_timeout: 10s
    headers: { X-Scope-OrgID: tenant-1 }
    protobuf_message: io.prometheus.write.v2.Request
    send_exemplars: true
    send_native_histograms: true
    round_robin_dns: true
    basic_auth: { username: u, password: p }
    follow_redirects: false
    proxy_url: http://proxy:3128
    tls_config: { insecure_skip_verify: true }
    write_relabel_configs:
      - source_labels: [__name__]
        regex: go_.*
        action: drop
    queue_config: { capacity: 500, min_shards: 2, max_shards: 4, max_samples_per_send: 100, batch_send_deadline: 1s, min_backoff: 10ms, max_backoff: 1s, retry_on_http_429: false, sample_age_limit: 5m }
    metadata_config: { send: false, send_interval: 30s, max_samples_per_send: 50 }
`);
  assert.ok(c);
  assert.equal(c.name, 'mimir');
  assert.equal(c.remoteTimeoutMs, 10_000);
  assert.equal(c.headers['X-Scope-OrgID'], 'tenant-1');
  assert.equal(c.protobufMessage, 'io.prometheus.write.v2.Request');
  assert.equal(c.sendExemplars && c.sendNativeHistograms && c.roundRobinDns, true);
  assert.equal(c.http.basicAuth?.username, 'u');
  assert.equal(c.http.followRedirects, false);
  assert.equal(c.http.proxyUrl, 'http://proxy:3128');
  assert.equal(c.http.tls.insecureSkipVerify, true);
  assert.equal(c.writeRelabelConfigs.length, 1);
  assert.deepEqual(c.queueConfig, { capacity: 500, minShards: 2, maxShards: 4, maxSamplesPerSend: 100, batchSendDeadlineMs: 1000, minBackoffMs: 10, maxBackoffMs: 1000, retryOnHttp429: false, sampleAgeLimitMs: 300_000 });
  assert.deepEqual(c.metadataConfig, { send: false, sendIntervalMs: 30_000, maxSamplesPerSend: 50 });
});

test('the savepoint hash follows what is sent where, not tuning or credentials', () => {
  const a = rw('    queue_config: { max_shards: 3 }\n')[0]!;
  const b = rw('    queue_config: { max_shards: 9 }\n    basic_auth: { username: x, password: y }\n')[0]!;
  const c = rw('    protobuf_message: io.prometheus.write.v2.Request\n')[0]!;
  assert.equal(a.hash, b.hash);
  assert.notEqual(a.hash, c.hash);
});

test('bad values are refused naming the key and its place', () => {
  const bad: [string, RegExp][] = [
    ['    sigv4: { region: eu-west-1 }\n', /p\.yml:3:\d+: remote_write sigv4: .*not supported/],
    ['    azuread: { cloud: AzurePublic }\n', /azuread: .*not supported/],
    ['    google_iam: { credentials_file: x }\n', /google_iam: .*not supported/],
    ['    queue_config: { max_shards: 0 }\n', /remote write queue max_shards must be positive \(queue_config\.max_shards: 0\)/],
    ['    queue_config: { min_shards: 5, max_shards: 2 }\n', /min_shards must not be greater than max_shards \(queue_config\.min_shards 5 > max_shards 2\)/],
    ['    queue_config: { min_backoff: 2s, max_backoff: 1s }\n', /max_backoff must not be less than min_backoff/],
    ['    queue_config: { capacity: many }\n', /queue_config\.capacity must be an integer/],
    ['    queue_config: { retry_on_http_429: maybe }\n', /queue_config\.retry_on_http_429 must be true or false/],
    ['    queue_config: { batch_send_deadline: soon }\n', /not a valid duration/],
    ['    queue_config: { bogus: 1 }\n', /field bogus not found in type config\.QueueConfig/],
    ['    metadata_config: { max_samples_per_send: -1 }\n', /metadata_config\.max_samples_per_send must be positive/],
    ['    protobuf_message: foo\n', /invalid protobuf_message value/],
    ['    remote_timeout: 0s\n', /remote_timeout must be positive/],
    ['    headers: { Content-Type: x }\n', /content-type is a reserved header/],
  ];
  for (const [body, re] of bad) assert.throws(() => rw(body), re, body);
  assert.throws(() => parseConfig('remote_write:\n  - url: http://a/\n  - url: http://a/\n', 'p.yml'), /duplicate remote write configs are not allowed/);
  assert.throws(() => parseConfig('remote_write:\n  - url: http://a/\n    name: q\n  - url: http://b/\n    name: q\n', 'p.yml'), /multiple remote write configs with job name "q"/);
});
