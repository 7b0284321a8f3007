// Which proxy a request goes through: proxy_url (minus the no_proxy exceptions) or, with
// proxy_from_environment, HTTP_PROXY / HTTPS_PROXY and NO_PROXY as Go's http.ProxyFromEnvironment
// reads them (requests to localhost and loopback addresses are never proxied then).
import { BlockList, isIP } from 'node:net';

export interface ProxySettings {
  proxyUrl?: string;
  /** Comma-separated hosts, domains (`.example.com` or `example.com`: the domain and below), IPs, CIDRs, or `*`. */
  noProxy?: string;
  proxyFromEnvironment?: boolean;
}

function env(name: string): string | undefined {
  const v = process.env[name.toUpperCase()] ?? process.env[name.toLowerCase()];
  return v === undefined || v === '' ? undefined : v;
}

/** Whether `url`'s host is among the no_proxy entries. */
export function excludedByNoProxy(url: URL, noProxy: string | undefined): boolean {
  if (noProxy === undefined || noProxy.trim() === '') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      const [net, bits] = entry.split('/');
      const family = isIP(net!);
      if (family !== 0 && isIP(host) === family) {
        const list = new BlockList();
        list.addSubnet(net!, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
        if (list.check(host, family === 6 ? 'ipv6' : 'ipv4')) return true;
      }
      continue;
    }
    // host:port entries match that port only.
    const m = /^(.*):(\d+)$/.exec(entry);
    if (m && isIP(entry) !== 6) {
      if (m[2] !== port) continue;
      entry = m[1]!;
    }
    if (isIP(entry) !== 0) {
      if (entry === host) return true;
      continue;
    }
    const domain = entry.startsWith('.') ? entry.slice(1) : entry;
    if (host === domain || host.endsWith(`.${domain}`)) return true;
  }
  return false;
}

/** The proxy for a request to `url`, or undefined to go direct. */
export function proxyFor(url: URL, p: ProxySettings): string | undefined {
  if (p.proxyFromEnvironment === true) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost' || host === '::1' || host.startsWith('127.')) return undefined;
    const proxy = url.protocol === 'https:' ? env('HTTPS_PROXY') : env('HTTP_PROXY');
    if (proxy === undefined || excludedByNoProxy(url, env('NO_PROXY'))) return undefined;
    return proxy;
  }
  if (p.proxyUrl === undefined || excludedByNoProxy(url, p.noProxy)) return undefined;
  return p.proxyUrl;
}
