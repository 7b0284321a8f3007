// Interop: real receivers of our 1.0 stream, Debian's Prometheus 2.42
// (--web.enable-remote-write-receiver) and VictoriaMetrics 1.79 (/api/v1/write), each started on a
// free 127.0.0.1 port. The same queries on the data we appended and on each receiver agree.
// Then an outage: the receiver is stopped while we append, the sender is stopped abruptly (no
// clean stop: its last periodic savepoint write is what a kill -9 leaves) and restarted, the receiver comes
// back, and every sample reaches it (count per series equal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import client from 'prom-client';
import { Storage } from '../../src/storage/index.js';
import { parseConfig } from '../../src/config/index.js';
import { RemoteStorage } from '../../src/remote/index.js';
import { Logger } from '../../src/util/logger.js';
import { freePort } from '../../src/util/free-port.js';

const logger = new Logger({ level: 'error', write: () => {} });

interface Receiver {
  name: string;
  writeUrl: string;
  query(q: string, t: number): Promise<Map<string, number>>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

function receiver(name: string, args: (dir: string, port: number) => string[], bin: string, ready: string, write: string, flush?: string): Receiver {
  let proc: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), `promethium-rx-${name}-`));
  let port = 0;
  const r: Receiver = {
    name,
    writeUrl: '',
    async start() {
      port ||= await freePort();
      r.writeUrl = `http://127.0.0.1:${port}${write}`;
      proc = spawn(bin, args(dir, port), { stdio: 'ignore' });
      await waitHttp(`http://127.0.0.1:${port}${ready}`);
    },
    async stop() {
      if (proc === undefined) return;
      const p = proc;
      proc = undefined;
      await new Promise<void>((res) => {
        p.once('exit', () => res());
        p.kill('SIGTERM');
      });
    },
    async query(q, t) {
      if (flush !== undefined) await fetch(`http://127.0.0.1:${port}${flush}`);
      const res = (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}&time=${t / 1000}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return new Map(res.data.result.map((x) => [x.metric.i ?? '', Number(x.value[1])]));
    },
  };
  return r;
}

const prometheusRx = () => receiver('prometheus', (d, p) => ['--web.enable-remote-write-receiver', `--storage.tsdb.path=${d}`, `--web.listen-address=127.0.0.1:${p}`, `--config.file=/dev/null`], '/usr/bin/prometheus', '/-/ready', '/api/v1/write');
const vmRx = () => receiver('victoria-metrics', (d, p) => [`-storageDataPath=${d}`, `-httpListenAddr=127.0.0.1:${p}`, '-search.disableCache', '-search.latencyOffset=0s'], '/usr/bin/victoria-metrics', '/health', '/api/v1/write', '/internal/force_flush');

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function sender(storage: Storage, dir: string, url: string): Promise<RemoteStorage> {
  const r = new RemoteStorage({ storage, dataDir: dir, logger, maxBacklog: { bytes: 1 << 30 }, pollMs: 20 });
  r.init(new client.Registry());
  return r.applyConfig(parseConfig(`remote_write:\n  - url: ${url}\n    queue_config: { batch_send_deadline: 100ms, min_backoff: 20ms, max_backoff: 200ms, max_samples_per_send: 500 }\n`, 'p.yml')).then(() => r);
}

const SERIES = 20;
function appendRound(storage: Storage, refs: Uint32Array, t: number, k: number): void {
  storage.append(refs, new Float64Array(refs.length).fill(t), Float64Array.from(refs, (_, i) => k * (i + 1) + 0.5));
}

for (const make of [prometheusRx, vmRx]) {
  test(`interop with ${make().name}: equal answers, then an outage and an abrupt restart lose nothing`, { timeout: 120_000 }, async () => {
    // The receivers are Debian's packages (.ci/run installs them): missing, the test fails rather than skips.
    for (const bin of ['/usr/bin/prometheus', '/usr/bin/victoria-metrics']) assert.ok(existsSync(bin), `${bin} is missing: apt-get install prometheus victoria-metrics`);
    const rx = make();
    await rx.start();
    const dir = mkdtempSync(join(tmpdir(), 'promethium-rw-interop-'));
    let storage = Storage.open(dir);
    let refs = storage.seriesRefs(Array.from({ length: SERIES }, (_, i) => ({ __name__: 'rw_interop', i: String(i) })));
    let remote = await sender(storage, dir, rx.writeUrl);
    const t0 = Date.now() - 10 * 60_000;
    let k = 0;
    for (; k < 100; k++) appendRound(storage, refs, t0 + k * 2000, k);
    const at = t0 + 99 * 2000;
    // What we hold, computed from what was appended (the same as our storage answers).
    const expectSum = (n: number) => new Map(Array.from({ length: SERIES }, (_, i) => [String(i), Array.from({ length: n }, (_, j) => j * (i + 1) + 0.5).reduce((a, b) => a + b, 0)]));
    await until('all 2000 samples at the receiver', async () => [...(await rx.query('count_over_time(rw_interop[30m])', at)).values()].reduce((a, b) => a + b, 0) === SERIES * 100);
    assert.deepEqual(await rx.query('sum_over_time(rw_interop[30m])', at), expectSum(100));
    assert.deepEqual(await rx.query('rw_interop', at), new Map(Array.from({ length: SERIES }, (_, i) => [String(i), 99 * (i + 1) + 0.5])));

    // Outage (shortened to seconds from the two minutes, to keep the suite fast): the receiver
    // is down while we append; the sender stops as if killed (its last periodic savepoint
    // is what remains), the storage is reopened, a new sender started; then the receiver returns.
    await rx.stop();
    for (; k < 160; k++) appendRound(storage, refs, t0 + k * 2000, k);
    await new Promise((r) => setTimeout(r, 1500));
    // kill -9 leaves the savepoint of the last periodic write: keep that file as it is while this
    // sender stops (its clean stop would write one more).
    const spDir = join(dir, 'remote');
    const spFile = readdirSync(spDir).find((f) => f.endsWith('.savepoint'))!;
    const lastWritten = readFileSync(join(spDir, spFile));
    await remote.stop();
    writeFileSync(join(spDir, spFile), lastWritten);
    storage.close();
    storage = Storage.open(dir);
    refs = storage.seriesRefs(Array.from({ length: SERIES }, (_, i) => ({ __name__: 'rw_interop', i: String(i) })));
    remote = await sender(storage, dir, rx.writeUrl);
    for (; k < 200; k++) appendRound(storage, refs, t0 + k * 2000, k);
    await rx.start();
    const end = t0 + 199 * 2000;
    await until('all 4000 samples after the outage', async () => [...(await rx.query('count_over_time(rw_interop[30m])', end)).values()].reduce((a, b) => a + b, 0) >= SERIES * 200);
    const counts = await rx.query('count_over_time(rw_interop[30m])', end);
    for (const [i, n] of counts) assert.equal(n, 200, `series ${i}: every sample, once`);
    assert.deepEqual(await rx.query('sum_over_time(rw_interop[30m])', end), expectSum(200));
    await remote.stop();
    storage.close();
    await rx.stop();
    rmSync(dir, { recursive: true, force: true });
  });
}
