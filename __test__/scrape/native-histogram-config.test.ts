// prometheus.yml's native-histogram keys (global and per job) and the 2.x feature flag, as the scrape
// pools get them: which options the loops run with and which Accept header they send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.js';
import { scrapePools } from '../../src/server/scrape-pools.js';
import { Logger } from '../../src/util/logger.js';

const logger = new Logger({ level: 'error', write: () => undefined });
const PROTO = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

function pools(yaml: string, nativeHistogramsFlag = false) {
  const cfg = parseConfig(yaml, 'prometheus.yml');
  return scrapePools(cfg, '/', logger, { startTimestamps: false, exemplars: false, nativeHistograms: nativeHistogramsFlag }).map((p) => p.spec.options);
}

test('by default no native histograms and a text-first Accept header', () => {
  const [o] = pools('scrape_configs:\n  - job_name: a\n');
  assert.equal(o!.nativeHistograms, false);
  assert.ok(o!.http.accept!.startsWith('application/openmetrics-text;version=1.0.0'));
  assert.ok(o!.http.accept!.includes(PROTO) === false);
});

test('scrape_native_histograms (global, overridden per job) makes the default protocols protobuf-first', () => {
  const [a, b] = pools('global:\n  scrape_native_histograms: true\nscrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_native_histograms: false\n');
  assert.equal(a!.nativeHistograms, true);
  assert.ok(a!.http.accept!.startsWith(`${PROTO};q=0.6,application/openmetrics-text;version=1.0.0`), a!.http.accept);
  assert.equal(b!.nativeHistograms, false);
  assert.ok(!b!.http.accept!.includes(PROTO));
});

test('the native-histograms feature flag does the same unless the config decides', () => {
  const [a, b] = pools('scrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_native_histograms: false\n', true);
  assert.equal(a!.nativeHistograms, true);
  assert.ok(a!.http.accept!.startsWith(PROTO));
  assert.equal(b!.nativeHistograms, false);
});

test('explicit scrape_protocols are kept as given, native histograms or not', () => {
  const [a] = pools('global:\n  scrape_protocols: [PrometheusText0.0.4]\nscrape_configs:\n  - job_name: a\n    scrape_native_histograms: true\n');
  assert.equal(a!.http.accept, 'text/plain;version=0.0.4;q=0.6,*/*;q=0.5');
});

test('classic histogram, NHCB and bucket limit settings reach the loop', () => {
  const [a, b] = pools(
    'global:\n  always_scrape_classic_histograms: true\n  convert_classic_histograms_to_nhcb: true\nscrape_configs:\n  - job_name: a\n    native_histogram_bucket_limit: 160\n    native_histogram_min_bucket_factor: 1.1\n  - job_name: b\n    scrape_classic_histograms: false\n    convert_classic_histograms_to_nhcb: false\n',
  );
  assert.deepEqual([a!.alwaysScrapeClassicHistograms, a!.convertClassicHistogramsToNhcb, a!.nativeHistogramBucketLimit, a!.nativeHistogramMinBucketFactor], [true, true, 160, 1.1]);
  assert.deepEqual([b!.alwaysScrapeClassicHistograms, b!.convertClassicHistogramsToNhcb, b!.nativeHistogramBucketLimit], [false, false, 0]);
  assert.throws(() => parseConfig('scrape_configs:\n  - job_name: a\n    scrape_native_histograms: maybe\n', 'p.yml'), /p\.yml:3/);
});
