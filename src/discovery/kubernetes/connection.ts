// How discovery reaches the Kubernetes API server, chosen as Prometheus chooses: a kubeconfig file
// (its current context), `api_server` with the job's HTTP client settings, or the in-cluster
// service account (KUBERNETES_SERVICE_HOST/PORT, its token and CA).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Dispatcher } from 'undici';
import type { KubernetesSdConfig } from '../../config/index.js';
import { httpOptions, requestHeaders, userAgent } from '../../common/http-config/client-options.js';
import { httpDispatcher, makeDispatcher } from '../../common/http-config/dispatcher.js';
import { undici } from '../../util/undici.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConnection {
  /** The API server's base URL (a path prefix is kept). */
  base: URL;
  /** Request headers with current credentials (tokens are read again each time: they rotate). */
  headers(): Promise<Record<string, string>>;
  dispatcher: Dispatcher | undefined;
  /** The pod's own namespace (in-cluster only), for `namespaces.own_namespace`. */
  ownNamespace?: string;
}

/** The in-cluster connection; throws as client-go does when not running in a pod. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR, withOwnNamespace = false): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  const tokenFile = join(dir, 'token');
  readFileSync(tokenFile); // fail now, with the path, if there is no token
  const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  const conn: KubeConnection = {
    base: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    headers: () => Promise.resolve({ Authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`, 'User-Agent': userAgent() }),
    dispatcher: makeDispatcher({ ca }, undefined),
  };
  if (withOwnNamespace) {
    let ns: string;
    try {
      ns = readFileSync(join(dir, 'namespace'), 'utf8');
    } catch (e) {
      throw new Error(`could not determine the pod's namespace: ${(e as Error).message}`);
    }
    if (ns.length === 0) throw new Error('could not read own namespace name (empty file)');
    conn.ownNamespace = ns;
  }
  return conn;
}

interface KubeconfigDoc {
  'current-context'?: string;
  clusters?: { name?: string; cluster?: Record<string, unknown> }[];
  users?: { name?: string; user?: Record<string, unknown> }[];
  contexts?: { name?: string; context?: { cluster?: string; user?: string } }[];
}

/** A connection from a kubeconfig file's current context (token, client certificate or basic auth; exec and auth-provider plugins are not supported). */
export function kubeconfigConnection(file: string): KubeConnection {
  const text = readFileSync(file, 'utf8');
  const doc = (parseYaml(text) ?? {}) as KubeconfigDoc;
  const ctxName = doc['current-context'];
  if (!ctxName) throw new Error(`${file}: invalid configuration: no current-context is set`);
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (ctx === undefined) throw new Error(`${file}: invalid configuration: context "${ctxName}" not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (cluster === undefined) throw new Error(`${file}: invalid configuration: cluster "${ctx.cluster ?? ''}" of context "${ctxName}" not found`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const str = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
  const rel = (p: string): string => (isAbsolute(p) ? p : join(dirname(file), p));
  // PEM material inline (`*-data`, base64) or from a file relative to the kubeconfig.
  const pem = (o: Record<string, unknown>, key: string): string | undefined => {
    const data = str(o, `${key}-data`);
    if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
    const f = str(o, key);
    return f !== undefined ? readFileSync(rel(f), 'utf8') : undefined;
  };
  if (user.exec !== undefined || user['auth-provider'] !== undefined) throw new Error(`${file}: user "${ctx.user ?? ''}": exec and auth-provider credential plugins are not supported by Promethium; use a token, a client certificate or basic auth`);
  const server = str(cluster, 'server');
  if (server === undefined) throw new Error(`${file}: invalid configuration: no server found for cluster "${ctx.cluster ?? ''}"`);
  const ca = pem(cluster, 'certificate-authority');
  const cert = pem(user, 'client-certificate');
  const key = pem(user, 'client-key');
  const serverName = str(cluster, 'tls-server-name');
  const insecure = cluster['insecure-skip-tls-verify'] === true;
  const custom = ca !== undefined || cert !== undefined || key !== undefined || serverName !== undefined || insecure;
  const proxyUrl = str(cluster, 'proxy-url');
  const token = str(user, 'token');
  const tokenFile = str(user, 'tokenFile');
  const username = str(user, 'username');
  const password = str(user, 'password');
  return {
    base: new URL(server),
    headers: () => {
      const h: Record<string, string> = { 'User-Agent': userAgent() };
      if (token !== undefined) h.Authorization = `Bearer ${token}`;
      else if (tokenFile !== undefined) h.Authorization = `Bearer ${readFileSync(rel(tokenFile), 'utf8').trim()}`;
      else if (username !== undefined) h.Authorization = 'Basic ' + Buffer.from(`${username}:${password ?? ''}`).toString('base64');
      return Promise.resolve(h);
    },
    dispatcher: makeDispatcher(custom ? { ca, cert, key, serverName, insecureSkipVerify: insecure } : undefined, proxyUrl),
  };
}

/** A connection to `api_server` with the job's HTTP client settings (auth, TLS, proxy, headers). */
export function apiServerConnection(c: KubernetesSdConfig & { apiServer: string }): KubeConnection {
  const o = httpOptions(c.http, 0);
  return {
    base: new URL(c.apiServer),
    headers: () => requestHeaders(o),
    dispatcher: httpDispatcher(c.http),
  };
}

/** The connection a kubernetes_sd_configs entry asks for; throws with the reason it cannot be made. */
export function connectionFor(c: KubernetesSdConfig): KubeConnection {
  if (c.kubeconfigFile !== undefined) return kubeconfigConnection(c.kubeconfigFile);
  if (c.apiServer !== undefined) return apiServerConnection({ ...c, apiServer: c.apiServer });
  return inClusterConnection(process.env, SERVICE_ACCOUNT_DIR, c.namespaces.ownNamespace);
}

/** GET on the API server; the body is left to the caller (a JSON document or a watch stream). */
export async function kubeGet(conn: KubeConnection, path: string, query: Record<string, string>, signal: AbortSignal, bodyTimeoutMs: number): Promise<Dispatcher.ResponseData> {
  const url = new URL(conn.base.href.replace(/\/$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== '') url.searchParams.set(k, v);
  return undici().request(url, { method: 'GET', headers: { Accept: 'application/json', ...(await conn.headers()) }, dispatcher: conn.dispatcher, signal, bodyTimeout: bodyTimeoutMs, headersTimeout: 60_000 });
}
