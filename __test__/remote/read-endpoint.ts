// Test helper: a remote_read endpoint on 127.0.0.1 as another Prometheus would serve it (its own
// storage behind the project's read server), counting the queries it is asked; and the
// `remote_read` section of a configuration pointing at it.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Storage } from '../../src/storage/index.js';
import { RemoteReadServer } from '../../src/remote/read/server.js';
import type { LabelMatcher } from '../../src/storage/matchers.js';
import { parseConfig } from '../../src/config/index.js';
import type { RemoteReadConfig } from '../../src/config/config.js';

export interface ReadEndpoint {
  url: string;
  /** The remote's own database: what it serves. */
  storage: Storage;
  /** Every selection it was asked for, in arrival order. */
  selections: { matchers: LabelMatcher[]; mint: number; maxt: number }[];
}

export async function readEndpoint(t: { after(f: () => unknown): void }): Promise<ReadEndpoint> {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-remote-read-'));
  const storage = Storage.open(dir);
  const selections: ReadEndpoint['selections'] = [];
  const counting = {
    select(matchers: readonly LabelMatcher[], mint: number, maxt: number) {
      selections.push({ matchers: [...matchers], mint, maxt });
      return storage.select(matchers, mint, maxt);
    },
  };
  const reader = new RemoteReadServer(counting, { sampleLimit: 0, concurrentLimit: 0, maxBytesInFrame: 1 << 20, externalLabels: () => ({}) });
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      reader
        .read({ contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], body: Buffer.concat(parts) })
        .then((r) => {
          res.writeHead(r.status, r.headers);
          if (r.body instanceof Readable) r.body.pipe(res);
          else res.end(r.body);
        })
        .catch((e: Error) => {
          res.writeHead(500);
          res.end(e.message);
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/read`, storage, selections };
}

/** The parsed `remote_read` section for these endpoints (`extra`: more YAML lines under each). */
export function remoteReadConfigs(urls: string[], extra = ''): RemoteReadConfig[] {
  const cfg = parseConfig(`remote_read:\n${urls.map((u) => `  - url: ${u}\n    remote_timeout: 30s\n${extra}`).join('')}`, 'x.yml');
  return cfg.remoteRead;
}
