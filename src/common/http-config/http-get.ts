// One GET with a job's HTTP client settings (auth, TLS, proxy), timeout and gzip: the transport of
// scrapes and of HTTP service discovery (as prometheus/common's client serves both upstream).
// Error texts follow Prometheus's (Go's net/http) wording, because users search for them and the
// Targets page shows them: `Get "http://host:9100/metrics": dial tcp 127.0.0.1:9100: connect:
// connection refused`, `context deadline exceeded`, `server returned HTTP status 500 ...`.
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Socket } from 'node:net';
import { authorizationHeader } from './client-options.js';
import type { ClientRequestOptions } from './client-options.js';
import zlib from 'node:zlib';
import { readFileSync } from 'node:fs';
import { tlsVersion } from './dispatcher.js';
import { proxyFor } from './proxy.js';
import { ScrapeBodyBuffer } from './scrape-body-buffer.js';
import type { BodyReader } from './scrape-body-buffer.js';

export { ScrapeBodyBuffer } from './scrape-body-buffer.js';

/** The GET's Accept header unless the request names one: a scrape's, OpenMetrics preferred, then the text format. */
export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

export interface ScrapeRequest extends ClientRequestOptions {
  url: URL;
  timeoutMs: number;
  /** The Accept header (default: SCRAPE_ACCEPT_HEADER); scrapes build it with scrape/accept.ts's `acceptHeader`. */
  accept?: string;
  /** enable_compression: ask for gzip (default) or for the body as it is (`identity`). */
  compression?: boolean;
  /**
   * The target's receive memory and kept-alive connection (scrape-body-buffer.ts): the body
   * returned is then a view into that memory, valid until the target's next scrape reads a body.
   */
  bodyBuffer?: ScrapeBodyBuffer;
}

export interface ScrapeResponse {
  /** The body's bytes (gunzipped): text-format bodies go to the native scrape cache as they are. */
  body: Buffer;
  contentType: string;
}

export class ScrapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScrapeError';
  }
}

const MAX_REDIRECTS = 10;

export function scrapeHttp(req: ScrapeRequest, signal?: AbortSignal): Promise<ScrapeResponse> {
  return fetchOnce(req, req.url, 0, signal);
}

/** Proxy-Authorization for credentials in a proxy URL. */
function proxyAuth(proxy: URL): Record<string, string> {
  if (proxy.username === '' && proxy.password === '') return {};
  return { 'Proxy-Authorization': 'Basic ' + Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64') };
}

/** Opens a CONNECT tunnel through `proxy` to the target's host:port. */
function connectTunnel(proxy: URL, target: URL, timeoutMs: number, signal: AbortSignal | undefined, extraHeaders: Record<string, string> = {}): Promise<Socket> {
  const port = target.port !== '' ? target.port : target.protocol === 'https:' ? '443' : '80';
  const authority = `${target.hostname}:${port}`;
  return new Promise<Socket>((resolve, reject) => {
    const req = http.request({ host: proxy.hostname, port: proxy.port !== '' ? Number(proxy.port) : 80, method: 'CONNECT', path: authority, headers: { ...extraHeaders, Host: authority, ...proxyAuth(proxy) }, signal, timeout: timeoutMs });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new ScrapeError(`proxyconnect tcp: proxy answered ${res.statusCode ?? 0} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      resolve(socket);
    });
    req.on('timeout', () => req.destroy(new ScrapeError('proxyconnect tcp: context deadline exceeded')));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof ScrapeError ? e : new ScrapeError(`proxyconnect tcp: ${goNetError(e, proxy)}`)));
    req.end();
  });
}

async function fetchOnce(req: ScrapeRequest, url: URL, redirects: number, signal: AbortSignal | undefined): Promise<ScrapeResponse> {
  const prefix = `Get "${url.href}"`;
  let proxy: URL | undefined;
  const proxyText = proxyFor(url, req);
  if (proxyText !== undefined) {
    try {
      proxy = new URL(proxyText);
    } catch {
      throw new ScrapeError(`${prefix}: invalid proxy URL ${JSON.stringify(proxyText)}`);
    }
  }
  const started = Date.now();
  let oauthHeader: string | undefined;
  if (req.oauth2 !== undefined) {
    try {
      oauthHeader = await req.oauth2.authorization();
    } catch (e) {
      throw new ScrapeError(`${prefix}: ${(e as Error).message}`);
    }
  }
  let tunnel: Socket | undefined;
  if (proxy !== undefined && url.protocol === 'https:') {
    try {
      tunnel = await connectTunnel(proxy, url, req.timeoutMs, signal, req.proxyConnectHeader);
    } catch (e) {
      throw e instanceof ScrapeError ? new ScrapeError(`${prefix}: ${e.message}`) : e;
    }
  }
  const remainingMs = Math.max(1, req.timeoutMs - (Date.now() - started));
  const headers: Record<string, string> = {
    Accept: req.accept ?? SCRAPE_ACCEPT_HEADER,
    'Accept-Encoding': req.compression === false ? 'identity' : 'gzip',
    'User-Agent': req.userAgent ?? 'Promethium',
    'X-Prometheus-Scrape-Timeout-Seconds': (req.timeoutMs / 1000).toString(),
    ...req.headers,
  };
  const authorization = authorizationHeader(req) ?? oauthHeader;
  if (authorization !== undefined) headers.Authorization = authorization;
  const exchange = new Promise<ScrapeResponse>((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    let tlsOptions: https.RequestOptions = {};
    if (isHttps && req.tls !== undefined) {
      try {
        const t = req.tls;
        tlsOptions = {
          ca: t.ca ?? (t.caFile !== undefined ? readFileSync(t.caFile) : undefined),
          cert: t.cert ?? (t.certFile !== undefined ? readFileSync(t.certFile) : undefined),
          key: t.key ?? (t.keyFile !== undefined ? readFileSync(t.keyFile) : undefined),
          servername: t.serverName,
          rejectUnauthorized: t.insecureSkipVerify !== true,
          minVersion: tlsVersion(t.minVersion),
          maxVersion: tlsVersion(t.maxVersion),
        };
      } catch (e) {
        reject(new ScrapeError(`${prefix}: unable to load TLS files: ${(e as Error).message}`));
        return;
      }
    }
    const options: https.RequestOptions = { method: 'GET', headers, signal, ...tlsOptions };
    // Plain http straight to the target: its own kept-alive connection.
    if (!isHttps && proxy === undefined && req.bodyBuffer !== undefined) options.agent = req.bodyBuffer.agent;
    if (tunnel !== undefined) {
      // TLS to the target inside the proxy's tunnel.
      const socket = tunnel;
      options.agent = false;
      options.createConnection = () => tls.connect({ socket, servername: tlsOptions.servername ?? url.hostname, ca: tlsOptions.ca, cert: tlsOptions.cert, key: tlsOptions.key, rejectUnauthorized: tlsOptions.rejectUnauthorized ?? true, minVersion: tlsOptions.minVersion, maxVersion: tlsOptions.maxVersion });
    }
    /** The body being read, once the response came. */
    let reading: BodyReader | undefined;
    // One deadline for the whole exchange (connect, headers and body), as Prometheus's scrape context.
    const timer = setTimeout(() => request.destroy(new ScrapeError(`${prefix}: context deadline exceeded`)), remainingMs);
    const request =
      proxy !== undefined && !isHttps
        ? // Plain http through the proxy: the absolute URL as the request target.
          http.request({ ...options, host: proxy.hostname, port: proxy.port !== '' ? Number(proxy.port) : 80, path: url.href, headers: { ...headers, Host: url.host, ...proxyAuth(proxy) } }, (res) => onResponse(res))
        : (isHttps ? https : http).request(url, options, (res) => onResponse(res));
    const onResponse = (res: http.IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.resume();
        clearTimeout(timer);
        if (req.followRedirects === false) {
          reject(new ScrapeError(`server returned HTTP status ${status} ${res.statusMessage ?? ''}`.trim()));
          return;
        }
        if (redirects >= MAX_REDIRECTS) {
          reject(new ScrapeError(`${prefix}: stopped after ${MAX_REDIRECTS} redirects`));
          return;
        }
        fetchOnce(req, new URL(res.headers.location, url), redirects + 1, signal).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        clearTimeout(timer);
        reject(new ScrapeError(`server returned HTTP status ${status} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      const gzipped = (res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
      const stream = gzipped ? res.pipe(zlib.createGunzip()) : res;
      const length = Number(res.headers['content-length']);
      const limit = req.bodySizeLimit ?? 0;
      // Into the target's memory (scrape-body-buffer.ts), sized at once from Content-Length when not gzipped.
      const body = (reading = (req.bodyBuffer ?? new ScrapeBodyBuffer()).reader(!gzipped && Number.isSafeInteger(length) && (limit === 0 || length <= limit) ? length : undefined));
      // Whatever failed, the connection goes: it may hold the rest of a body nobody reads.
      const fail = (e: Error): void => {
        clearTimeout(timer);
        body.end();
        reject(e);
        request.destroy();
      };
      stream.on('data', (chunk: Buffer) => {
        if (limit > 0 && body.size + chunk.length > limit) {
          // Failed here: the request may be over already while gunzip still writes.
          fail(new ScrapeError(`body size limit exceeded: more than ${limit} bytes`));
          stream.destroy();
          return;
        }
        body.write(chunk);
      });
      stream.on('end', () => {
        clearTimeout(timer);
        resolve({ body: body.end(), contentType: String(res.headers['content-type'] ?? '') });
      });
      // A body cut short (the connection closed before Content-Length or the last chunk): Go's wording.
      res.on('aborted', () => fail(new ScrapeError(`${prefix}: unexpected EOF`)));
      stream.on('error', (e: Error) => fail(e instanceof ScrapeError ? e : new ScrapeError(`${prefix}: ${gzipped ? 'gzip: ' : ''}${e.message}`)));
    };
    request.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reading?.end();
      // A kept-alive connection the target closed while idle (the request found out on sending):
      // the scrape goes on over a new one, as Go's transport retries such a request.
      if (request.reusedSocket && reading === undefined && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
        fetchOnce(req, url, redirects, signal).then(resolve, reject);
        return;
      }
      reject(e instanceof ScrapeError ? e : new ScrapeError(`${prefix}: ${goNetError(e, url)}`));
    });
    request.end();
  });
  // A tunnel serves one exchange: closed when it is over, whatever the outcome (a failed TLS
  // handshake inside it would otherwise leave the proxy connection open).
  return tunnel === undefined ? exchange : exchange.finally(() => tunnel.destroy());
}

/** Go's wording for the common network failures. */
function goNetError(e: NodeJS.ErrnoException, url: URL): string {
  const errno = e as NodeJS.ErrnoException & { address?: string; port?: number };
  const addr = errno.address !== undefined ? `${errno.address.includes(':') ? `[${errno.address}]` : errno.address}:${errno.port ?? url.port}` : url.host;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'ECONNRESET':
      return 'read: connection reset by peer';
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ABORT_ERR':
      return 'context canceled';
    default:
      return e.message;
  }
}
