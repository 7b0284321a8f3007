// /api/v1/metadata and /api/v1/targets/metadata: the TYPE, HELP and UNIT the targets exposed in
// their last successful scrape (Grafana's metric browser and the UI's autocompletion read these).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, success } from './envelope.js';
import { parseCount, requestParams, single } from './params.js';
import type { Params } from './params.js';
import { parseExpr } from '../../promql/parser/parser.js';
import { matcherFunction } from '../../storage/matchers.js';
import type { Labels } from '../../model/labels.js';
import { queryParams } from './schemas.js';

/** A count limit: absent or negative means none, as Prometheus reads it. */
function limit(p: Params, name: string): number {
  return parseCount(p, name, Number.MIN_SAFE_INTEGER, -1, `${name} must be a number`);
}

/** `match_target` is a label selector over target labels, e.g. `{job="node"}`. */
function targetMatcher(selector: string | undefined): (l: Labels) => boolean {
  if (selector === undefined || selector === '') return () => true;
  let expr;
  try {
    expr = parseExpr(selector);
  } catch (e) {
    throw new ApiError('bad_data', `invalid parameter "match_target": ${(e as Error).message}`);
  }
  if (expr.type !== 'VectorSelector') throw new ApiError('bad_data', 'invalid parameter "match_target": a label selector such as {job="node"} is expected');
  const tests = expr.matchers.map((m) => ({ name: m.name, ok: matcherFunction(m) }));
  return (l) => tests.every((t) => t.ok(l[t.name] ?? ''));
}

export async function metadataApi(app: FastifyInstance): Promise<void> {
  const { targets } = app.services;

  const targetsMetadata = async (req: FastifyRequest) => {
    const p = requestParams(req);
    const matches = targetMatcher(single(p, 'match_target'));
    const metric = single(p, 'metric');
    const max = limit(p, 'limit');
    const out: { target: Labels; metric?: string; type: string; help: string; unit: string }[] = [];
    let matchedTargets = 0;
    for (const t of targets.active()) {
      if (max >= 0 && matchedTargets >= max) break;
      if (!matches(t.labels)) continue;
      matchedTargets++;
      const md = t.metadata();
      if (metric !== undefined && metric !== '') {
        const m = md.get(metric);
        if (m) out.push({ target: t.labels, type: m.type, help: m.help, unit: m.unit });
      } else {
        for (const [name, m] of md) out.push({ target: t.labels, metric: name, type: m.type, help: m.help, unit: m.unit });
      }
    }
    return success(out);
  };
  app.get('/api/v1/targets/metadata', { schema: queryParams(['match_target', 'metric', 'limit']) }, targetsMetadata);

  const metadata = async (req: FastifyRequest) => {
    const p = requestParams(req);
    const metric = single(p, 'metric');
    const max = limit(p, 'limit');
    const perMetric = limit(p, 'limit_per_metric');
    const byName = new Map<string, { type: string; help: string; unit: string }[]>();
    for (const t of targets.active()) {
      for (const [name, m] of t.metadata()) {
        if (metric !== undefined && metric !== '' && name !== metric) continue;
        const list = byName.get(name) ?? [];
        // Different targets usually say the same thing about a metric: keep each variant once.
        if (!list.some((x) => x.type === m.type && x.help === m.help && x.unit === m.unit)) list.push({ type: m.type, help: m.help, unit: m.unit });
        byName.set(name, list);
      }
    }
    // Keyed by metric names, which targets choose: no prototype, so `__proto__` is just a name.
    const data = Object.create(null) as Record<string, { type: string; help: string; unit: string }[]>;
    let count = 0;
    for (const name of [...byName.keys()].sort()) {
      if (max >= 0 && count >= max) break;
      const list = byName.get(name)!;
      data[name] = perMetric >= 0 ? list.slice(0, perMetric) : list;
      count++;
    }
    return success(data);
  };
  app.get('/api/v1/metadata', { schema: queryParams(['metric', 'limit', 'limit_per_metric']) }, metadata);
}
