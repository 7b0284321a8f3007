// What a scrape asks for: Prometheus's Accept header for the job's scrape_protocols. The GET itself
// (auth, TLS, proxy, timeout, gzip, Go's error wording) is common/http-config/http-get.ts, shared
// with HTTP service discovery.

export { SCRAPE_ACCEPT_HEADER } from '../common/http-config/http-get.js';

/** Prometheus 3's default scrape_protocols. */
export const DEFAULT_SCRAPE_PROTOCOLS: readonly string[] = ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'];

/** The default when native histograms are scraped: protobuf first, the only format that carries them. */
export const PROTO_FIRST_SCRAPE_PROTOCOLS: readonly string[] = ['PrometheusProto', 'OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'];

/** The media type of each scrape protocol (scrape_protocols, fallback_scrape_protocol). */
export const SCRAPE_PROTOCOL_TYPES: Record<string, string> = {
  PrometheusProto: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
};

/**
 * The Accept header for a job's scrape_protocols, as Prometheus builds it: each protocol with a
 * falling q-value, the escaping scheme on the formats that carry one, then anything.
 */
export function acceptHeader(protocols: readonly string[], escaping: string): string {
  const vals: string[] = [];
  let weight = 6;
  for (const p of protocols) {
    let v = SCRAPE_PROTOCOL_TYPES[p];
    if (v === undefined) continue;
    if (p === 'PrometheusText1.0.0' || p === 'OpenMetricsText1.0.0') v += `;escaping=${escaping}`;
    vals.push(`${v};q=0.${weight}`);
    weight--;
  }
  vals.push(`*/*;q=0.${weight}`);
  return vals.join(',');
}
