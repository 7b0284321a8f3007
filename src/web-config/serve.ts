// `--web.config.file` for a fastify server: the options that make fastify build its HTTP server
// from the web config (plain HTTP, HTTPS, or HTTP/2 with HTTP/1.1 fallback) with every request
// going through the gate (headers, rate limit, basic auth). The file is validated here, at start:
// a bad one stops the process with the reason instead of serving without the protection asked for.
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../util/logger.js';
import { GO_MAX_HEADER_BYTES } from '../util/http-limits.js';
import { readWebConfig, type WebConfig } from './config.js';
import { attachTlsSource, TlsSource } from './tls.js';
import { WebGate } from './gate.js';

export { webConfigFlag } from './flag.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface ServerTimeouts {
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  http2SessionTimeout?: number;
}

export interface WebServing {
  /** `https` when the web config turns TLS on. */
  scheme: 'http' | 'https';
  http2: boolean;
  /** Spread into `Fastify({...})`. Empty without a web config. */
  fastifyOptions: { serverFactory?: (handler: Handler, opts: ServerTimeouts) => http.Server };
  /** Call once on the fastify instance: closes HTTP/2 sessions when the server closes. */
  attach(app: FastifyInstance): void;
  /** The same for a server without fastify: closes the HTTP/2 sessions (call when closing the server). */
  closeSessions(): void;
  /** The server a plain `node:http` handler is served with (every request through the gate). */
  createServer(handler: Handler): http.Server;
  /** One line for the start-up log, as exporter-toolkit's "TLS is enabled/disabled." */
  describe(): string;
}

/** Validates the web config and returns how to serve with it; throws WebConfigError when it is bad. */
export function webServing(file: string, logger: Logger): WebServing {
  if (file === '') {
    return {
      scheme: 'http', http2: false, fastifyOptions: {}, attach: () => undefined, closeSessions: () => undefined,
      createServer: (handler) => http.createServer({ maxHeaderSize: GO_MAX_HEADER_BYTES }, handler), describe: () => 'TLS is disabled.',
    };
  }
  const config: WebConfig = readWebConfig(file);
  const tlsSource = config.tls !== undefined ? new TlsSource(file, config) : undefined;
  const gate = new WebGate(file, config, logger);
  const useHttp2 = tlsSource !== undefined && config.http2;
  const sessions = new Set<http2.Http2Session>();

  const gated = (handler: Handler): Handler => (req, res) => {
    gate.admit(req, res).then(
      (ok) => {
        if (ok) handler(req, res);
      },
      (e: unknown) => {
        logger.error('web config check failed', { err: e as Error });
        if (!res.headersSent) res.writeHead(500).end();
      },
    );
  };

  const serverFactory = (handler: Handler, opts: ServerTimeouts): http.Server => {
    const h = gated(handler);
    if (tlsSource === undefined) {
      const s = http.createServer({ maxHeaderSize: GO_MAX_HEADER_BYTES }, h);
      applyTimeouts(s, opts);
      return s;
    }
    const first = tlsSource.get();
    if (first instanceof Error) throw first;
    if (useHttp2) {
      const s = http2.createSecureServer({ ...first.options, allowHTTP1: true, requestCert: first.requestCert, rejectUnauthorized: first.rejectUnauthorized }, h as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
      s.on('session', (session: http2.Http2Session) => {
        sessions.add(session);
        session.once('close', () => sessions.delete(session));
        if (opts.http2SessionTimeout !== undefined && opts.http2SessionTimeout > 0) session.setTimeout(opts.http2SessionTimeout, () => session.close());
      });
      attachTlsSource(s, tlsSource, logger);
      if (opts.connectionTimeout !== undefined) s.setTimeout(opts.connectionTimeout);
      // fastify types its server as an http.Server; the compatibility API is what it uses.
      return s as unknown as http.Server;
    }
    const s = https.createServer({ ...first.options, maxHeaderSize: GO_MAX_HEADER_BYTES, requestCert: first.requestCert, rejectUnauthorized: first.rejectUnauthorized }, h);
    attachTlsSource(s, tlsSource, logger);
    applyTimeouts(s, opts);
    return s;
  };

  return {
    scheme: tlsSource !== undefined ? 'https' : 'http',
    http2: useHttp2,
    fastifyOptions: { serverFactory },
    attach: (app) => {
      app.addHook('preClose', async () => {
        for (const s of sessions) s.close();
      });
    },
    closeSessions: () => {
      for (const s of sessions) s.close();
    },
    createServer: (handler) => serverFactory(handler, {}),
    describe: () => (tlsSource !== undefined ? `TLS is enabled (http2=${useHttp2}).` : 'TLS is disabled.'),
  };
}

function applyTimeouts(s: http.Server, opts: ServerTimeouts): void {
  if (opts.keepAliveTimeout !== undefined) s.keepAliveTimeout = opts.keepAliveTimeout;
  if (opts.requestTimeout !== undefined) s.requestTimeout = opts.requestTimeout;
  if (opts.connectionTimeout !== undefined) s.setTimeout(opts.connectionTimeout);
}
