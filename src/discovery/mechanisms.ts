// The service-discovery mechanisms of prometheus.yml's `<name>_sd_configs` sections (beyond
// static, file, DNS, HTTP and Kubernetes, which have their own config types) that discover
// targets in Promethium. The config loader warns at every load about the others: they are read
// and validated, and give no targets.
export const DISCOVERING_MECHANISMS: ReadonlySet<string> = new Set<string>(['azure', 'consul', 'digitalocean', 'docker', 'dockerswarm', 'ec2', 'eureka', 'hetzner', 'lightsail', 'linode', 'marathon', 'nomad', 'openstack', 'puppetdb', 'triton', 'uyuni', 'vultr']);
