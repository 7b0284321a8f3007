// The server's implementations of the web layer's services: PromQL over HTTP on the engine,
// series and label metadata on the storage, and TSDB status and administration.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/index.js';
import type { LabelMatcher } from '../storage/matchers.js';
import { parseExpr } from '../promql/parser/parser.js';
import type { EngineOptions } from '../promql/index.js';
import { selectorsOf } from '../promql/parser/selectors.js';
import { printExpr } from '../promql/parser/printer.js';
import { formatJsonValue } from '../model/float.js';
import { ApiError } from '../web/api/envelope.js';
import type { FederatedSample, FederationService, QueryService, SeriesService, TsdbService, TsdbStatus } from '../web/services.js';
import type { ServerMetrics } from './metrics.js';
import type { QueryLog } from '../promql/query-log.js';
import type { QueryPool } from './query-pool/pool.js';
import type { CheapQueries } from './query-pool/inline.js';
import type { RemoteReaders } from '../remote/read/readers.js';
import type { EvaluatingQueryService } from './query-service.js';
import { apiError } from './query-answers.js';

export { toApiData } from './query-answers.js';
export type { EncodedQueryResponse } from './query-service.js';

/**
 * PromQL over HTTP (query-service.ts), loaded with the first query: the evaluator, the query
 * workers' client side and remote_read's merging stay out of a server nobody queries. Formatting
 * a query needs only the parser, which the series API loads anyway.
 */
export function makeQueryService(storage: Storage, base: Omit<EngineOptions, 'rangeKernel'>, metrics: ServerMetrics, queryLog?: QueryLog, pool?: QueryPool, remote?: RemoteReaders, cheap?: CheapQueries): QueryService {
  let loaded: Promise<EvaluatingQueryService> | undefined;
  const evaluating = (): Promise<EvaluatingQueryService> => (loaded ??= import('./query-service.js').then((m) => m.evaluatingQueryService(storage, base, metrics, queryLog, pool, remote, cheap)));
  return {
    instant: async (expr, timeMs, opts) => (await evaluating()).instant(expr, timeMs, opts),
    range: async (expr, startMs, endMs, stepMs, opts) => (await evaluating()).range(expr, startMs, endMs, stepMs, opts),
    format(expr) {
      try {
        return printExpr(parseExpr(expr));
      } catch (e) {
        apiError(e);
      }
    },
  };
}

/** `match[]` values: series selectors, parsed as PromQL. */
export function parseSelectors(matches: string[]): LabelMatcher[][] {
  return matches.map((m) => {
    let e;
    try {
      e = parseExpr(m);
    } catch (err) {
      throw new ApiError('bad_data', `invalid parameter "match[]": ${(err as Error).message}`);
    }
    while (e.type === 'ParenExpr') e = e.expr;
    if (e.type !== 'VectorSelector') throw new ApiError('bad_data', `invalid parameter "match[]": expected a series selector, got ${JSON.stringify(m)}`);
    return e.matchers;
  });
}

export function makeSeriesService(storage: Storage): SeriesService {
  const limited = <T>(xs: T[], limit: number): { result: T[]; warnings: string[] } =>
    limit > 0 && xs.length > limit ? { result: xs.slice(0, limit), warnings: ['results truncated due to limit'] } : { result: xs, warnings: [] };
  return {
    async exemplars(query, start, end) {
      let expr;
      try {
        expr = parseExpr(query);
      } catch (e) {
        throw new ApiError('bad_data', (e as Error).message);
      }
      const sets = selectorsOf(expr);
      if (sets.length === 0) return [];
      return storage.selectExemplars(sets, start, end).map((s) => ({
        seriesLabels: s.seriesLabels,
        exemplars: s.exemplars.map((e) => ({ labels: e.labels, value: formatJsonValue(e.value), timestamp: e.t / 1000 })),
      }));
    },
    async series(matches, start, end, limit) {
      if (matches.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
      const seen = new Map<string, Record<string, string>>();
      for (const ms of parseSelectors(matches)) {
        for (const l of storage.select(ms, start, end).labels) seen.set(JSON.stringify(Object.entries(l).sort()), l);
      }
      const all = [...seen.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, l]) => l);
      return limited(all, limit);
    },
    async labelNames(matches, start, end, limit) {
      const names = new Set<string>();
      if (matches.length === 0) for (const n of storage.labelNames([], start, end)) names.add(n);
      else for (const ms of parseSelectors(matches)) for (const n of storage.labelNames(ms, start, end)) names.add(n);
      return limited([...names].sort(), limit);
    },
    async labelValues(name, matches, start, end, limit) {
      const values = new Set<string>();
      if (matches.length === 0) for (const v of storage.labelValues(name, [], start, end)) values.add(v);
      else for (const ms of parseSelectors(matches)) for (const v of storage.labelValues(name, ms, start, end)) values.add(v);
      return limited([...values].sort(), limit);
    },
  };
}

export function makeFederationService(storage: Storage, lookbackMs: number, externalLabels: () => Record<string, string>): FederationService {
  return {
    externalLabels,
    federate(matches, atMs) {
      if (matches.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
      const out = new Map<string, FederatedSample>();
      for (const ms of parseSelectors(matches)) {
        const sel = storage.select(ms, atMs - lookbackMs, atMs);
        // One step at atMs: the value a vector selector would return there, with its own timestamp
        // (stale series are not present).
        const m = sel.instant({ start: atMs, end: atMs, step: 1 }, lookbackMs);
        // A series whose newest sample is a native histogram has it here (and no float step).
        const hs = sel.instantHistograms({ start: atMs, end: atMs, step: 1 }, lookbackMs);
        sel.labels.forEach((labels, i) => {
          const key = JSON.stringify(Object.entries(labels).sort());
          const k = hs.index.length > i ? hs.index[i]! : -1;
          if (m.present[i] === 1) out.set(key, { labels, t: m.timestamps[i]!, v: m.values[i]! });
          else if (k >= 0) out.set(key, { labels, t: hs.timestamps[i]!, v: NaN, h: hs.h[k]! });
        });
      }
      return [...out.values()];
    },
  };
}

export function makeTsdbService(storage: Storage, dataDir: string, adminEnabled: boolean): TsdbService {
  return {
    adminEnabled,
    async status(limit): Promise<TsdbStatus> {
      const s = await storage.statsAsync(limit);
      return {
        headStats: { numSeries: s.numSeries, numLabelPairs: s.numLabelPairs, chunkCount: s.chunkCount, minTime: s.minTime ?? 0, maxTime: s.maxTime ?? 0 },
        seriesCountByMetricName: s.seriesCountByMetricName,
        labelValueCountByLabelName: s.labelValueCountByLabelName,
        memoryInBytesByLabelName: s.memoryInBytesByLabelName,
        seriesCountByLabelValuePair: s.seriesCountByLabelValuePair,
      };
    },
    async deleteSeries(matches, start, end) {
      if (matches.length === 0) throw new ApiError('bad_data', 'no match[] parameter provided');
      for (const ms of parseSelectors(matches)) storage.deleteSeries(ms, start, end);
    },
    async cleanTombstones() {
      await storage.cleanTombstones();
    },
    async snapshot(skipHead) {
      const name = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(8).toString('hex')}`;
      const dir = join(dataDir, 'snapshots', name);
      mkdirSync(dir, { recursive: true });
      await storage.snapshot(dir, !skipHead);
      return name;
    },
  };
}
