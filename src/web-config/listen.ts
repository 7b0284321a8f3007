// Listen addresses as Go reads them: `host:port`, `[v6]:port`, or `:port` for every interface.
// Go's `:port` is one dual-stack socket (IPv6 and IPv4); here that is `::`, falling back to
// `0.0.0.0` on a machine without IPv6.
import type { Server } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** The host part of a listen address: '' means every interface. */
export function splitListenAddress(a: string): { host: string; port: number } {
  const i = a.lastIndexOf(':');
  const host = i >= 0 ? a.slice(0, i).replace(/^\[|\]$/g, '') : '';
  return { host, port: Number(a.slice(i + 1)) };
}

/** Listens on `host` ('' for every interface); returns the host it got. */
export async function listenOn(app: FastifyInstance, host: string, port: number): Promise<string> {
  if (host !== '') {
    await app.listen({ host, port });
    return host;
  }
  try {
    await app.listen({ host: '::', port, ipv6Only: false });
    return '::';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw e;
    await app.listen({ host: '0.0.0.0', port });
    return '0.0.0.0';
  }
}

function listenOnce(server: Server, host: string, port: number, ipv6Only?: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen({ host, port, ...(ipv6Only === undefined ? {} : { ipv6Only }) }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** listenOn for a plain `node:http` server (no fastify): the same address rules. */
export async function listenServer(server: Server, host: string, port: number): Promise<string> {
  if (host !== '') {
    await listenOnce(server, host, port);
    return host;
  }
  try {
    await listenOnce(server, '::', port, false);
    return '::';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw e;
    await listenOnce(server, '0.0.0.0', port);
    return '0.0.0.0';
  }
}
