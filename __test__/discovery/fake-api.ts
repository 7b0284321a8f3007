// A local HTTP server answering JSON by path, recording each request: the stand-in for the APIs
// service-discovery mechanisms ask (Consul, Docker, Nomad, ...).
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface FakeApi {
  base: string;
  requests: { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: string }[];
  /** Answers by path (`GET /v1/x` or just `/v1/x`): JSON, XML for a string starting with `<`, an empty answer for `{ __status }`; a function gets the request's query and body. */
  routes: Map<string, unknown>;
  /** Extra response headers by path. */
  responseHeaders: Map<string, Record<string, string>>;
}

/** Listens on 127.0.0.1 (port 0), or on a unix socket when `socketPath` is given (then `base` is `unix://<path>`). */
export async function fakeApi(t: TestContext, socketPath?: string): Promise<FakeApi> {
  const api: FakeApi = { base: '', requests: [], routes: new Map(), responseHeaders: new Map() };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      api.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body });
      let answer = api.routes.get(`${req.method ?? 'GET'} ${url.pathname}`) ?? api.routes.get(url.pathname);
      if (typeof answer === 'function') answer = (answer as (q: URLSearchParams, body: string) => unknown)(url.searchParams, body);
      if (answer === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end(`no route for ${url.pathname}`);
        return;
      }
      if (typeof answer === 'object' && answer !== null && '__status' in answer) {
        res.writeHead((answer as { __status: number }).__status);
        res.end();
        return;
      }
      const xml = typeof answer === 'string' && answer.startsWith('<');
      res.writeHead(200, { 'Content-Type': xml ? 'application/xml' : 'application/json', ...api.responseHeaders.get(url.pathname) });
      res.end(xml ? answer : JSON.stringify(answer));
    });
  });
  if (socketPath !== undefined) await new Promise<void>((r) => server.listen(socketPath, r));
  else await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  api.base = socketPath !== undefined ? `unix://${socketPath}` : `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
