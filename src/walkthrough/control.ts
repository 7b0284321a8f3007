// The stack's control endpoint, on 127.0.0.1 only: `promethium stack stop|start|status` talk to it,
// so one component (the node exporter, say) can be stopped and started while the others run.
//   GET  /status               {"server":"running (pid 12)","node-exporter":"stopped",...}
//   POST /components/NAME/stop  stops it (200 when stopped; 404 unknown name; 409 not running)
//   POST /components/NAME/start starts it and answers once it is ready (409 already running)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stack } from './stack.js';

export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

export async function startControlServer(stack: Stack, port: number): Promise<ControlServer> {
  const server: Server = createServer((req, res) => {
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://control');
    if (req.method === 'GET' && url.pathname === '/status') return send(200, stack.status());
    const m = /^\/components\/([^/]+)\/(stop|start)$/.exec(url.pathname);
    if (m === null || req.method !== 'POST') return send(404, { error: 'use GET /status or POST /components/NAME/stop|start' });
    const name = decodeURIComponent(m[1]!);
    if (!stack.names().includes(name)) return send(404, { error: `no component "${name}" (there are: ${stack.names().join(', ')})` });
    const running = stack.isRunning(name);
    if (m[2] === 'stop' && !running) return send(409, { error: `${name} is not running` });
    if (m[2] === 'start' && running) return send(409, { error: `${name} is already running` });
    (m[2] === 'stop' ? stack.stop(name) : stack.start(name)).then(
      () => send(200, stack.status()),
      (e: Error) => send(500, { error: e.message }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
