// What rule groups need from the rest of the server: queries on the PromQL engine (over local and
// remote_read data), templates with Prometheus's functions (including `query`, local data only:
// templates are expanded synchronously), and a sink appending rule output to the storage.
// Shared by the server and `promethium test rules`.
import type { Storage } from '../storage/index.js';
import type { Engine } from '../promql/index.js';
import type { ExpandFn, ForStateRestore, QueryFn, SampleSink } from '../rules/types.js';
import { expandAlertTemplate } from '../template/prometheus.js';
import { loggedAsyncQuery } from '../promql/query-log.js';
import type { QueryLog } from '../promql/query-log.js';
import type { QueryResult } from '../promql/index.js';
import { QueryError } from '../promql/values.js';
import { TIMED_OUT } from '../promql/limits.js';
import { recordSelections } from '../remote/read/merge.js';
import type { RemoteReaders } from '../remote/read/readers.js';

/** The remote_read endpoints rule queries read through, and the limits of those reads. */
export interface RuleRemoteRead {
  readers: RemoteReaders;
  /** The query timeout (--query.timeout): the remote reads and the evaluation together stay within it. */
  timeoutMs: number;
  /** --query.max-samples: the most samples one remote answer may hold. */
  maxSamples?: number;
}

export function engineRuleDeps(storage: Storage, engine: Engine, externalURL: string, queryLog?: QueryLog, remoteRead?: RuleRemoteRead): { query: QueryFn; expand: ExpandFn; sink: SampleSink } {
  /**
   * Rules read what Prometheus's rule manager reads, the fanout storage: with remote_read
   * configured, a dry run finds the query's selections, the remotes are asked for them (subject
   * to required_matchers and read_recent), and the query runs over local and remote data merged.
   */
  const evaluate = async (expr: string, timeMs: number): Promise<QueryResult> => {
    if (remoteRead === undefined || !remoteRead.readers.active()) return engine.instantQuery(expr, timeMs);
    const started = performance.now();
    const requests = recordSelections((recorder) => engine.reading(recorder).instantQuery(expr, timeMs));
    const from = await remoteRead.readers.merged(storage, requests, { timeoutMs: remoteRead.timeoutMs, ...(remoteRead.maxSamples !== undefined ? { maxSamples: remoteRead.maxSamples } : {}) });
    const left = remoteRead.timeoutMs - (performance.now() - started);
    if (left <= 0) throw new QueryError(TIMED_OUT, 'timeout');
    return engine.reading(from, left).instantQuery(expr, timeMs);
  };
  const query: QueryFn = async (expr, timeMs, group) => {
    const r = await loggedAsyncQuery(queryLog, { query: expr, startMs: timeMs, endMs: timeMs, stepMs: 0, ...(group ? { origin: { ruleGroup: group } } : {}) }, () => evaluate(expr, timeMs));
    if (r.resultType === 'vector') return r.result.map((s) => (s.h !== undefined ? { labels: s.metric, value: s.value, h: s.h } : { labels: s.metric, value: s.value }));
    if (r.resultType === 'scalar') return [{ labels: {}, value: r.result.value }];
    throw new Error(`rule expression must return a vector or a scalar, got ${r.resultType}`);
  };
  const expand: ExpandFn = async (name, text, data, timeMs) =>
    expandAlertTemplate(name, text, { labels: data.labels, externalLabels: data.externalLabels, externalURL: data.externalURL, value: data.value }, {
      externalURL,
      query: (q) => {
        const r = engine.instantQuery(q, timeMs);
        return r.resultType === 'vector' ? r.result.map((s) => ({ Labels: s.metric, Value: s.value })) : r.resultType === 'scalar' ? [{ Labels: {}, Value: r.result.value }] : [];
      },
    });
  const sink: SampleSink = {
    append: (all) => {
      // Histogram results (recording rules over native histograms) go in their own batch.
      const histograms = all.filter((s) => s.h !== undefined);
      const samples = histograms.length > 0 ? all.filter((s) => s.h === undefined) : all;
      if (histograms.length > 0) {
        const refs = storage.seriesRefs(histograms.map((s) => s.labels));
        storage.appendHistograms(refs, Float64Array.from(histograms.map((s) => s.t)), histograms.map((s) => s.h!));
      }
      if (samples.length === 0) return;
      const refs = storage.seriesRefs(samples.map((s) => s.labels));
      // Typed arrays throughout: a JS number array would quiet the stale NaN's bits.
      const ts = new Float64Array(samples.length);
      const vs = new Float64Array(samples.length);
      samples.forEach((s, i) => {
        ts[i] = s.t;
        vs[i] = s.v;
      });
      storage.append(refs, ts, vs);
    },
  };
  return { query, expand, sink };
}

/** ALERTS_FOR_STATE lookups for restoring alerts' `for` state after a restart. */
export function storageForState(storage: Storage, outageToleranceMs: number, gracePeriodMs: number): ForStateRestore {
  return {
    outageToleranceMs,
    gracePeriodMs,
    async lastForState(alertname, startMs, endMs) {
      const sel = storage.select([{ type: '=', name: '__name__', value: 'ALERTS_FOR_STATE' }, { type: '=', name: 'alertname', value: alertname }], startMs, endMs);
      const { offsets, t, v } = sel.samples();
      const out: { labels: Record<string, string>; t: number; v: number }[] = [];
      sel.labels.forEach((l, i) => {
        const last = offsets[i + 1]! - 1;
        if (last < offsets[i]!) return;
        const labels = { ...l };
        delete labels['__name__'];
        out.push({ labels, t: t[last]!, v: v[last]! });
      });
      return out;
    },
  };
}
