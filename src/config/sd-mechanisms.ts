// The service-discovery mechanisms of prometheus.yml's `<name>_sd_configs` sections (beyond
// static, file, DNS, HTTP and Kubernetes, which have their own config types) that discover
// targets in Promethium. The config loader warns at every load about the others: they are read
// and validated, and give no targets.
export const DISCOVERING_MECHANISMS: ReadonlySet<string> = new Set<string>(['aws', 'azure', 'consul', 'digitalocean', 'docker', 'dockerswarm', 'ec2', 'ecs', 'elasticache', 'eureka', 'gce', 'hetzner', 'ionos', 'kuma', 'lightsail', 'linode', 'marathon', 'msk', 'nerve', 'nomad', 'oci', 'openstack', 'outscale', 'ovhcloud', 'puppetdb', 'rds', 'scaleway', 'serverset', 'stackit', 'triton', 'uyuni', 'vultr']);

/**
 * What of a validated `<name>_sd_configs` entry gives no targets in Promethium, for the load-time
 * warning (`oci (auth instance_principal)`, or the mechanism), or undefined when it discovers.
 */
export function notDiscovering(c: { mechanism: string; settings: Record<string, unknown> }): string | undefined {
  if (c.mechanism === 'oci' && c.settings.auth !== 'api_key') return `oci (auth ${String(c.settings.auth)})`;
  return DISCOVERING_MECHANISMS.has(c.mechanism) ? undefined : c.mechanism;
}
