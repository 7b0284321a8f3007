// PromQL over HTTP: the query service on the engine, the query workers and remote_read. Loaded
// by services.ts with the first query, so that a server nobody queries does not keep the
// evaluator resident (issue 23).
import type { Storage } from '../storage/index.js';
import { Engine, QueryError, parseExpr } from '../promql/index.js';
import type { EngineOptions } from '../promql/index.js';
import type { Expr } from '../promql/parser/ast.js';
import type { QueryData, QueryOptions, QueryResponse, QueryService } from '../web/services.js';

/** What needs the evaluator: the rest of QueryService (format) needs only the parser. */
export type EvaluatingQueryService = Pick<QueryService, 'instant' | 'range'>;
import type { ServerMetrics } from './metrics.js';
import { loggedQuery } from '../promql/query-log.js';
import type { LoggedQuery, QueryLog } from '../promql/query-log.js';
import type { PooledResult, QueryPool } from './query-pool/pool.js';
import type { EvalJob } from './query-pool/protocol.js';
import { CheapQueries, INLINE_EVICT_MS, INLINE_MAX_RANGE_POINTS, InlineAnswerMemory, InlineBudgetExceeded, costClock, queryKey, seriesBudgeted } from './query-pool/inline.js';
import { isStackOverflow } from '../promql/parser/parser.js';
import { encodeRangeSuccess, encodeSuccess } from './query-pool/encode.js';
import type { Queryable } from '../promql/context.js';
import { recordSelections, type MergedQueryable } from '../remote/read/merge.js';
import { packRemoteSeries } from '../remote/read/transfer.js';
import { TIMED_OUT } from '../promql/limits.js';
import type { RemoteReaders } from '../remote/read/readers.js';
import { apiError, toApiData } from './query-answers.js';

/** An inline evaluation's result: its notes, and its answer encoded on demand in the kept memory. */
interface InlineRun {
  warnings: string[];
  infos: string[];
  encode(answers: InlineAnswerMemory): { encoded: Buffer; release(): void };
}

/** A worker's answer: the envelope already encoded (sent as is); `data` decoded only if someone asks. */
export interface EncodedQueryResponse extends QueryResponse {
  encoded: Buffer;
  /** `encoded`'s memory may be reused once the response was sent (see PooledResult.release). */
  release(): void;
}

function encodedResponse(r: PooledResult): EncodedQueryResponse {
  let data: QueryData | undefined;
  return {
    encoded: r.encoded,
    release: r.release,
    warnings: r.warnings,
    infos: r.infos,
    get data(): QueryData {
      data ??= (JSON.parse(r.encoded.toString('utf8')) as { data: QueryData }).data;
      return data;
    },
  };
}

/**
 * PromQL over HTTP. With a pool, queries that are not cheap run on its worker threads (the main
 * thread stays free for scraping, rules and the rest of the API), those over remote_read data
 * always; cheap ones (query-pool/inline.ts) in this thread. Without a pool, all in this thread.
 */
export function evaluatingQueryService(storage: Storage, base: Omit<EngineOptions, 'rangeKernel'>, metrics: ServerMetrics, queryLog?: QueryLog, pool?: QueryPool, remote?: RemoteReaders, cheap = new CheapQueries()): EvaluatingQueryService {
  const timeoutOf = (opts: QueryOptions): number => (opts.timeoutMs ? Math.min(opts.timeoutMs, base.timeoutMs ?? Infinity) : (base.timeoutMs ?? 120_000));
  const engine = (opts: QueryOptions, from: Queryable = storage): Engine => new Engine(from, { ...base, lookbackDeltaMs: opts.lookbackDeltaMs ?? base.lookbackDeltaMs, timeoutMs: timeoutOf(opts) });
  const maxSamples = base.maxSamples !== undefined ? { maxSamples: base.maxSamples } : {};
  /**
   * Without a pool, a query with remote_read runs on this thread over local and remote data: a
   * dry run records the query's selections, the remotes are asked for them, then the real run
   * reads both (src/remote/read/merge.ts).
   */
  const withRemote = async (opts: QueryOptions, run: (e: Engine) => unknown): Promise<{ from: MergedQueryable; opts: QueryOptions }> => {
    const started = performance.now();
    const timeoutMs = timeoutOf(opts);
    const requests = recordSelections((recorder) => run(engine(opts, recorder)));
    // The remote reads count against the query's timeout, as in Prometheus; the real run gets what is left.
    const from = await remote!.merged(storage, requests, { timeoutMs, ...maxSamples });
    return { from, opts: { ...opts, timeoutMs: Math.max(1, timeoutMs - (performance.now() - started)) } };
  };
  /**
   * A query with remote_read on the pool: a worker finds its selections, the remotes are asked for
   * them here (HTTP, and decoding on the addon's threads), and a worker evaluates the query over
   * its local data merged with their series, shipped in one transferred buffer. The main thread
   * never evaluates it. All of it counts against the query's timeout.
   */
  const pooledWithRemote = async (job: EvalJob, opts: QueryOptions): Promise<PooledResult> => {
    const started = performance.now();
    const timeoutMs = timeoutOf(opts);
    const left = (): number => timeoutMs - (performance.now() - started);
    const plan = await pool!.run({ job: { kind: 'selections', of: job }, limit: 0, lookbackDeltaMs: opts.lookbackDeltaMs, timeoutMs });
    plan.release();
    const from = await remote!.merged(storage, plan.selections ?? [], { timeoutMs: left(), ...maxSamples });
    if (left() <= 0) throw new QueryError(TIMED_OUT, 'timeout');
    return pool!.run({ job, limit: opts.limit ?? 0, lookbackDeltaMs: opts.lookbackDeltaMs, timeoutMs: left(), remote: packRemoteSeries(from) });
  };
  const inlineAnswers = new InlineAnswerMemory();
  /** A query on the pool, timed and written to the query log (also when it fails). */
  const pooled = async (q: Omit<LoggedQuery, 'seconds' | 'error'>, key: string, job: EvalJob, opts: QueryOptions, parsed: Expr, remoteRead: boolean): Promise<QueryResponse> => {
    const end = metrics.engineQueryDuration.startTimer({ slice: 'inner_eval' });
    const started = performance.now();
    let error: string | undefined;
    try {
      const r = remoteRead ? await pooledWithRemote(job, opts) : await pool!.run({ job, limit: opts.limit ?? 0, lookbackDeltaMs: opts.lookbackDeltaMs, timeoutMs: timeoutOf(opts) });
      // What a query over remote data costs depends on the remotes: it never runs inline.
      if (!remoteRead) cheap.record(key, parsed, r.evalMs, r.encoded.length);
      return encodedResponse(r);
    } catch (e) {
      error = (e as Error).message;
      throw e;
    } finally {
      end();
      queryLog?.log({ ...q, seconds: (performance.now() - started) / 1000, ...(error !== undefined ? { error } : {}) });
    }
  };
  /** Runs a query, timing it and writing it to the query log (also when it fails). */
  const timed = <T>(q: Omit<LoggedQuery, 'seconds' | 'error'>, f: () => T): T => {
    const end = metrics.engineQueryDuration.startTimer({ slice: 'inner_eval' });
    try {
      return loggedQuery(queryLog, q, f);
    } finally {
      end();
    }
  };
  /**
   * A query on this thread (see query-pool/inline.ts): a first try with a short budget, or one
   * measured cheap before with a larger one, measured again so that one grown larger goes back to
   * the workers. Undefined when it ran past its budget: nothing was logged or answered, and the
   * query goes to a worker.
   */
  const inline = (q: Omit<LoggedQuery, 'seconds' | 'error'>, key: string, parsed: Expr, opts: QueryOptions, verdict: 'try' | 'inline', run: (e: Engine) => InlineRun): EncodedQueryResponse | undefined => {
    const timeoutMs = timeoutOf(opts);
    const budgetMs = verdict === 'try' ? cheap.tryMs : INLINE_EVICT_MS;
    const end = metrics.engineQueryDuration.startTimer({ slice: 'inner_eval' });
    const started = performance.now();
    // A first try is measured by its thread's CPU time, which decides whether it is proven cheap.
    // A proven-cheap run is re-measured only to see it grow past INLINE_EVICT_MS, which its wall
    // time bounds (the budget stops it there): wall time is enough.
    const cost = verdict === 'try' ? costClock() : () => performance.now() - started;
    let r: InlineRun;
    try {
      r = run(engine({ ...opts, timeoutMs: Math.min(budgetMs, timeoutMs) }, seriesBudgeted(storage)));
    } catch (e) {
      const spent = performance.now() - started;
      // Out of the inline budget (not of the query's own time), or of this thread's smaller
      // stack (a worker's is larger): a worker takes the query over.
      const overBudget = e instanceof InlineBudgetExceeded || (e instanceof QueryError && e.errorType === 'timeout' && budgetMs < timeoutMs) || isStackOverflow(e);
      cheap.forget(key, overBudget ? spent : 0, e instanceof InlineBudgetExceeded);
      if (overBudget) return undefined;
      end();
      queryLog?.log({ ...q, seconds: spent / 1000, error: (e as Error).message });
      throw e;
    }
    end();
    const spent = performance.now() - started;
    queryLog?.log({ ...q, seconds: spent / 1000 });
    const { encoded, release } = r.encode(inlineAnswers);
    cheap.record(key, parsed, cost(), encoded.length);
    return encodedResponse({ encoded, warnings: r.warnings, infos: r.infos, release });
  };
  const instantRun = (parsed: Expr, timeMs: number, limit: number) => (e: Engine): InlineRun => {
    const r = e.instantQuery(parsed, timeMs);
    return { warnings: r.warnings, infos: r.infos, encode: (answers) => answers.encode(encodeSuccess(r, limit)) };
  };
  const rangeRun = (parsed: Expr, startMs: number, endMs: number, stepMs: number, limit: number) => (e: Engine): InlineRun => {
    const d = e.rangeQueryDense(parsed, startMs, endMs, stepMs);
    // A large answer is encoded on a worker, off this thread.
    if (d.metrics.length * d.n > INLINE_MAX_RANGE_POINTS) throw new InlineBudgetExceeded(`more than ${INLINE_MAX_RANGE_POINTS} points in the result`);
    return { warnings: d.warnings, infos: d.infos, encode: (answers) => answers.encodeWith((into) => encodeRangeSuccess(d, limit, into)) };
  };
  /** Inline when the query is (or may be) cheap, else on a worker; queries with remote_read always on a worker. */
  const onThisThreadOrPool = async (logged: Omit<LoggedQuery, 'seconds' | 'error'>, key: string, parsed: Expr, opts: QueryOptions, remoteRead: boolean, run: (e: Engine) => InlineRun, job: EvalJob): Promise<QueryResponse> => {
    const verdict = remoteRead ? 'pool' : cheap.verdict(key, parsed);
    const answered = verdict === 'pool' ? undefined : inline(logged, key, parsed, opts, verdict, run);
    if (answered) return answered;
    // A worker gets the query's whole time: an inline try that ran past its budget is the
    // server's guess gone wrong, not the query's time, and it is short (query-pool/inline.ts).
    return pooled(logged, key, job, opts, parsed, remoteRead);
  };
  return {
    async instant(expr, timeMs, opts) {
      try {
        // Parsed first: a query that does not parse never runs, and is not in the query log (as in Prometheus).
        const parsed = parseExpr(expr, base.features);
        const logged = { query: expr, startMs: timeMs, endMs: timeMs, stepMs: 0, origin: opts.origin };
        const remoteRead = remote?.active() === true;
        if (pool) return await onThisThreadOrPool(logged, queryKey(expr), parsed, opts, remoteRead, instantRun(parsed, timeMs, opts.limit ?? 0), { kind: 'instant', expr, timeMs });
        const merged = remoteRead ? await withRemote(opts, (e) => e.instantQuery(parsed, timeMs)) : undefined;
        const r = timed(logged, () => engine(merged?.opts ?? opts, merged?.from).instantQuery(parsed, timeMs));
        return { data: toApiData(r, opts.limit), warnings: [...(merged?.from.warnings ?? []), ...r.warnings], infos: r.infos };
      } catch (e) {
        apiError(e);
      }
    },
    async range(expr, startMs, endMs, stepMs, opts) {
      try {
        const parsed = parseExpr(expr, base.features);
        const logged = { query: expr, startMs, endMs, stepMs, origin: opts.origin };
        const remoteRead = remote?.active() === true;
        if (pool) return await onThisThreadOrPool(logged, queryKey(expr, { startMs, endMs, stepMs }), parsed, opts, remoteRead, rangeRun(parsed, startMs, endMs, stepMs, opts.limit ?? 0), { kind: 'range', expr, startMs, endMs, stepMs });
        const merged = remoteRead ? await withRemote(opts, (e) => e.rangeQuery(parsed, startMs, endMs, stepMs)) : undefined;
        const r = timed(logged, () => engine(merged?.opts ?? opts, merged?.from).rangeQuery(parsed, startMs, endMs, stepMs));
        return { data: toApiData(r, opts.limit), warnings: [...(merged?.from.warnings ?? []), ...r.warnings], infos: r.infos };
      } catch (e) {
        apiError(e);
      }
    },
  };
}
