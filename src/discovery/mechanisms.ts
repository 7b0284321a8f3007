// The service-discovery mechanisms of prometheus.yml's `<name>_sd_configs` sections (beyond
// static, file, DNS, HTTP and Kubernetes, which have their own config types) that discover
// targets in Promethium. The config loader warns at every load about the others: they are read
// and validated, and give no targets.
export const DISCOVERING_MECHANISMS: ReadonlySet<string> = new Set<string>(['aws', 'azure', 'consul', 'digitalocean', 'docker', 'dockerswarm', 'ec2', 'ecs', 'elasticache', 'eureka', 'gce', 'hetzner', 'ionos', 'kuma', 'lightsail', 'linode', 'marathon', 'msk', 'nerve', 'nomad', 'oci', 'openstack', 'outscale', 'ovhcloud', 'puppetdb', 'rds', 'scaleway', 'serverset', 'stackit', 'triton', 'uyuni', 'vultr']);

/** The roles of aws_sd_configs that discover targets (the others are validated and give none). */
export const AWS_DISCOVERING_ROLES: ReadonlySet<string> = new Set(['ec2', 'ecs', 'elasticache', 'lightsail', 'msk', 'rds']);

/** Whether a validated `<name>_sd_configs` entry gives targets in Promethium. */
export function discoversTargets(c: { mechanism: string; settings: Record<string, unknown> }): boolean {
  if (c.mechanism === 'aws') return AWS_DISCOVERING_ROLES.has(String(c.settings.role));
  if (c.mechanism === 'oci') return c.settings.auth === 'api_key';
  return DISCOVERING_MECHANISMS.has(c.mechanism);
}
