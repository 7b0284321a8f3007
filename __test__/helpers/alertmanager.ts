// An Alertmanager server in the test's process on 127.0.0.1:0 with a temporary storage directory,
// stopped when the test ends. Resolves to its base URL (`http://127.0.0.1:PORT`).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAlertmanagerConfig } from '../../src/alertmanager/config.js';
import { AlertmanagerServer } from '../../src/alertmanager/server.js';
import { parseMatcher } from '../../src/alertmanager/matchers.js';
import { Logger } from '../../src/util/logger.js';

export async function startAlertmanager(t: { after(f: () => unknown): void }, config: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'promethium-am-'));
  const server = new AlertmanagerServer({
    listenHost: '127.0.0.1',
    listenPort: 0,
    routePrefix: '',
    externalUrl: 'http://am',
    storagePath: dir,
    retentionMs: 3600_000,
    logger: new Logger({ write: () => undefined }),
    loadConfig: () => parseAlertmanagerConfig(config, 'am.yml').core,
    parseMatcher,
  });
  const { port } = await server.start();
  t.after(() => server.stop());
  return `http://127.0.0.1:${port}`;
}
