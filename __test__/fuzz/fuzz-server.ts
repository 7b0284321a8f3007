// A Promethium server for fuzzing, in this process (bench/fuzz-server.ts's data and flags).
import { join } from 'node:path';
import { main } from '../../src/server/main.js';
import { fuzzDataDir, fuzzServerFlags } from '../../bench/fuzz-server.js';
import { freePort, waitFor } from '../helpers/net.js';

export interface FuzzServer {
  base: string;
  stop(): Promise<void>;
}

export async function startFuzzServer(): Promise<FuzzServer> {
  const dir = fuzzDataDir();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const done = main(fuzzServerFlags(dir, join(dir, 'data'), port));
  await waitFor('fuzz server ready', async () => ((await fetch(`${base}/-/ready`)).status === 200 ? true : undefined));
  return {
    base,
    async stop() {
      await fetch(`${base}/-/quit`, { method: 'POST' }).catch(() => undefined);
      await done;
    },
  };
}
