import { connect } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
export { freePort } from '../../src/util/free-port.js';

export async function waitFor<T>(what: string, f: () => Promise<T | undefined>, tries = 200, delayMs = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, delayMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A CONNECT proxy's tunnel: answers 200 and pipes the client to host:port of the request. */
export function tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
  const [host, port] = (req.url ?? '').split(':');
  const upstream = connect(Number(port), host, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
}
