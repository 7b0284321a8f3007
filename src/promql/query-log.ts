// global.query_log_file: every query the engine runs (API requests and rule evaluations), one JSON
// line each, in Prometheus's shape ({params, stats, httpRequest | ruleGroup, ts}). Opened when a
// configuration names the file, switched or closed on reload.
import client from 'prom-client';
import { JsonLinesFile } from '../util/json-lines.js';

/** Where a query came from: `{ httpRequest: {...} }` or `{ ruleGroup: { file, name } }`. */
export type QueryOrigin = Record<string, unknown>;

export interface LoggedQuery {
  query: string;
  startMs: number;
  endMs: number;
  stepMs: number;
  /** Wall time of the evaluation. */
  seconds: number;
  error?: string;
  origin?: QueryOrigin;
}

export class QueryLog {
  private file: JsonLinesFile | undefined;
  private enabled: client.Gauge | undefined;
  private failures: client.Counter | undefined;

  /** prometheus_engine_query_log_enabled and _failures_total on the server's registry. */
  init(registry: client.Registry): void {
    this.enabled = new client.Gauge({ name: 'prometheus_engine_query_log_enabled', help: 'State of the query log.', registers: [registry] });
    this.failures = new client.Counter({ name: 'prometheus_engine_query_log_failures_total', help: 'The number of query log failures.', registers: [registry] });
    this.enabled.set(this.file === undefined ? 0 : 1);
  }

  /** Logs to `path` from now on (undefined: stops logging). */
  setFile(path: string | undefined): void {
    if (path === this.file?.path) return;
    const file = path === undefined ? undefined : new JsonLinesFile(path);
    this.file?.close();
    this.file = file;
    this.enabled?.set(file === undefined ? 0 : 1);
  }

  log(q: LoggedQuery): void {
    if (this.file === undefined) return;
    const line = {
      params: { end: new Date(q.endMs).toISOString(), query: q.query, start: new Date(q.startMs).toISOString(), step: Math.round(q.stepMs / 1000) },
      ...(q.error !== undefined ? { error: q.error } : {}),
      stats: { timings: { evalTotalTime: q.seconds, execTotalTime: q.seconds } },
      ...q.origin,
      ts: new Date().toISOString(),
    };
    if (!this.file.write(line)) this.failures?.inc();
  }

  close(): void {
    this.setFile(undefined);
  }
}

/** Runs a query, timing it and writing it to the query log (also when it throws). */
export function loggedQuery<T>(log: QueryLog | undefined, q: Omit<LoggedQuery, 'seconds' | 'error'>, run: () => T): T {
  if (log === undefined) return run();
  const started = performance.now();
  let error: string | undefined;
  try {
    return run();
  } catch (e) {
    error = (e as Error).message;
    throw e;
  } finally {
    log.log({ ...q, seconds: (performance.now() - started) / 1000, ...(error !== undefined ? { error } : {}) });
  }
}

/** `loggedQuery` for a query that reads remote data first: logged once it settles, with the time of both. */
export async function loggedAsyncQuery<T>(log: QueryLog | undefined, q: Omit<LoggedQuery, 'seconds' | 'error'>, run: () => Promise<T>): Promise<T> {
  if (log === undefined) return run();
  const started = performance.now();
  let error: string | undefined;
  try {
    return await run();
  } catch (e) {
    error = (e as Error).message;
    throw e;
  } finally {
    log.log({ ...q, seconds: (performance.now() - started) / 1000, ...(error !== undefined ? { error } : {}) });
  }
}
