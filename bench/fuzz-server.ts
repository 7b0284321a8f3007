// The data and flags of a fuzz server (shared by __test__/fuzz/ and `npm run bench -- fuzz`): a
// little data (fuzzSamples), the admin and lifecycle APIs on, and small query limits so that no
// generated query runs long.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '../src/storage/index.js';
import { fuzzSamples } from './fuzz.js';

/** Writes the fuzz data to a new directory (`data/` and `prometheus.yml`) and returns its path. */
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

/** Flags for a server on `port` over `dataDir` with the config in `dir` (Prometheus takes the same ones). */
export function fuzzServerFlags(dir: string, dataDir: string, port: number): string[] {
  return [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${dataDir}`,
    '--storage.tsdb.retention.time=100y',
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-admin-api',
    '--web.enable-lifecycle',
    '--query.timeout=5s',
    '--query.max-samples=200000',
    '--log.level=error',
  ];
}
