// remote_write in prometheus.yml: every key of Prometheus 3.x's section with its defaults and
// checks (errors name the key, at file:line:col). The queue that sends is in src/remote/.
import { createHash } from 'node:crypto';
import type { HttpClientConfig } from '../common/http-config/index.js';
import { readRelabelConfig, type RelabelConfig } from './relabel.js';
import type { Node, YamlFile } from './yaml-reader.js';

export type RemoteWriteProtobuf = 'prometheus.WriteRequest' | 'io.prometheus.write.v2.Request';

/** queue_config, Prometheus's defaults. */
export interface QueueConfig {
  capacity: number;
  minShards: number;
  maxShards: number;
  maxSamplesPerSend: number;
  batchSendDeadlineMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  retryOnHttp429: boolean;
  /** 0: no limit. */
  sampleAgeLimitMs: number;
}

export interface MetadataConfig {
  send: boolean;
  sendIntervalMs: number;
  maxSamplesPerSend: number;
}

export interface RemoteWriteConfig {
  url: string;
  /** `name`, or the first 6 hex digits of the config's hash when not given (as Prometheus names queues). */
  name: string;
  remoteTimeoutMs: number;
  headers: Record<string, string>;
  writeRelabelConfigs: RelabelConfig[];
  protobufMessage: RemoteWriteProtobuf;
  sendExemplars: boolean;
  sendNativeHistograms: boolean;
  roundRobinDns: boolean;
  queueConfig: QueueConfig;
  metadataConfig: MetadataConfig;
  http: HttpClientConfig;
  /** sha256 of the settings that decide what is sent where (url, name, relabeling, protocol): keys the queue's savepoint, so a reload that changes only tuning or credentials keeps it. */
  hash: string;
}

export const DEFAULT_QUEUE_CONFIG: QueueConfig = { capacity: 10_000, minShards: 1, maxShards: 50, maxSamplesPerSend: 2000, batchSendDeadlineMs: 5000, minBackoffMs: 30, maxBackoffMs: 5000, retryOnHttp429: false, sampleAgeLimitMs: 0 };
export const DEFAULT_METADATA_CONFIG: MetadataConfig = { send: true, sendIntervalMs: 60_000, maxSamplesPerSend: 2000 };

export const REMOTE_WRITE_KEYS = ['url', 'remote_timeout', 'headers', 'write_relabel_configs', 'name', 'send_exemplars', 'send_native_histograms', 'round_robin_dns', 'protobuf_message', 'queue_config', 'metadata_config', 'sigv4', 'azuread', 'google_iam'];

export interface RemoteWriteReaders {
  http(m: Map<string, Node>, where: Node): HttpClientConfig;
  headers(n: Node | undefined): Record<string, string>;
}

const NULL: Node = { kind: 'null', line: 0, col: 0 };

function queueConfig(y: YamlFile, n: Node | undefined): QueueConfig {
  const q = y.map(n ?? NULL, 'config.QueueConfig', ['capacity', 'max_shards', 'min_shards', 'max_samples_per_send', 'batch_send_deadline', 'min_backoff', 'max_backoff', 'retry_on_http_429', 'sample_age_limit']);
  const d = DEFAULT_QUEUE_CONFIG;
  const positive = (k: string, dflt: number): number => {
    const v = y.int(q.get(k), `queue_config.${k}`, dflt);
    if (v <= 0) y.fail(q.get(k), `remote write queue ${k} must be positive (queue_config.${k}: ${v})`);
    return v;
  };
  const c: QueueConfig = {
    capacity: positive('capacity', d.capacity),
    maxShards: positive('max_shards', d.maxShards),
    minShards: positive('min_shards', d.minShards),
    maxSamplesPerSend: positive('max_samples_per_send', d.maxSamplesPerSend),
    batchSendDeadlineMs: y.duration(q.get('batch_send_deadline'), 'queue_config.batch_send_deadline', d.batchSendDeadlineMs),
    minBackoffMs: y.duration(q.get('min_backoff'), 'queue_config.min_backoff', d.minBackoffMs),
    maxBackoffMs: y.duration(q.get('max_backoff'), 'queue_config.max_backoff', d.maxBackoffMs),
    retryOnHttp429: y.bool(q.get('retry_on_http_429'), 'queue_config.retry_on_http_429', d.retryOnHttp429),
    sampleAgeLimitMs: y.duration(q.get('sample_age_limit'), 'queue_config.sample_age_limit', d.sampleAgeLimitMs),
  };
  if (c.minShards > c.maxShards) y.fail(n, `remote write queue min_shards must not be greater than max_shards (queue_config.min_shards ${c.minShards} > max_shards ${c.maxShards})`);
  if (c.maxBackoffMs < c.minBackoffMs) y.fail(n, 'remote write queue max_backoff must not be less than min_backoff (queue_config.max_backoff, queue_config.min_backoff)');
  if (c.batchSendDeadlineMs <= 0) y.fail(q.get('batch_send_deadline'), 'remote write queue batch_send_deadline must be positive (queue_config.batch_send_deadline)');
  return c;
}

function metadataConfig(y: YamlFile, n: Node | undefined): MetadataConfig {
  const m = y.map(n ?? NULL, 'config.MetadataConfig', ['send', 'send_interval', 'max_samples_per_send']);
  const d = DEFAULT_METADATA_CONFIG;
  const c: MetadataConfig = { send: y.bool(m.get('send'), 'metadata_config.send', d.send), sendIntervalMs: y.duration(m.get('send_interval'), 'metadata_config.send_interval', d.sendIntervalMs), maxSamplesPerSend: y.int(m.get('max_samples_per_send'), 'metadata_config.max_samples_per_send', d.maxSamplesPerSend) };
  if (c.maxSamplesPerSend <= 0) y.fail(m.get('max_samples_per_send'), 'remote write metadata_config.max_samples_per_send must be positive');
  if (c.send && c.sendIntervalMs <= 0) y.fail(m.get('send_interval'), 'remote write metadata_config.send_interval must be positive');
  return c;
}

/** The `remote_write` list. */
export function readRemoteWriteConfigs(y: YamlFile, n: Node | undefined, readers: RemoteWriteReaders, httpFields: readonly string[]): RemoteWriteConfig[] {
  const names = new Set<string>();
  const hashes = new Set<string>();
  return y.seq(n, 'remote_write').map((r) => {
    if (r.kind === 'null') y.fail(r, 'empty or null remote write config section');
    const m = y.map(r, 'config.RemoteWriteConfig', [...REMOTE_WRITE_KEYS, ...httpFields]);
    const url = y.str(m.get('url'), 'url');
    if (url === '') y.fail(r, 'url for remote_write is empty');
    let name = y.str(m.get('name'), 'name');
    if (name !== '') {
      if (names.has(name)) y.fail(m.get('name'), `found multiple remote write configs with job name ${JSON.stringify(name)}`);
      names.add(name);
    }
    for (const k of ['sigv4', 'azuread', 'google_iam']) {
      const v = m.get(k);
      if (v !== undefined && v.kind !== 'null') y.fail(v, `remote_write ${k}: ${k === 'sigv4' ? 'AWS Signature Version 4 signing' : k === 'azuread' ? 'Azure AD authentication' : 'Google IAM authentication'} is not supported by Promethium; use basic_auth, authorization or oauth2`);
    }
    const msg = y.str(m.get('protobuf_message'), 'protobuf_message', 'prometheus.WriteRequest');
    if (msg !== 'prometheus.WriteRequest' && msg !== 'io.prometheus.write.v2.Request') y.fail(m.get('protobuf_message'), `invalid protobuf_message value: unknown type for remote write protobuf message ${msg}, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request`);
    const remoteTimeoutMs = y.duration(m.get('remote_timeout'), 'remote_timeout', 30_000);
    if (remoteTimeoutMs <= 0) y.fail(m.get('remote_timeout'), 'remote_write remote_timeout must be positive');
    const writeRelabelConfigs = y.seq(m.get('write_relabel_configs'), 'write_relabel_configs').map((x) => readRelabelConfig(y, x, 'relabeling rule in remote write config'));
    const queue = queueConfig(y, m.get('queue_config'));
    const metadata = metadataConfig(y, m.get('metadata_config'));
    const http = readers.http(m, r);
    const headers = readers.headers(m.get('headers'));
    const hash = createHash('sha256').update(JSON.stringify({ url, name, msg, writeRelabelConfigs })).digest('hex');
    if (hashes.has(hash)) y.fail(r, `duplicate remote write configs are not allowed, found duplicate for URL: ${url}`);
    hashes.add(hash);
    if (name === '') name = hash.slice(0, 6);
    return {
      url,
      name,
      remoteTimeoutMs,
      headers,
      writeRelabelConfigs,
      protobufMessage: msg,
      sendExemplars: y.bool(m.get('send_exemplars'), 'send_exemplars', false),
      sendNativeHistograms: y.bool(m.get('send_native_histograms'), 'send_native_histograms', false),
      roundRobinDns: y.bool(m.get('round_robin_dns'), 'round_robin_dns', false),
      queueConfig: queue,
      metadataConfig: metadata,
      http,
      hash,
    };
  });
}
