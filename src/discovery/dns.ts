// dns_sd_configs: targets from DNS records (SRV, A, AAAA, MX, NS), resolved again every
// refresh_interval, with Prometheus's meta labels. A name that fails to resolve keeps its last
// good targets and the error is logged.
import { promises as dns } from 'node:dns';
import type { DnsSdConfig } from '../config/index.js';
import type { TargetGroup } from './target-group.js';
import type { Logger } from '../util/logger.js';

export interface DnsSdOptions extends DnsSdConfig {
  /** Name servers to ask instead of the system's (tests). */
  servers?: string[];
}

interface DnsRecord {
  address: string;
  labels: Record<string, string>;
}

/** host:port, with brackets around IPv6 addresses. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** DNS names in labels are absolute, with the final dot, as on the wire. */
function rooted(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

export async function lookup(resolver: dns.Resolver, name: string, type: DnsSdConfig['type'], port: number): Promise<DnsRecord[]> {
  switch (type) {
    case 'SRV':
      return (await resolver.resolveSrv(name)).map((r) => ({
        address: hostPort(r.name.replace(/\.$/, ''), r.port),
        labels: { __meta_dns_srv_record_target: rooted(r.name), __meta_dns_srv_record_port: String(r.port) },
      }));
    case 'A':
      return (await resolver.resolve4(name)).map((ip) => ({ address: hostPort(ip, port), labels: {} }));
    case 'AAAA':
      return (await resolver.resolve6(name)).map((ip) => ({ address: hostPort(ip, port), labels: {} }));
    case 'MX':
      return (await resolver.resolveMx(name)).map((r) => ({ address: hostPort(r.exchange.replace(/\.$/, ''), port), labels: { __meta_dns_mx_record_target: rooted(r.exchange) } }));
    case 'NS':
      return (await resolver.resolveNs(name)).map((ns) => ({ address: hostPort(ns.replace(/\.$/, ''), port), labels: { __meta_dns_ns_record_target: rooted(ns) } }));
  }
}

export class DnsDiscovery {
  private readonly resolver = new dns.Resolver();
  private readonly lastGood = new Map<string, TargetGroup[]>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly options: DnsSdOptions,
    private readonly logger: Logger,
    private readonly onUpdate: (groups: TargetGroup[]) => void,
  ) {
    if (options.servers !== undefined) this.resolver.setServers(options.servers);
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.resolver.cancel();
  }

  /** Resolves every name now and reports the groups (one per record, its meta labels on the group). */
  async refresh(): Promise<void> {
    const o = this.options;
    await Promise.all(
      o.names.map(async (name) => {
        try {
          const records = await lookup(this.resolver, name, o.type, o.port);
          this.lastGood.set(
            name,
            records.map((r, i) => ({ targets: [r.address], labels: { __meta_dns_name: name, ...r.labels }, source: `${name}:${i}` })),
          );
        } catch (e) {
          if (this.stopped) return;
          const err = e as NodeJS.ErrnoException;
          this.logger.error('Error refreshing DNS targets', { component: 'discovery', discovery: 'dns', name, err: `${err.code ?? ''} ${err.message}`.trim() });
        }
      }),
    );
    if (!this.stopped) this.onUpdate(o.names.flatMap((n) => this.lastGood.get(n) ?? []));
  }
}
