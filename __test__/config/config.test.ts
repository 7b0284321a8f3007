import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, relabel, ConfigError } from '../../src/config/index.js';
import type { RelabelConfig } from '../../src/config/index.js';

test('defaults as Prometheus has them', () => {
  const c = parseConfig('scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ["localhost:9100"]\n', '/etc/prom/prometheus.yml');
  assert.equal(c.global.scrapeIntervalMs, 60_000);
  assert.equal(c.global.scrapeTimeoutMs, 10_000);
  assert.equal(c.global.evaluationIntervalMs, 60_000);
  const j = c.scrapeConfigs[0]!;
  assert.deepEqual([j.metricsPath, j.scheme, j.honorLabels, j.honorTimestamps, j.scrapeIntervalMs, j.scrapeTimeoutMs], ['/metrics', 'http', false, true, 60_000, 10_000]);
  assert.deepEqual(j.staticConfigs, [{ targets: ['localhost:9100'], labels: {} }]);
});

test('a job interval below the global timeout lowers the timeout', () => {
  const c = parseConfig('global:\n  scrape_timeout: 15s\n  scrape_interval: 30s\nscrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n', 'p.yml');
  assert.equal(c.scrapeConfigs[0]!.scrapeTimeoutMs, 5_000);
  assert.throws(() => parseConfig('scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 6s\n', 'p.yml'), /scrape timeout greater than scrape interval for scrape config with job name "a"/);
});

test('errors name file, line and column', () => {
  assert.throws(
    () => parseConfig('global:\n  scrape_interval: 15s\n  bogus: 1\n', 'prometheus.yml'),
    (e: unknown) => e instanceof ConfigError && e.message === 'prometheus.yml:3:3: field bogus not found in type config.plain',
  );
  assert.throws(() => parseConfig('scrape_configs:\n  - job_name: a\n  - job_name: a\n', 'p.yml'), /found multiple scrape configs with job name "a"/);
  assert.throws(() => parseConfig('global:\n  scrape_interval: 1x\n', 'p.yml'), /p\.yml:2:20: not a valid duration string: "1x"/);
  assert.throws(() => parseConfig('scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs:\n      - role: vacation\n', 'p.yml'), /p\.yml:4:15: unknown Kubernetes SD role "vacation"/);
  assert.throws(() => parseConfig('scrape_configs:\n  - job_name: a\n    consul_sd_configs:\n      - servr: x\n', 'p.yml'), /p\.yml:4:9: field servr not found in type consul\.plain/);
  assert.throws(() => parseConfig('a: [1\n', 'p.yml'), /^ConfigError: p\.yml:\d+:\d+: /);
});

test('external labels expand the environment', () => {
  process.env['PROMETHIUM_TEST_ENV'] = 'xyz';
  const c = parseConfig('global:\n  external_labels:\n    a: ${PROMETHIUM_TEST_ENV}\n    b: pre$PROMETHIUM_TEST_ENV\n    c: cost$$5\n    d: ${PROMETHIUM_UNSET_VAR}\n', 'p.yml');
  assert.deepEqual(c.global.externalLabels, { a: 'xyz', b: 'prexyz', c: 'cost$5' });
});

test('rule files resolve against the config directory', () => {
  const c = parseConfig('rule_files:\n  - rules/*.yml\n  - /abs/r.yml\n', '/etc/prom/prometheus.yml');
  assert.deepEqual(c.ruleFiles, ['/etc/prom/rules/*.yml', '/abs/r.yml']);
  assert.throws(() => parseConfig('rule_files:\n  - a/*/b.yml\n', 'p.yml'), /invalid rule file path/);
});

function rules(yaml: string): RelabelConfig[] {
  return parseConfig(`scrape_configs:\n  - job_name: a\n    relabel_configs:\n${yaml}`, 'p.yml').scrapeConfigs[0]!.relabelConfigs;
}

test('relabeling: every action', () => {
  const l = { __address__: 'host:9100', __meta_env: 'Prod', job: 'node', instance: 'host:9100' };
  // Relabeled sets have no prototype (label names are user input): compared by their entries.
  assert.deepEqual({ ...relabel(l, rules('      - source_labels: [__address__]\n        regex: "([^:]+):.*"\n        target_label: host\n        replacement: "${1}"\n')) }, { ...l, host: 'host' });
  assert.equal(relabel(l, rules('      - source_labels: [job]\n        regex: node\n        action: drop\n')), null);
  assert.equal(relabel(l, rules('      - source_labels: [job]\n        regex: other\n        action: keep\n')), null);
  assert.deepEqual(relabel(l, rules('      - source_labels: [__meta_env]\n        target_label: env\n        action: lowercase\n'))!['env'], 'prod');
  assert.deepEqual(relabel(l, rules('      - source_labels: [__meta_env]\n        target_label: env\n        action: uppercase\n'))!['env'], 'PROD');
  assert.deepEqual(relabel(l, rules('      - regex: "__meta_(.+)"\n        action: labelmap\n'))!['env'], 'Prod');
  assert.deepEqual(Object.keys(relabel(l, rules('      - regex: "__meta_.*"\n        action: labeldrop\n'))!), ['__address__', 'job', 'instance']);
  assert.deepEqual(Object.keys(relabel(l, rules('      - regex: "job|instance"\n        action: labelkeep\n'))!), ['job', 'instance']);
  assert.equal(relabel(l, rules('      - source_labels: [__address__]\n        target_label: instance\n        action: dropequal\n')), null);
  assert.deepEqual({ ...relabel(l, rules('      - source_labels: [__address__]\n        target_label: instance\n        action: keepequal\n')) }, l);
  // hashmod: MD5 of the value, its last 8 bytes as an unsigned integer, modulo the modulus.
  const shard = relabel(l, rules('      - source_labels: [__address__]\n        target_label: shard\n        modulus: 8\n        action: hashmod\n'))!['shard'];
  assert.match(shard!, /^[0-7]$/);
  // An empty replacement result removes the label.
  assert.equal(relabel(l, rules('      - source_labels: [nope]\n        target_label: job\n        replacement: ""\n'))!['job'], undefined);
});

test('relabel validation messages', () => {
  assert.throws(() => rules('      - action: hashmod\n        target_label: x\n'), /relabel configuration for hashmod requires non-zero modulus/);
  assert.throws(() => rules('      - action: labeldrop\n        regex: a\n        target_label: x\n'), /labeldrop action requires only 'regex', and no other fields/);
  assert.throws(() => rules('      - source_labels: [a]\n'), /relabel configuration for replace action requires 'target_label' value/);
  assert.throws(() => rules('      - action: nonsense\n'), /unknown relabel action "nonsense"/);
  assert.throws(() => rules('      - regex: "(?<!x)"\n        target_label: a\n'), /error parsing regexp/);
});

test('settings accepted but not acted on are listed as warnings; alert signing is refused', () => {
  const cfg = parseConfig('remote_write:\n  - url: http://rw:9201/write\ntracing:\n  endpoint: otel:4317\nruntime:\n  gogc: 50\n', 'prometheus.yml');
  // remote_write is sent (src/remote/): no warning any more.
  assert.equal(cfg.warnings.length, 2);
  assert.match(cfg.warnings.join('\n'), /tracing: .*not supported/);
  assert.doesNotMatch(cfg.warnings.join('\n'), /remote_write/);
  assert.match(cfg.warnings.join('\n'), /runtime\.gogc/);
  assert.deepEqual(parseConfig('global: {}\n', 'prometheus.yml').warnings, []);
  assert.throws(() => parseConfig("alerting:\n  alertmanagers:\n    - sigv4: {region: us-east-1}\n      static_configs: [{targets: ['am:9093']}]\n", 'p.yml'), /p\.yml:3:\d+: .*sigv4: AWS Signature Version 4 signing of alerts is not supported/);
});
