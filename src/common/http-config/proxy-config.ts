// The proxy part of an HTTP client config (proxy_url, no_proxy, proxy_from_environment,
// proxy_connect_header), read and checked as Prometheus's common config does it, for
// prometheus.yml and alertmanager.yml alike.
import type { ConfigNode as Node, ConfigReader as YamlFile } from './yaml.js';
import type { ProxyConfig } from './types.js';


export function readProxyConfig(y: YamlFile, m: Map<string, Node>): ProxyConfig {
  const proxyUrl = y.str(m.get('proxy_url'), 'proxy_url') || undefined;
  const noProxy = y.str(m.get('no_proxy'), 'no_proxy') || undefined;
  const proxyFromEnvironment = y.bool(m.get('proxy_from_environment'), 'proxy_from_environment', false);
  const proxyConnectHeader: Record<string, string[]> = {};
  const pch = m.get('proxy_connect_header');
  if (pch && pch.kind === 'map') for (const e of pch.entries!) proxyConnectHeader[e.key] = y.strings(e.value, e.key);
  // Prometheus's checks (common/config ProxyConfig.Validate), in its order.
  if (Object.keys(proxyConnectHeader).length > 0 && !proxyFromEnvironment && proxyUrl === undefined) y.fail(pch!, 'if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured');
  if (proxyFromEnvironment && proxyUrl !== undefined) y.fail(m.get('proxy_from_environment')!, 'if proxy_from_environment is configured, proxy_url must not be configured');
  if (proxyFromEnvironment && noProxy !== undefined) y.fail(m.get('no_proxy')!, 'if proxy_from_environment is configured, no_proxy must not be configured');
  if (proxyUrl === undefined && noProxy !== undefined) y.fail(m.get('no_proxy')!, 'if no_proxy is configured, proxy_url must also be configured');
  return { ...(proxyUrl !== undefined ? { proxyUrl } : {}), ...(noProxy !== undefined ? { noProxy } : {}), proxyFromEnvironment, proxyConnectHeader };
}
