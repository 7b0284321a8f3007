// --web.external-url and --web.route-prefix as Prometheus and the Alertmanager read them: the
// external URL defaults to this host and port (https when the web config turns TLS on), and the
// route prefix defaults to the external URL's path. The prefix comes back without a trailing
// slash: '' when everything is served at the root.
import os from 'node:os';

export function externalUrlAndPrefix(externalFlag: string | undefined, prefixFlag: string | undefined, host: string, port: number, scheme: 'http' | 'https'): { externalUrl: string; routePrefix: string } {
  const raw = externalFlag ?? `${scheme}://${host === '0.0.0.0' || host === '' || host === '::' ? os.hostname() : host.includes(':') ? `[${host}]` : host}:${port}`;
  if (/^["']|["']$/.test(raw)) throw new Error(`--web.external-url: URL must not begin or end with quotes: ${raw}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--web.external-url: not a valid URL: ${JSON.stringify(raw)}`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  const externalUrl = `${url.protocol}//${url.host}${path}`;
  const prefix = (prefixFlag ?? path).replace(/^\/+|\/+$/g, '');
  return { externalUrl, routePrefix: prefix === '' ? '' : `/${prefix}` };
}
