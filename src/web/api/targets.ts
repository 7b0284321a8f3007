// /api/v1/targets: the scrape pools' targets with health, last error and timings (the data behind
// the Targets page and `promtool`/Grafana's target views).
import type { FastifyInstance } from 'fastify';
import { success } from './envelope.js';
import { formatDuration } from '../../model/duration.js';
import { queryParams } from './schemas.js';

// Prometheus reads the first `state` and `scrapePool`, lowercases the state and refuses none: a
// word other than active, dropped or any shows neither list (checked with Prometheus 2.42).
const schema = queryParams(['state', 'scrapePool']);

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function isoTime(ms: number): string {
  // Go's zero time for targets never scraped, as Prometheus prints it.
  return ms === 0 ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString();
}

export async function targetsApi(app: FastifyInstance): Promise<void> {
  const { targets } = app.services;
  app.get<{ Querystring: { state?: string | string[]; scrapePool?: string | string[] } }>('/api/v1/targets', { schema }, async (req) => {
    const state = (first(req.query.state) ?? 'any').toLowerCase();
    const pool = first(req.query.scrapePool);
    const showActive = state === 'any' || state === '' || state === 'active';
    const showDropped = state === 'any' || state === '' || state === 'dropped';
    const active = showActive
      ? targets
          .active()
          .filter((t) => pool === undefined || pool === '' || t.scrapePool === pool)
          .map((t) => ({
            discoveredLabels: t.discoveredLabels,
            labels: t.labels,
            scrapePool: t.scrapePool,
            scrapeUrl: t.scrapeUrl,
            globalUrl: t.globalUrl,
            lastError: t.state.lastError,
            lastScrape: isoTime(t.state.lastScrape),
            lastScrapeDuration: t.state.lastScrapeDurationSeconds,
            health: t.state.health,
            scrapeInterval: formatDuration(t.intervalMs),
            scrapeTimeout: formatDuration(t.timeoutMs),
          }))
      : [];
    const droppedAll = targets.dropped().filter((t) => pool === undefined || pool === '' || t.scrapePool === pool);
    // Every pool, zeros included, whatever the filter (as Prometheus answers).
    const droppedTargetCounts = targets.droppedCounts();
    const dropped = showDropped ? droppedAll.map((d) => ({ discoveredLabels: d.discoveredLabels, scrapePool: d.scrapePool })) : [];
    return success({ activeTargets: active, droppedTargets: dropped, droppedTargetCounts });
  });
}
