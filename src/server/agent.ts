// `--agent` (Prometheus's agent mode): scraping, the WAL and remote write only. The query, series,
// status/tsdb, federation, rules and alerts APIs answer Prometheus's agent error instead.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../web/api/envelope.js';
import type { FederationService, QueryService, SeriesService, TsdbService } from '../web/services.js';

export const AGENT_UNAVAILABLE = 'unavailable with Prometheus Agent';

function unavailable(): never {
  throw new ApiError('execution', AGENT_UNAVAILABLE);
}

const rejected = async (): Promise<never> => unavailable();

export const agentQueries: QueryService = { instant: rejected, range: rejected, format: unavailable };
export const agentSeries: SeriesService = { exemplars: rejected, series: rejected, labelNames: rejected, labelValues: rejected };
export const agentTsdb: TsdbService = { status: rejected, adminEnabled: false, deleteSeries: rejected, cleanTombstones: rejected, snapshot: rejected };
export const agentFederation = (): FederationService => ({ federate: unavailable, externalLabels: () => ({}) });

/** /api/v1/rules and /api/v1/alerts exist in agent mode too, with the agent error (there are no rules). */
export async function agentRulesApi(app: FastifyInstance): Promise<void> {
  app.get('/api/v1/rules', rejected);
  app.get('/api/v1/alerts', rejected);
}
