// A query worker: attaches to the server's open database, evaluates one query at a time with
// the JavaScript engine (native kernels on this thread, under the query's limits) and sends the
// result back already encoded as the API's JSON.
import { parentPort, workerData } from 'node:worker_threads';
import { Storage } from '../../storage/index.js';
import { Engine, PromQLSyntaxError, QueryError, parseExpr } from '../../promql/index.js';
import { encodeRangeSuccess, encodeSuccess, utf8Bytes } from './encode.js';
import type { JobReply, JobRequest, WorkerInit } from './protocol.js';

const init = workerData as WorkerInit;
const storage = Storage.attach(init.storageId, init.dir);

function run(req: JobRequest): JobReply {
  const started = performance.now();
  try {
    const engine = new Engine(storage, { ...init.engine, lookbackDeltaMs: req.lookbackDeltaMs ?? init.engine.lookbackDeltaMs, timeoutMs: req.timeoutMs, cancelToken: req.cancelToken });
    const expr = parseExpr(req.job.expr, init.engine.features);
    if (req.job.kind === 'range') {
      const d = engine.rangeQueryDense(expr, req.job.startMs, req.job.endMs, req.job.stepMs);
      // The native encoder's buffer is JavaScript-owned, so it can be transferred.
      return { id: req.id, ok: true, encoded: encodeRangeSuccess(d, req.limit, req.into), warnings: d.warnings, infos: d.infos, evalMs: performance.now() - started };
    }
    const r = engine.instantQuery(expr, req.job.timeMs);
    // Its own ArrayBuffer (TextEncoder's or the request's), so it can be transferred.
    return { id: req.id, ok: true, encoded: utf8Bytes(encodeSuccess(r, req.limit), req.into), warnings: r.warnings, infos: r.infos, evalMs: performance.now() - started };
  } catch (e) {
    if (e instanceof PromQLSyntaxError) return { id: req.id, ok: false, errorType: 'bad_data', message: e.message };
    if (e instanceof QueryError) return { id: req.id, ok: false, errorType: e.errorType, message: e.message };
    return { id: req.id, ok: false, errorType: 'internal', message: (e as Error).message ?? String(e) };
  }
}

parentPort!.on('message', (req: JobRequest) => {
  const reply = run(req);
  parentPort!.postMessage(reply, reply.ok ? [reply.encoded.buffer as ArrayBuffer] : []);
});
parentPort!.postMessage({ ready: true });
