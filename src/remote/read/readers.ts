// The configured `remote_read` endpoints, replaced at each configuration load, and the merged
// queryable a query with remote data reads.
import type { RemoteReadConfig } from '../../config/config.js';
import type { Labels } from '../../model/labels.js';
import type { Queryable } from '../../promql/context.js';
import { RemoteReadClient, type ReadOptions, type SelectRequest } from './client.js';
import { fetchRemote, type MergedQueryable } from './merge.js';

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
}
