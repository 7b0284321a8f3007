// Messages between the main thread and a query worker.
import type { EngineOptions } from '../../promql/index.js';
import type { SelectRequest } from '../../remote/read/client.js';
import type { PackedRemoteSeries } from '../../remote/read/transfer.js';

/** What a worker is started with: the database to attach to and the engine's settings. */
export interface WorkerInit {
  storageId: number;
  dir: string;
  /** Plain data only (no functions): the server's engine options. */
  engine: Omit<EngineOptions, 'rangeKernel' | 'cancelToken'>;
}

/** A query to evaluate. */
export type EvalJob = { kind: 'instant'; expr: string; timeMs: number } | { kind: 'range'; expr: string; startMs: number; endMs: number; stepMs: number };

export type QueryJob =
  | EvalJob
  /**
   * The selections a query makes, found by a dry run over empty data (they depend on the
   * expression and times only): what the remote_read endpoints are asked for before the query
   * itself runs with their series.
   */
  | { kind: 'selections'; of: EvalJob };

export interface JobRequest {
  id: number;
  job: QueryJob;
  /** Series in the result (0: all), as the API's `limit`. */
  limit: number;
  lookbackDeltaMs?: number;
  timeoutMs: number;
  /** Cancel token the main thread sets when the query's time is up. */
  cancelToken: number;
  /** Memory of an earlier answer (transferred) to write this one into when it fits. */
  into?: Uint8Array;
  /** remote_read series merged with the local data (their buffer transferred), and their warnings. */
  remote?: PackedRemoteSeries;
}

export type JobReply =
  /** `encoded`: the envelope's UTF-8 JSON, its buffer transferred (not copied) to the main thread; it may be a view of the request's `into`. */
  | {
      id: number;
      ok: true;
      encoded: Uint8Array;
      warnings: string[];
      infos: string[];
      /** What evaluation and encoding cost on the worker (ms; see costClock in inline.ts). */
      evalMs?: number;
      /** A `selections` job's answer (`encoded` is then empty). */
      selections?: SelectRequest[];
    }
  | { id: number; ok: false; errorType: 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal'; message: string };
