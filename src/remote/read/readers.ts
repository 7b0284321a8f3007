// The configured `remote_read` endpoints, replaced at each configuration load, and the merged
// queryable a query with remote data reads (API queries and rules alike).
import type { RemoteReadConfig } from '../../config/config.js';
import type { Labels } from '../../model/labels.js';
import type { Queryable } from '../../promql/context.js';
import { RemoteReadClient, type ReadOptions, type SelectRequest } from './client.js';
import { fetchRemote, type MergedQueryable } from './merge.js';
import type { Storage } from '../../storage/storage.js';
import { QueryError } from '../../promql/values.js';
import { TIMED_OUT } from '../../promql/limits.js';

export class RemoteReaders {
  private clients: RemoteReadClient[] = [];

  /** A configuration load: the endpoints and external labels in force from now on. */
  apply(configs: readonly RemoteReadConfig[], externalLabels: Labels): void {
    this.clients = configs.map((c) => new RemoteReadClient(c, externalLabels));
  }

  active(): boolean {
    return this.clients.length > 0;
  }

  /** `local` merged with what the remotes answer for these selections. */
  queryable(local: Queryable, requests: Iterable<SelectRequest>, localMinTime: number | null, opts: ReadOptions = {}): Promise<MergedQueryable> {
    return fetchRemote(local, this.clients, requests, localMinTime, opts);
  }

  /**
   * What a query reads, as Prometheus's fanout storage: the local database merged with the
   * remotes' answers for the query's selections. Remotes without read_recent are asked only for
   * ranges starting before the oldest local sample. The reads must finish within `timeoutMs` (the
   * query's time left): past it they stop and the query fails with the engine's timeout error.
   */
  async merged(local: Queryable & Pick<Storage, 'startTime'>, requests: Iterable<SelectRequest>, opts: { timeoutMs: number; maxSamples?: number }): Promise<MergedQueryable> {
    if (opts.timeoutMs <= 0) throw new QueryError(TIMED_OUT, 'timeout');
    const deadline = AbortSignal.timeout(Math.ceil(opts.timeoutMs));
    try {
      return await this.queryable(local, requests, local.startTime(), { signal: deadline, ...(opts.maxSamples !== undefined ? { maxSamples: opts.maxSamples } : {}) });
    } catch (e) {
      if (deadline.aborted) throw new QueryError(TIMED_OUT, 'timeout');
      throw e;
    }
  }
}
