// Remote read, client side: the same 1M samples (2,000 series x 500) read from our own
// `/api/v1/read` as STREAMED_XOR_CHUNKS and as SAMPLES, side by side in one run. Prints the wall
// time per read, the bytes on the wire, and the event loop's longest stall while reading (the
// decoding runs on a worker thread; the JavaScript left is the HTTP body and the label sets).
// The answers are made by our endpoint beforehand, so only the client is timed.
// `node --import tsx bench/remote-read.ts [--series N] [--samples N] [--rounds N]`
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import snappy from 'snappy';
import { Storage } from '../src/storage/index.js';
import { RemoteReadServer } from '../src/remote/read/server.js';
import { RemoteReadClient } from '../src/remote/read/client.js';
import { parseConfig } from '../src/config/index.js';
import { Readable } from 'node:stream';
import { encodeReadRequest } from '../src/storage/remote-codec.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SERIES = arg('series', 2000);
const SAMPLES = arg('samples', 500);
const ROUNDS = arg('rounds', 3);

const dir = mkdtempSync(join(tmpdir(), 'promethium-bench-rread-'));
const storage = Storage.open(dir);
const app = storage.appender();
for (let s = 0; s < SERIES; s++) for (let k = 0; k < SAMPLES; k++) app.add({ __name__: 'bench_rr', s: String(s) }, k * 15_000, Math.sin(s + k) * 1000);
app.commit();
const reader = new RemoteReadServer(storage, { sampleLimit: 0, concurrentLimit: 0, maxBytesInFrame: 1 << 20, externalLabels: () => ({}) });
// Each answer is made once by our endpoint, beforehand, and served as bytes: the timings below are the client's alone.
const request = (types: number[]): Uint8Array => snappy.compressSync(Buffer.from(encodeReadRequest([{ matchers: [{ type: '=', name: '__name__', value: 'bench_rr' }], startMs: 0, endMs: SAMPLES * 15_000 }], types)));
const answers = new Map<string, { headers: Record<string, string>; body: Buffer }>();
for (const [mode, types] of [['streamed', [1, 0]], ['samples', [0]]] as const) {
  const r = await reader.read({ contentType: 'application/x-protobuf', contentEncoding: 'snappy', body: request([...types]) });
  const parts: Buffer[] = [];
  if (r.body instanceof Readable) for await (const c of r.body) parts.push(Buffer.from(c as Uint8Array));
  else parts.push(Buffer.from(r.body));
  answers.set(mode, { headers: r.headers, body: Buffer.concat(parts) });
}
let mode = 'streamed';
const http = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const a = answers.get(mode)!;
    res.writeHead(200, a.headers);
    res.end(a.body);
  });
});
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
const client = new RemoteReadClient(parseConfig(`remote_read:\n  - url: ${url}/api/v1/read\n`, 'b.yml').remoteRead[0]!, {});
const matchers = [{ type: '=' as const, name: '__name__', value: 'bench_rr' }];

for (let round = 0; round < ROUNDS * 2; round++) {
  mode = round % 2 === 0 ? 'streamed' : 'samples';
  const wire = answers.get(mode)!.body.length;
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  const [r] = await client.read([{ matchers, mint: 0, maxt: SAMPLES * 15_000 }]);
  const ms = performance.now() - t0;
  h.disable();
  console.log(`${mode.padEnd(8)} ${r!.samples.t.length} samples ${r!.labels.length} series: ${ms.toFixed(0)} ms, ${(wire / 1e6).toFixed(1)} MB on the wire, longest event-loop stall ${(h.max / 1e6).toFixed(0)} ms`);
}
http.close();
storage.close();
rmSync(dir, { recursive: true, force: true });
