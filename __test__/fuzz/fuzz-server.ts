// A Promethium server for fuzzing, in this process: a little data (bench/fuzz.ts's samples), the
// admin and lifecycle APIs on, and small query limits so that no generated query runs long.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../../src/storage/index.js';
import { main } from '../../src/server/main.js';
import { fuzzSamples } from '../../bench/fuzz.js';
import { freePort, waitFor } from '../helpers/net.js';

export interface FuzzServer {
  base: string;
  stop(): Promise<void>;
}

/** Writes the fuzz data to a new data directory and returns its path. */
export function fuzzDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-fuzz-'));
  const db = Storage.open(join(dir, 'data'));
  const app = db.appender();
  for (const s of fuzzSamples()) app.add(s.labels, s.t, s.v);
  app.commit();
  db.close();
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
  return dir;
}

/** The flags of a fuzz server on `port` over `dir` (see fuzzDataDir). */
export function fuzzServerFlags(dir: string, port: number): string[] {
  return [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    '--storage.tsdb.retention.time=100y',
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-admin-api',
    '--web.enable-lifecycle',
    '--query.timeout=5s',
    '--query.max-samples=200000',
    '--log.level=error',
  ];
}

export async function startFuzzServer(): Promise<FuzzServer> {
  const dir = fuzzDataDir();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const done = main(fuzzServerFlags(dir, port));
  await waitFor('fuzz server ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined));
  return {
    base,
    async stop() {
      await fetch(`${base}/-/quit`, { method: 'POST' }).catch(() => undefined);
      await done;
    },
  };
}
