// uyuni_sd_configs: the monitoring endpoints of the systems a Uyuni (or SUSE Manager) server
// manages with the configured entitlement, over its XML-RPC API, with `__meta_uyuni_*` labels.
import type { GenericSdConfig } from '../../config/index.js';
import type { TargetGroup } from '../target-group.js';
import { ApiClient } from '../refresh.js';
import type { Refresh } from '../refresh.js';
import { rpcCall } from './xmlrpc.js';
import type { RpcValue } from './xmlrpc.js';

const TOKEN_SECONDS = 600;

type Struct = Record<string, RpcValue>;
const list = (v: RpcValue): Struct[] => (Array.isArray(v) ? (v as Struct[]) : []);

export function uyuniTargets(groupsBySystem: Map<number, string[]>, endpoints: Struct[], networks: Map<number, Struct>, sep: string, source: string): TargetGroup[] {
  const P = '__meta_uyuni_';
  return endpoints.map((e, i) => {
    const id = Number(e.system_id);
    const net = networks.get(id) ?? {};
    const hostname = String(net.hostname ?? '');
    return {
      targets: [`${hostname}:${Number(e.port ?? 0)}`],
      labels: {
        [`${P}minion_hostname`]: hostname,
        [`${P}primary_fqdn`]: String(net.primary_fqdn ?? ''),
        [`${P}system_id`]: String(id),
        [`${P}groups`]: (groupsBySystem.get(id) ?? []).join(sep),
        [`${P}endpoint_name`]: String(e.endpoint_name ?? ''),
        [`${P}exporter`]: String(e.exporter_name ?? ''),
        [`${P}proxy_module`]: String(e.module ?? ''),
        [`${P}metrics_path`]: String(e.path ?? ''),
        [`${P}scheme`]: e.tls_enabled === true ? 'https' : 'http',
      },
      source: `${source}/${i}`,
    };
  });
}

export function uyuniRefresh(c: GenericSdConfig): Refresh {
  const s = c.settings as { server: string; username: string; password: string; entitlement: string; separator: string; refresh_interval: number };
  const api = new ApiClient(c.http!, Math.max(s.refresh_interval, 10_000));
  const url = `${s.server.replace(/\/$/, '')}/rpc/api`;
  let token = '';
  let tokenExpires = 0;
  return async (signal) => {
    if (Date.now() >= tokenExpires) {
      token = String(await rpcCall(api, url, 'auth.login', [s.username, s.password, TOKEN_SECONDS], signal));
      tokenExpires = Date.now() + (TOKEN_SECONDS * 1000) / 2;
    }
    try {
      const infos = list(await rpcCall(api, url, 'system.listSystemGroupsForSystemsWithEntitlement', [token, s.entitlement], signal));
      const groups = new Map(infos.map((x) => [Number(x.id), list(x.system_groups ?? []).map((g) => String(g.name ?? ''))]));
      const ids = [...groups.keys()];
      const endpoints = list(await rpcCall(api, url, 'system.monitoring.listEndpoints', [token, ids], signal));
      const networks = new Map(list(await rpcCall(api, url, 'system.getNetworkForSystems', [token, ids], signal)).map((n) => [Number(n.system_id), n]));
      return uyuniTargets(groups, endpoints, networks, s.separator, url);
    } catch (e) {
      tokenExpires = 0; // log in again next time, as Prometheus does after a failure
      throw e;
    }
  };
}
