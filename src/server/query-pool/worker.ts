// A query worker: attaches to the server's open database, evaluates one query at a time with
// the JavaScript engine (native kernels on this thread, under the query's limits) and sends the
// result back already encoded as the API's JSON. A query with remote_read comes twice: first for
// the selections it makes (a dry run over empty data), then with the remotes' series for them,
// merged here with the local selections.
import { parentPort, workerData } from 'node:worker_threads';
import { Storage, loadNative } from '../../storage/index.js';
import { Engine, PromQLSyntaxError, QueryError, parseExpr } from '../../promql/index.js';
import type { Queryable } from '../../promql/context.js';
import { SelectRecorder } from '../../remote/read/merge.js';
import { unpackRemoteSeries } from '../../remote/read/transfer.js';
import { encodeRangeSuccess, encodeSuccess, utf8Bytes } from './encode.js';
import { costClock } from './inline.js';
import { idleCollection } from './idle-collection.js';
import { fullCollection } from '../memory-release.js';
import type { EvalJob, JobReply, JobRequest, WorkerInit } from './protocol.js';

const init = workerData as WorkerInit;
const storage = Storage.attach(init.storageId, init.dir);

function engineFor(req: JobRequest, from: Queryable): Engine {
  return new Engine(from, { ...init.engine, lookbackDeltaMs: req.lookbackDeltaMs ?? init.engine.lookbackDeltaMs, timeoutMs: req.timeoutMs, cancelToken: req.cancelToken });
}

/** The selections `job` makes. Its other errors are left to the real run, which reports them; running out of time is reported now. */
function selections(req: JobRequest, job: EvalJob): JobReply {
  const recorder = new SelectRecorder();
  const engine = engineFor(req, recorder);
  try {
    const expr = parseExpr(job.expr, init.engine.features);
    if (job.kind === 'range') engine.rangeQueryDense(expr, job.startMs, job.endMs, job.stepMs);
    else engine.instantQuery(expr, job.timeMs);
  } catch (e) {
    if (e instanceof QueryError && (e.errorType === 'timeout' || e.errorType === 'canceled')) throw e;
  }
  // The request's spare memory goes back with the (empty) answer, for a later one.
  return { id: req.id, ok: true, encoded: req.into?.subarray(0, 0) ?? new Uint8Array(0), warnings: [], infos: [], selections: [...recorder.requests.values()] };
}

function run(req: JobRequest): JobReply {
  const cost = costClock();
  try {
    if (req.job.kind === 'selections') return selections(req, req.job.of);
    const merged = req.remote !== undefined ? unpackRemoteSeries(storage, req.remote) : undefined;
    const engine = engineFor(req, merged ?? storage);
    // Remotes that failed are the answer's first warnings, as Prometheus's secondary queriers' are.
    const remoteWarnings = merged?.warnings ?? [];
    const expr = parseExpr(req.job.expr, init.engine.features);
    if (req.job.kind === 'range') {
      const d = engine.rangeQueryDense(expr, req.job.startMs, req.job.endMs, req.job.stepMs);
      if (remoteWarnings.length > 0) d.warnings = [...remoteWarnings, ...d.warnings];
      // The native encoder's buffer is JavaScript-owned, so it can be transferred.
      return { id: req.id, ok: true, encoded: encodeRangeSuccess(d, req.limit, req.into), warnings: d.warnings, infos: d.infos, evalMs: cost() };
    }
    const r = engine.instantQuery(expr, req.job.timeMs);
    if (remoteWarnings.length > 0) r.warnings = [...remoteWarnings, ...r.warnings];
    // Its own ArrayBuffer (TextEncoder's or the request's), so it can be transferred.
    return { id: req.id, ok: true, encoded: utf8Bytes(encodeSuccess(r, req.limit), req.into), warnings: r.warnings, infos: r.infos, evalMs: cost() };
  } catch (e) {
    if (e instanceof PromQLSyntaxError) return { id: req.id, ok: false, errorType: 'bad_data', message: e.message };
    if (e instanceof QueryError) return { id: req.id, ok: false, errorType: e.errorType, message: e.message };
    return { id: req.id, ok: false, errorType: 'internal', message: (e as Error).message ?? String(e) };
  }
}

const native = loadNative();
const idle = idleCollection(() => native.memoryTrimRequests(), fullCollection());

parentPort!.on('message', (req: JobRequest) => {
  idle.queryStarted();
  const reply = run(req);
  parentPort!.postMessage(reply, reply.ok ? [reply.encoded.buffer as ArrayBuffer] : []);
  idle.queryEnded();
});
parentPort!.postMessage({ ready: true });
